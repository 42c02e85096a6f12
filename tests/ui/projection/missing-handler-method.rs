use cqrs_core::{DomainEvent, EventHeader, Projection};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    ItemAdded { sku: String, quantity: u32 },
    CheckedOut,
}

#[derive(Default, Projection)]
#[projection(event = CartEvent, handles(ItemAdded, CheckedOut))]
struct Added {
    count: u32,
}

impl Added {
    fn on_item_added(&mut self, _: &EventHeader, _sku: String, quantity: u32) {
        self.count += quantity;
    }
}

fn main() {}
