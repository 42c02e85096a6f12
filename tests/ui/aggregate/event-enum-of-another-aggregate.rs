use cqrs_core::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Cart)]
enum CartEvent {
    ItemAdded { sku: String },
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct Refused;

#[derive(Default, Aggregate)]
#[aggregate(event = CartEvent, error = Refused)]
struct Cart;

impl Cart {
    fn on_item_added(&mut self, _: String) {}
}

/// A second aggregate over the same events.
#[derive(Default, Aggregate)]
#[aggregate(event = CartEvent, error = Refused)]
struct Wishlist;

fn main() {}
