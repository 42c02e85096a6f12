use cqrs_core::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Cart)]
enum CartEvent {
    #[event(apply = added)]
    ItemAdded { sku: String },
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct CartError;

#[derive(Default, Aggregate)]
#[aggregate(event = CartEvent, error = CartError)]
struct Cart;

impl Cart {
    fn added(&mut self, _sku: String) {}
}

fn main() {}
