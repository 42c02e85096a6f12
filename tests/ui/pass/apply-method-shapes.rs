//! Apply methods in both shapes: changing the state in place (`&mut self`), or
//! taking the state and returning the next one (`self -> Self`).
#![deny(warnings)]

use cqrs_core::testing::AggregateFixture;
use cqrs_core::{Aggregate, Command, DomainEvent};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Counter)]
pub enum CounterEvent {
    Added(u64),
    Reset,
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Counter)]
pub enum CounterCommand {
    Add(u64),
}

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("overflow")]
pub struct Overflow;

#[derive(Debug, Default, Clone, PartialEq, Aggregate)]
#[aggregate(name = "counter", event = CounterEvent, error = Overflow)]
pub struct Counter {
    total: u64,
    resets: u32,
}

impl Counter {
    fn add(&self, amount: u64) -> Result<Vec<CounterEvent>, Overflow> {
        self.total.checked_add(amount).ok_or(Overflow)?;
        Ok(vec![CounterEvent::Added(amount)])
    }

    fn on_added(&mut self, amount: u64) {
        self.total += amount;
    }

    fn on_reset(self) -> Self {
        Counter {
            total: 0,
            resets: self.resets + 1,
        }
    }
}

fn main() {
    let mut counter = Counter::default();
    counter.apply(CounterEvent::Added(3));
    counter.apply(CounterEvent::Reset);
    counter.apply(CounterEvent::Added(2));
    assert_eq!(counter, Counter { total: 2, resets: 1 });
    AggregateFixture::<Counter>::given(vec![CounterEvent::Added(1), CounterEvent::Reset])
        .when(CounterCommand::Add(4))
        .then_expect_events(vec![CounterEvent::Added(4)]);
}
