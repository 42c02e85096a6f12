use cqrs_core::DomainEvent;
use serde::Deserialize;

#[derive(Deserialize, DomainEvent)]
enum CartEvent {
    ItemAdded { sku: String },
}

fn main() {}
