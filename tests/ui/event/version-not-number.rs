use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(version = "2")]
    ItemAdded { sku: String },
}

fn main() {}
