//! Read models: projections of the cart events, and the queries they answer.

use std::collections::{BTreeMap, HashMap};

use cqrs_core::{EventHeader, Projection, Query};
use serde::{Deserialize, Serialize};

use crate::domain::{CartEvent, Line, UNKNOWN_PRICE};

/// One cart as customers see it: its lines, total and version. Kept inline, one
/// document per cart, in the same transaction as each command's events.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(
    name = "cart_view",
    event = CartEvent,
    handles(ItemAdded, QuantityChanged, ItemRemoved, Cleared, CheckedOut, Reopened)
)]
pub struct CartView {
    pub cart_id: String,
    pub lines: BTreeMap<String, Line>,
    pub total_cents: u64,
    pub checked_out: bool,
    /// The version of the last event applied: the cart's `ETag`.
    pub version: u64,
}

impl CartView {
    /// Every handler ends here: remember which cart and version this view shows.
    fn seen(&mut self, header: &EventHeader) {
        self.cart_id = cart_id(&header.stream_id).to_owned();
        self.version = header.stream_version;
        self.total_cents = self
            .lines
            .values()
            .map(|l| u64::from(l.quantity) * l.unit_price_cents)
            .sum();
    }

    fn on_item_added(
        &mut self,
        header: &EventHeader,
        sku: String,
        quantity: u32,
        unit_price_cents: u64,
    ) {
        let line = self.lines.entry(sku).or_insert(Line {
            quantity: 0,
            unit_price_cents,
        });
        line.quantity = line.quantity.saturating_add(quantity);
        if line.unit_price_cents == UNKNOWN_PRICE {
            line.unit_price_cents = unit_price_cents;
        }
        self.seen(header);
    }

    fn on_quantity_changed(&mut self, header: &EventHeader, sku: String, quantity: u32) {
        if let Some(line) = self.lines.get_mut(&sku) {
            line.quantity = quantity;
        }
        self.seen(header);
    }

    fn on_item_removed(&mut self, header: &EventHeader, sku: String) {
        self.lines.remove(&sku);
        self.seen(header);
    }

    fn on_cleared(&mut self, header: &EventHeader) {
        self.lines.clear();
        self.seen(header);
    }

    fn on_checked_out(
        &mut self,
        header: &EventHeader,
        _total_cents: u64,
        _lines: BTreeMap<String, u32>,
    ) {
        self.checked_out = true;
        self.seen(header);
    }

    fn on_reopened(&mut self, header: &EventHeader, _order: String, _reason: String) {
        self.checked_out = false;
        self.seen(header);
    }
}

/// The cart id in a cart stream id: `cart-42` -> `42`.
pub fn cart_id(stream_id: &str) -> &str {
    stream_id.strip_prefix("cart-").unwrap_or(stream_id)
}

/// How often a product was put in a cart, across all carts.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCount {
    pub sku: String,
    /// Units added, over all carts.
    pub units: u64,
    /// How many times it was added.
    pub times_added: u64,
}

/// Products most often added, across every cart: a catch-up projection, kept as one
/// document with its checkpoint.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(name = "top_products", event = CartEvent, handles(ItemAdded))]
pub struct ProductPopularity {
    products: HashMap<String, ProductCount>,
}

impl ProductPopularity {
    fn on_item_added(&mut self, _: &EventHeader, sku: String, quantity: u32, _: u64) {
        let count = self
            .products
            .entry(sku)
            .or_insert_with_key(|sku| ProductCount {
                sku: sku.clone(),
                ..ProductCount::default()
            });
        count.units += u64::from(quantity);
        count.times_added += 1;
    }

    fn top_products(&self, limit: usize) -> Vec<ProductCount> {
        let mut ranked: Vec<ProductCount> = self.products.values().cloned().collect();
        ranked.sort_by(|a, b| b.units.cmp(&a.units).then_with(|| a.sku.cmp(&b.sku)));
        ranked.truncate(limit);
        ranked
    }
}

/// The `limit` products with the most units added.
#[derive(Debug, Query)]
#[query(output = Vec<ProductCount>, read_model = ProductPopularity)]
pub struct TopProducts {
    pub limit: usize,
}
