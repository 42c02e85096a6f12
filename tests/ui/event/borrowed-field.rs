use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum CartEvent<'a> {
    ItemAdded { sku: &'a str },
}

fn main() {
    let _ = CartEvent::ItemAdded { sku: "apple" }.event_type();
}
