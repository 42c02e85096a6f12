use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(nmae = "cart.item_added")]
    ItemAdded { sku: String },
}

fn main() {}
