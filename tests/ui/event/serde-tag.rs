use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
#[serde(tag = "type")]
enum CartEvent {
    ItemAdded { sku: String },
}

fn main() {}
