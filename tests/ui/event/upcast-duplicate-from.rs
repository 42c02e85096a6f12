use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

fn item_added_v1(old: serde_json::Value) -> serde_json::Value {
    old
}

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(
        name = "cart.item_added",
        version = 2,
        upcast(from = 1, with = item_added_v1),
        upcast(from = 1, with = item_added_v1)
    )]
    ItemAdded { sku: String, price: u64 },
}

fn main() {}
