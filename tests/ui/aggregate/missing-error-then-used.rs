use cqrs_core::{Aggregate, Command, DomainEvent, InMemoryEventStore, Repository};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Cart)]
enum CartEvent {
    ItemAdded { sku: String },
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Cart)]
enum CartCommand {
    AddItem { sku: String },
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct CartError;

#[derive(Default, Aggregate)]
#[aggregate(event = CartEvent)]
struct Cart;

impl Cart {
    fn add_item(&self, sku: String) -> Result<Vec<CartEvent>, CartError> {
        Ok(vec![CartEvent::ItemAdded { sku }])
    }
    fn on_item_added(&mut self, _sku: String) {}
}

fn main() {
    // Without `error = ...` there is no type to stand in for the handlers' errors:
    // each use says `Cart` is not an aggregate, with the advice to name both keys.
    let repository = Repository::<Cart, _>::new(InMemoryEventStore::new());
    let _ = repository.execute("c1", CartCommand::AddItem { sku: "a".into() });
}
