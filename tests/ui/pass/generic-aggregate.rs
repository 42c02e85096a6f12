//! A generic aggregate: one counter type per unit of measure.
#![deny(warnings)]

use std::marker::PhantomData;

use cqrs_core::testing::AggregateFixture;
use cqrs_core::{Aggregate, Command, DomainEvent};
use serde::{Deserialize, Serialize};

pub trait Unit: std::fmt::Debug + Default + Send + Sync + 'static {
    const NAME: &'static str;
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Litres;
impl Unit for Litres {
    const NAME: &'static str = "l";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Counter<U>)]
#[serde(bound = "")]
pub enum CounterEvent<U: Unit> {
    Added(u64),
    Reset { unit: PhantomData<U> },
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Counter<U>)]
pub enum CounterCommand<U: Unit> {
    Add(u64, PhantomData<U>),
}

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("overflow")]
pub struct Overflow;

#[derive(Debug, Default, Aggregate)]
#[aggregate(name = "counter", event = CounterEvent<U>, error = Overflow)]
pub struct Counter<U: Unit> {
    total: u64,
    unit: PhantomData<U>,
}

impl<U: Unit> Counter<U> {
    fn add(&self, amount: u64, _: PhantomData<U>) -> Result<Vec<CounterEvent<U>>, Overflow> {
        self.total.checked_add(amount).ok_or(Overflow)?;
        Ok(vec![CounterEvent::Added(amount)])
    }

    fn on_added(&mut self, amount: u64) {
        self.total += amount;
    }

    fn on_reset(&mut self, _: PhantomData<U>) {
        self.total = 0;
    }
}

fn main() {
    assert_eq!(Counter::<Litres>::stream_id("tank"), "counter-tank");
    assert_eq!(Litres::NAME, "l");
    AggregateFixture::<Counter<Litres>>::given([CounterEvent::Added(u64::MAX)])
        .when(CounterCommand::Add(1, PhantomData))
        .then_expect_error(Overflow);
}
