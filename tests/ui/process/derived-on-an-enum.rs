use cqrs_core::process::ProcessManager;
use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum OrderEvent {
    Placed { order: u64 },
}

#[derive(Default, Serialize, Deserialize, ProcessManager)]
#[process(command = String, start(OrderEvent::Placed, by = order))]
enum Fulfilment {
    #[default]
    Started,
}

fn main() {}
