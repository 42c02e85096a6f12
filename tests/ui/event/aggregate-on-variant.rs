use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    #[event(aggregate = Cart)]
    ItemAdded { sku: String },
}

fn main() {}
