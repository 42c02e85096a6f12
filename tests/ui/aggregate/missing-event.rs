use cqrs_core::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Cart)]
enum CartEvent {
    ItemAdded { sku: String },
    CheckedOut,
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct CartError;

#[derive(Default, Aggregate)]
#[aggregate(error = CartError)]
struct Cart;

impl Cart {
    fn on_item_added(&mut self, _sku: String) {}
    fn on_checked_out(&mut self) {}
}

fn main() {}
