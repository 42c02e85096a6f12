use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(name = "cart.item_added", name = "cart.added")]
    ItemAdded { sku: String },
}

fn main() {}
