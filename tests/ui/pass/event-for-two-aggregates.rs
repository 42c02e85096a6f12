//! One event enum applied by two aggregates, each with its own apply methods.
#![deny(warnings)]

use cqrs_core::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, DomainEvent)]
#[event(aggregates(Cart, Wishlist))]
enum ItemEvent {
    Added { sku: String },
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct Refused;

#[derive(Default, Aggregate)]
#[aggregate(event = ItemEvent, error = Refused)]
struct Cart {
    items: usize,
}

impl Cart {
    fn on_added(&mut self, _: String) {
        self.items += 1;
    }
}

#[derive(Default, Aggregate)]
#[aggregate(event = ItemEvent, error = Refused)]
struct Wishlist {
    wished: Vec<String>,
}

impl Wishlist {
    fn on_added(&mut self, sku: String) {
        self.wished.push(sku);
    }
}

fn main() {
    let mut cart = Cart::default();
    cart.apply(ItemEvent::Added { sku: "apple".into() });
    let mut wishlist = Wishlist::default();
    wishlist.apply(ItemEvent::Added { sku: "apple".into() });
    assert_eq!((cart.items, wishlist.wished.len()), (1, 1));
}
