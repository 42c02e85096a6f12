use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[serde(rename = "item_added")]
    ItemAdded { sku: String },
}

fn main() {}
