use cqrs_core::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    ItemAdded { sku: String },
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct CartError;

#[derive(Default, Aggregate)]
#[aggregate(event = CartEvent, error = CartError)]
struct Cart;

fn main() {}
