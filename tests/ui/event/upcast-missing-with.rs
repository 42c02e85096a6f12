use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(name = "cart.item_added", version = 2, upcast(from = 1))]
    ItemAdded { sku: String, price: u64 },
}

fn main() {}
