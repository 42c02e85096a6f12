use cqrs_core::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
#[event(aggregates(Cart = on_cart, Wishlist))]
enum ItemEvent {
    Added { sku: String },
}

fn main() {}
