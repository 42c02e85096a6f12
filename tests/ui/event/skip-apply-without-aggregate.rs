use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    ItemAdded { sku: String },
    #[event(skip_apply)]
    Viewed,
}

fn main() {}
