use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
#[cqrs(krate = "cqrs_core")]
enum CartEvent {
    ItemAdded { sku: String },
}

fn main() {}
