use cqrs_core::{DomainEvent, Projection};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    ItemAdded { sku: String, quantity: u32 },
    CheckedOut,
}

#[derive(Default, Projection)]
#[projection(event = CartEvent, handles(ItemAdded = 5))]
struct Added {
    count: u32,
}

fn main() {}
