use cqrs_core::{DomainEvent, Projection};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    ItemAdded { sku: String, quantity: u32 },
}

#[derive(Default, Projection)]
#[projection(event = CartEvent, handles(ItemAdded))]
struct Added {
    count: u32,
}

impl Added {
    fn on_item_added(&mut self, _sku: &str, quantity: u32) {
        self.count += quantity;
    }
}

fn main() {}
