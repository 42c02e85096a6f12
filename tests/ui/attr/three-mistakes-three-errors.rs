use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(nmae = "cart.item_added")]
    ItemAdded { sku: String },
    #[event(version = 0)]
    ItemRemoved { sku: String },
    #[event(name = checked_out)]
    CheckedOut,
}

fn main() {}
