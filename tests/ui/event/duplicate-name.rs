use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(name = "cart.item_added")]
    ItemAdded { sku: String },
    #[event(name = "cart.item_added")]
    ItemRemoved { sku: String },
}

fn main() {}
