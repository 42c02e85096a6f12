use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(version = 2, upcast(from = 1, with = item_added_v1))]
    ItemAdded { sku: String, quantity: u32 },
}

#[derive(Deserialize)]
struct ItemAddedV1 {
    sku: String,
}

/// Wrong: returns the whole enum, whose serde form is `{"ItemAdded": {...}}`.
fn item_added_v1(old: ItemAddedV1) -> CartEvent {
    CartEvent::ItemAdded {
        sku: old.sku,
        quantity: 1,
    }
}

fn main() {}
