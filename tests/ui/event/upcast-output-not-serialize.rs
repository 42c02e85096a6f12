use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

struct NotSerde;

fn item_added_v1(_old: serde_json::Value) -> NotSerde {
    NotSerde
}

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(version = 2, upcast(from = 1, with = item_added_v1))]
    ItemAdded { sku: String },
}

fn main() {}
