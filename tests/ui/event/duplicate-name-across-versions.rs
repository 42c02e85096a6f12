use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

// A new shape must bump the version of the one variant, not add a second variant
// claiming the same persisted name.
#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(name = "cart.item_added", version = 1)]
    ItemAddedV1 { sku: String },
    #[event(name = "cart.item_added", version = 2)]
    ItemAdded { sku: String, price: u64 },
}

fn main() {}
