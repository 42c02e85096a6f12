//! Every attribute key, every variant shape, sync and async handlers with services.
#![deny(warnings)]

use std::collections::BTreeMap;

use cqrs_core::testing::{AggregateFixture, ProjectionFixture};
use cqrs_core::{Aggregate, Command, DomainEvent, EventHeader, Projection, Query, QueryHandler};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Cart)]
pub enum CartEvent {
    #[event(
        name = "cart.item_added",
        version = 3,
        upcast(from = 1, with = item_added_v1),
        upcast(from = 2, with = item_added_v2)
    )]
    ItemAdded { sku: String, quantity: u32, unit_price_cents: u64 },
    #[event(handler = remove_line)]
    ItemRemoved(String),
    #[event(skip_apply)]
    Viewed,
    CheckedOut,
}

/// Version 1 had no price: over the JSON.
fn item_added_v1(mut old: serde_json::Value) -> serde_json::Value {
    old["price"] = serde_json::json!(0.0);
    old
}

#[derive(Deserialize)]
struct ItemAddedV2 {
    sku: String,
    quantity: u32,
    price: f64,
}

#[derive(Serialize)]
struct ItemAddedV3 {
    sku: String,
    quantity: u32,
    unit_price_cents: u64,
}

/// Version 2 had the price in currency units: between typed structs.
fn item_added_v2(old: ItemAddedV2) -> ItemAddedV3 {
    ItemAddedV3 { sku: old.sku, quantity: old.quantity, unit_price_cents: (old.price * 100.0) as u64 }
}

#[derive(Debug, Clone, Deserialize, Command)]
#[command(aggregate = Cart)]
pub enum CartCommand {
    #[command(services)]
    AddItem { sku: String, quantity: u32 },
    #[command(handler = remove)]
    RemoveItem(String),
    #[command(async)]
    Checkout,
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum CartError {
    #[error("the cart is checked out")]
    CheckedOut,
    #[error("unknown product `{0}`")]
    UnknownProduct(String),
}

#[derive(Default)]
pub struct Prices(BTreeMap<String, u64>);

#[derive(Debug, Default, Aggregate)]
#[aggregate(name = "cart", event = CartEvent, error = CartError, services = Prices, state_version = 2)]
pub struct Cart {
    lines: BTreeMap<String, u32>,
    checked_out: bool,
}

impl Cart {
    fn add_item(&self, sku: String, quantity: u32, prices: &Prices) -> Result<Vec<CartEvent>, CartError> {
        let unit_price_cents = *prices.0.get(&sku).ok_or_else(|| CartError::UnknownProduct(sku.clone()))?;
        Ok(vec![CartEvent::ItemAdded { sku, quantity, unit_price_cents }])
    }

    fn remove(&self, sku: String) -> Result<Vec<CartEvent>, CartError> {
        Ok(vec![CartEvent::ItemRemoved(sku)])
    }

    async fn checkout(&self) -> Result<Vec<CartEvent>, CartError> {
        if self.checked_out {
            return Err(CartError::CheckedOut);
        }
        Ok(vec![CartEvent::CheckedOut])
    }

    fn on_item_added(&mut self, sku: String, quantity: u32, _unit_price_cents: u64) {
        *self.lines.entry(sku).or_default() += quantity;
    }

    fn remove_line(&mut self, sku: String) {
        self.lines.remove(&sku);
    }

    fn on_checked_out(&mut self) {
        self.checked_out = true;
    }
}

#[derive(Debug, Default, PartialEq, Projection)]
#[projection(name = "quantities", event = CartEvent, handles(ItemAdded, ItemRemoved = removed), skip_unknown)]
pub struct Quantities {
    by_sku: BTreeMap<String, u32>,
}

impl Quantities {
    fn on_item_added(&mut self, _: &EventHeader, sku: String, quantity: u32, _: u64) {
        *self.by_sku.entry(sku).or_default() += quantity;
    }

    fn removed(&mut self, header: &EventHeader, sku: String) -> Result<(), std::io::Error> {
        if header.stream_version == 0 {
            return Err(std::io::Error::other("versions start at 1"));
        }
        self.by_sku.remove(&sku);
        Ok(())
    }

    fn quantity_of(&self, sku: String) -> u32 {
        self.by_sku.get(&sku).copied().unwrap_or(0)
    }
}

#[derive(Query)]
#[query(output = u32, read_model = Quantities, handler = quantity_of)]
pub struct QuantityOf {
    pub sku: String,
}

fn main() {
    assert_eq!(<Cart as Aggregate>::TYPE_NAME, "cart");
    assert_eq!(<Cart as Aggregate>::STATE_VERSION, 2);
    assert!(<Quantities as Projection>::SKIP_UNKNOWN);
    let v1 = CartEvent::decode("cart.item_added", 1, &serde_json::json!({ "sku": "a", "quantity": 1 }).into());
    assert_eq!(v1.unwrap(), CartEvent::ItemAdded { sku: "a".into(), quantity: 1, unit_price_cents: 0 });
    let v2 = serde_json::json!({ "sku": "a", "quantity": 1, "price": 1.5 });
    let v2 = CartEvent::decode("cart.item_added", 2, &v2.into()).unwrap();
    assert_eq!(v2, CartEvent::ItemAdded { sku: "a".into(), quantity: 1, unit_price_cents: 150 });
    assert_eq!(<Quantities as Projection>::HANDLED_EVENTS, ["cart.item_added", "ItemRemoved"]);
    assert_eq!(CartCommand::Checkout.command_name(), "Checkout");

    let prices = Prices([("apple".to_owned(), 30)].into());
    AggregateFixture::<Cart>::given([CartEvent::Viewed])
        .with_services(prices)
        .when(CartCommand::AddItem { sku: "apple".into(), quantity: 2 })
        .then_expect_events([CartEvent::ItemAdded { sku: "apple".into(), quantity: 2, unit_price_cents: 30 }]);
    AggregateFixture::<Cart>::given([CartEvent::CheckedOut])
        .when(CartCommand::Checkout)
        .then_expect_error(CartError::CheckedOut);

    let view = ProjectionFixture::<Quantities>::given([
        CartEvent::ItemAdded { sku: "apple".into(), quantity: 2, unit_price_cents: 30 },
        CartEvent::ItemAdded { sku: "pear".into(), quantity: 1, unit_price_cents: 50 },
        CartEvent::ItemRemoved("pear".into()),
        CartEvent::CheckedOut,
    ])
    .into_state();
    assert_eq!(view.query(QuantityOf { sku: "apple".into() }), 2);
    assert_eq!(view.query(QuantityOf { sku: "pear".into() }), 0);
}
