use cqrs_core::{Aggregate, Command, DomainEvent, InMemoryEventStore, Repository};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Cart)]
enum CartEvent {
    ItemAdded { sku: String },
}

#[derive(Debug, Clone, Command)]
enum CartCommand {
    AddItem { sku: String },
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct CartError;

#[derive(Default, Aggregate)]
#[aggregate(name = "cart", event = CartEvent, error = CartError)]
struct Cart;

impl Cart {
    fn add_item(&self, sku: String) -> Result<Vec<CartEvent>, CartError> {
        Ok(vec![CartEvent::ItemAdded { sku }])
    }
    fn on_item_added(&mut self, _sku: String) {}
}

fn main() {
    // No stand-in can name the aggregate, so the use is a second error, saying to
    // derive it with `#[command(aggregate = ...)]`.
    let repository = Repository::<Cart, _>::new(InMemoryEventStore::new());
    let _ = repository.execute("c1", CartCommand::AddItem { sku: "a".into() });
}
