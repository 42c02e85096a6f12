use cqrs_core::process::ProcessManager;
use cqrs_core::{DomainEvent, EventHeader};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum OrderEvent {
    Placed { lines: Vec<String> },
}

#[derive(Default, Serialize, Deserialize, ProcessManager)]
#[process(command = String, start(OrderEvent::Placed, by = lines))]
struct Fulfilment;

impl Fulfilment {
    fn on_placed(&mut self, _: &EventHeader, _: Vec<String>) -> Vec<String> {
        Vec::new()
    }
}

fn main() {}
