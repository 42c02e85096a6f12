use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

fn item_added_v1(old: serde_json::Value) -> serde_json::Value {
    old
}

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(version = 2, upcast(from = 1, from = 1, with = item_added_v1))]
    ItemAdded { sku: String },
}

fn main() {}
