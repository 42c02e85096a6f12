use cqrs_core::process::ProcessManager;
use cqrs_core::{DomainEvent, EventHeader};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum OrderEvent {
    Placed { order: u64 },
    Paid { order: u64 },
}

#[derive(Default, Serialize, Deserialize, ProcessManager)]
#[process(command = String, done = finished, start(OrderEvent::Placed, by = order))]
struct Fulfilment;

impl Fulfilment {
    fn on_placed(&mut self, _: &EventHeader, _: u64) -> Vec<String> {
        Vec::new()
    }
    fn on_paid(&mut self, _: &EventHeader, _: u64) -> Vec<String> {
        Vec::new()
    }
    fn finished(&self) -> &'static str {
        "no"
    }
}

fn main() {}
