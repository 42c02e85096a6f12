use cqrs_core::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Cart)]
enum CartEvent {
    #[event(handler = added, skip_apply)]
    ItemAdded { sku: String },
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct CartError;

#[derive(Default, Aggregate)]
#[aggregate(event = CartEvent, error = CartError)]
struct Cart;

fn main() {}
