//! A basket whose `ItemAdded` went through three shapes, for the history tests:
//! the event enum with its upcasters, commands, aggregate and two projections.

use std::collections::BTreeMap;

use cqrs_core::{
    Aggregate, Command, DomainEvent, EventHeader, ExpectedVersion, NewEvent, Projection,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Store;

/// Version 1 stored only the product; version 2 added a quantity and a price in
/// currency units; version 3 keeps the price in cents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Basket)]
pub(crate) enum BasketEvent {
    #[event(
        name = "basket.item_added",
        version = 3,
        upcast(from = 1, with = item_added_v1),
        upcast(from = 2, with = item_added_v2)
    )]
    ItemAdded {
        sku: String,
        quantity: u32,
        price_cents: u64,
    },
    #[event(name = "basket.item_removed")]
    ItemRemoved { sku: String },
    #[event(name = "basket.checked_out")]
    CheckedOut,
}

/// v1 -> v2 over the stored JSON: one unit, no price known.
pub(crate) fn item_added_v1(mut payload: serde_json::Value) -> serde_json::Value {
    payload["quantity"] = json!(1);
    payload["price"] = json!(0.0);
    payload
}

#[derive(Deserialize)]
pub(crate) struct ItemAddedV2 {
    sku: String,
    quantity: u32,
    price: f64,
}

#[derive(Serialize)]
pub(crate) struct ItemAddedV3 {
    sku: String,
    quantity: u32,
    price_cents: u64,
}

/// v2 -> v3 between typed structs: currency units to cents.
pub(crate) fn item_added_v2(old: ItemAddedV2) -> ItemAddedV3 {
    ItemAddedV3 {
        sku: old.sku,
        quantity: old.quantity,
        price_cents: (old.price * 100.0).round() as u64,
    }
}

#[derive(Debug, Clone, Deserialize, Command)]
#[command(aggregate = Basket)]
pub(crate) enum BasketCommand {
    AddItem {
        sku: String,
        quantity: u32,
        price_cents: u64,
    },
    RemoveItem {
        sku: String,
    },
    Checkout,
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub(crate) enum BasketError {
    #[error("the basket is checked out")]
    CheckedOut,
    #[error("`{0}` is not in the basket")]
    NotInBasket(String),
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, Aggregate)]
#[aggregate(name = "basket", event = BasketEvent, error = BasketError)]
pub(crate) struct Basket {
    pub(crate) lines: BTreeMap<String, (u32, u64)>,
    pub(crate) checked_out: bool,
}

impl Basket {
    fn add_item(
        &self,
        sku: String,
        quantity: u32,
        price_cents: u64,
    ) -> Result<Vec<BasketEvent>, BasketError> {
        if self.checked_out {
            return Err(BasketError::CheckedOut);
        }
        Ok(vec![BasketEvent::ItemAdded {
            sku,
            quantity,
            price_cents,
        }])
    }

    fn remove_item(&self, sku: String) -> Result<Vec<BasketEvent>, BasketError> {
        if !self.lines.contains_key(&sku) {
            return Err(BasketError::NotInBasket(sku));
        }
        Ok(vec![BasketEvent::ItemRemoved { sku }])
    }

    fn on_item_removed(&mut self, sku: String) {
        self.lines.remove(&sku);
    }

    fn checkout(&self) -> Result<Vec<BasketEvent>, BasketError> {
        if self.checked_out {
            return Err(BasketError::CheckedOut);
        }
        Ok(vec![BasketEvent::CheckedOut])
    }

    fn on_item_added(&mut self, sku: String, quantity: u32, price_cents: u64) {
        let line = self.lines.entry(sku).or_default();
        line.0 += quantity;
        line.1 = price_cents;
    }

    fn on_checked_out(&mut self) {
        self.checked_out = true;
    }
}

/// Revenue per product, across baskets.
#[derive(Debug, Default, Projection)]
#[projection(event = BasketEvent, handles(ItemAdded))]
pub(crate) struct Revenue {
    pub(crate) cents: BTreeMap<String, u64>,
}

impl Revenue {
    fn on_item_added(&mut self, _: &EventHeader, sku: String, quantity: u32, price_cents: u64) {
        *self.cents.entry(sku).or_default() += u64::from(quantity) * price_cents;
    }
}

/// The same read model, for a deployment that must keep serving while a newer one
/// writes events it does not know yet.
#[derive(Debug, Default, Projection)]
#[projection(name = "revenue_tolerant", event = BasketEvent, handles(ItemAdded), skip_unknown)]
pub(crate) struct TolerantRevenue {
    pub(crate) cents: BTreeMap<String, u64>,
}

impl TolerantRevenue {
    fn on_item_added(&mut self, _: &EventHeader, sku: String, quantity: u32, price_cents: u64) {
        *self.cents.entry(sku).or_default() += u64::from(quantity) * price_cents;
    }
}

pub(crate) fn add(sku: &str, quantity: u32, price_cents: u64) -> BasketCommand {
    BasketCommand::AddItem {
        sku: sku.into(),
        quantity,
        price_cents,
    }
}

/// Appends a stored event as an older (or newer) writer left it.
pub(crate) async fn append_raw<S: Store>(
    store: &S,
    stream: &str,
    name: &str,
    version: u32,
    payload: serde_json::Value,
) {
    let event = NewEvent::new(name, version, payload);
    store
        .append(stream, ExpectedVersion::Any, vec![event])
        .await
        .unwrap();
}
