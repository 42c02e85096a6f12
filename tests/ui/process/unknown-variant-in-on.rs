use cqrs_core::process::ProcessManager;
use cqrs_core::{DomainEvent, EventHeader};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum OrderEvent {
    Placed { order: u64 },
    Paid { order: u64 },
}

// A variant the enum does not have: reported at `Shipped` (by the check that it is
// a variant and by the pattern that reads its field), and nowhere else.
#[derive(Default, Serialize, Deserialize, ProcessManager)]
#[process(
    command = String,
    start(OrderEvent::Placed, by = order),
    on(OrderEvent::Shipped, by = order)
)]
struct Fulfilment;

impl Fulfilment {
    fn on_placed(&mut self, _: &EventHeader, _: u64) -> Vec<String> {
        Vec::new()
    }
    fn on_shipped(&mut self, _: &EventHeader, _: u64) -> Vec<String> {
        Vec::new()
    }
}

fn main() {
    let _ = <Fulfilment as ProcessManager>::NAME;
}
