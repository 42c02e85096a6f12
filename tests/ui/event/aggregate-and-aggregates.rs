use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Cart, aggregates(Cart, Wishlist))]
enum ItemEvent {
    Added { sku: String },
}

fn main() {}
