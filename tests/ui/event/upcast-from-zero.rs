use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

fn item_added_v0(old: serde_json::Value) -> serde_json::Value {
    old
}

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(version = 2, upcast(from = 0, with = item_added_v0))]
    ItemAdded { sku: String },
}

fn main() {}
