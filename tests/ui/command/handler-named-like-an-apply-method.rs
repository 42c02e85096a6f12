use cqrs_core::{Aggregate, Command, DomainEvent};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Light)]
enum LightEvent {
    On,
}

#[derive(Debug, Command)]
#[command(aggregate = Light)]
enum LightCommand {
    /// Its handler would be `on_on`... no: `on` is its snake case, and the event's
    /// apply method for `On` is `on_on`; this one collides with `turn`.
    #[command(handler = on_on)]
    TurnOn,
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct Refused;

#[derive(Default, Aggregate)]
#[aggregate(event = LightEvent, error = Refused)]
struct Light {
    lit: bool,
}

impl Light {
    fn on_on(&mut self) {
        self.lit = true;
    }
}

fn main() {}
