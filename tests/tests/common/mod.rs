//! A small cart domain shared by the cross-crate tests, written as a user would.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use cqrs_core::{Aggregate, Command, DomainEvent, EventHeader, Projection, Query};
use serde::{Deserialize, Serialize};
use tokio::sync::Barrier;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Cart)]
pub(crate) enum CartEvent {
    #[event(name = "cart.item_added", version = 2)]
    ItemAdded {
        sku: String,
        quantity: u32,
        unit_price_cents: u64,
    },
    #[event(name = "cart.item_removed")]
    ItemRemoved { sku: String },
    #[event(name = "cart.checked_out")]
    CheckedOut,
}

#[derive(Debug, Clone, Deserialize, Command)]
#[command(aggregate = Cart)]
pub(crate) enum CartCommand {
    #[command(services)]
    AddItem {
        sku: String,
        quantity: u32,
    },
    RemoveItem {
        sku: String,
    },
    Checkout,
    /// Decides nothing: removing a product that is not in the cart.
    Touch,
    /// Waits at the services' barrier before deciding: lets a test line up two writers.
    #[command(async, services)]
    AddAfterBarrier {
        sku: String,
    },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum CartError {
    #[error("the cart is checked out")]
    CheckedOut,
    #[error("quantity must be at least 1")]
    ZeroQuantity,
    #[error("no price for `{0}`")]
    UnknownProduct(String),
    #[error("the cart is empty")]
    Empty,
}

/// Prices in cents, and a barrier for tests that race two commands.
#[derive(Default)]
pub(crate) struct Shop {
    pub(crate) prices: BTreeMap<String, u64>,
    pub(crate) barrier: Option<Arc<Barrier>>,
}

impl Shop {
    pub(crate) fn with_prices(prices: &[(&str, u64)]) -> Self {
        Shop {
            prices: prices.iter().map(|(s, p)| ((*s).to_owned(), *p)).collect(),
            barrier: None,
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, Aggregate)]
#[aggregate(name = "cart", event = CartEvent, error = CartError, services = Shop)]
pub(crate) struct Cart {
    pub(crate) lines: BTreeMap<String, u32>,
    pub(crate) checked_out: bool,
}

impl Cart {
    fn add_item(
        &self,
        sku: String,
        quantity: u32,
        shop: &Shop,
    ) -> Result<Vec<CartEvent>, CartError> {
        if self.checked_out {
            return Err(CartError::CheckedOut);
        }
        if quantity == 0 {
            return Err(CartError::ZeroQuantity);
        }
        let unit_price_cents = *shop
            .prices
            .get(&sku)
            .ok_or_else(|| CartError::UnknownProduct(sku.clone()))?;
        Ok(vec![CartEvent::ItemAdded {
            sku,
            quantity,
            unit_price_cents,
        }])
    }

    fn remove_item(&self, sku: String) -> Result<Vec<CartEvent>, CartError> {
        if self.checked_out {
            return Err(CartError::CheckedOut);
        }
        if !self.lines.contains_key(&sku) {
            return Ok(Vec::new());
        }
        Ok(vec![CartEvent::ItemRemoved { sku }])
    }

    fn checkout(&self) -> Result<Vec<CartEvent>, CartError> {
        if self.checked_out {
            return Err(CartError::CheckedOut);
        }
        if self.lines.is_empty() {
            return Err(CartError::Empty);
        }
        Ok(vec![CartEvent::CheckedOut])
    }

    fn touch(&self) -> Result<Vec<CartEvent>, CartError> {
        Ok(Vec::new())
    }

    async fn add_after_barrier(
        &self,
        sku: String,
        shop: &Shop,
    ) -> Result<Vec<CartEvent>, CartError> {
        if let Some(barrier) = &shop.barrier {
            barrier.wait().await;
        }
        Ok(vec![CartEvent::ItemAdded {
            sku,
            quantity: 1,
            unit_price_cents: 1,
        }])
    }

    fn on_item_added(&mut self, sku: String, quantity: u32, _unit_price_cents: u64) {
        *self.lines.entry(sku).or_default() += quantity;
    }

    fn on_item_removed(&mut self, sku: String) {
        self.lines.remove(&sku);
    }

    fn on_checked_out(&mut self) {
        self.checked_out = true;
    }
}

/// How many units of each product were ever added, across all carts.
#[derive(Debug, Default, PartialEq, Projection)]
#[projection(event = CartEvent, handles(ItemAdded))]
pub(crate) struct AddedProducts {
    pub(crate) units: BTreeMap<String, u64>,
}

impl AddedProducts {
    fn on_item_added(&mut self, _: &EventHeader, sku: String, quantity: u32, _: u64) {
        *self.units.entry(sku).or_default() += u64::from(quantity);
    }

    fn most_added(&self, limit: usize) -> Vec<(String, u64)> {
        let mut ranked: Vec<(String, u64)> = self.units.clone().into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(limit);
        ranked
    }
}

#[derive(Debug, Query)]
#[query(output = Vec<(String, u64)>, read_model = AddedProducts)]
pub(crate) struct MostAdded {
    pub(crate) limit: usize,
}
