use cqrs_core::{DomainEvent, EventHeader, Projection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DomainEvent)]
enum CartEvent {
    ItemAdded { sku: String },
}

#[derive(Default, Projection)]
#[projection(event = CartEvent, handles(ItemAdded), skip_unknown = true)]
struct Skus;

impl Skus {
    fn on_item_added(&mut self, _: &EventHeader, _sku: String) {}
}

fn main() {}
