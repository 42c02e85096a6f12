use cqrs_core::{Aggregate, Command, DomainEvent};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Cart)]
enum CartEvent {
    ItemAdded { sku: String },
}

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
enum WishlistEvent {
    Wished { sku: String },
}

#[derive(Debug, Command)]
#[command(aggregate = Cart)]
enum CartCommand {
    AddItem { sku: String },
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct CartError;

#[derive(Default, Aggregate)]
#[aggregate(event = CartEvent, error = CartError)]
struct Cart;

impl Cart {
    fn add_item(&self, sku: String) -> Result<Vec<WishlistEvent>, CartError> {
        Ok(vec![WishlistEvent::Wished { sku }])
    }
    fn on_item_added(&mut self, _sku: String) {}
}

fn main() {}
