//! Read models: projections of the cart events, and the queries they answer.

use std::collections::{BTreeMap, HashMap};

use cqrs_core::{EventHeader, Projection, Query};
use serde::Serialize;

use crate::domain::{CartEvent, Line};

/// A cart as customers see it: its lines, total and version.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct CartView {
    pub cart_id: String,
    pub lines: BTreeMap<String, Line>,
    pub total_cents: u64,
    pub checked_out: bool,
    /// The version of the last event applied: the cart's `ETag`.
    pub version: u64,
}

impl CartView {
    /// An empty view of a cart.
    pub fn new(cart_id: &str) -> Self {
        CartView {
            cart_id: cart_id.to_owned(),
            ..CartView::default()
        }
    }

    /// Applies one event of this cart.
    pub fn apply(&mut self, version: u64, event: CartEvent) {
        match event {
            CartEvent::ItemAdded {
                sku,
                quantity,
                unit_price_cents,
            } => {
                let line = self.lines.entry(sku).or_insert(Line {
                    quantity: 0,
                    unit_price_cents,
                });
                line.quantity = line.quantity.saturating_add(quantity);
            }
            CartEvent::QuantityChanged { sku, quantity } => {
                if let Some(line) = self.lines.get_mut(&sku) {
                    line.quantity = quantity;
                }
            }
            CartEvent::ItemRemoved { sku } => {
                self.lines.remove(&sku);
            }
            CartEvent::Cleared => self.lines.clear(),
            CartEvent::CheckedOut { .. } => self.checked_out = true,
        }
        self.total_cents = self
            .lines
            .values()
            .map(|l| u64::from(l.quantity) * l.unit_price_cents)
            .sum();
        self.version = version;
    }
}

/// The cart id in a cart stream id: `cart-42` -> `42`.
pub fn cart_id(stream_id: &str) -> &str {
    stream_id.strip_prefix("cart-").unwrap_or(stream_id)
}

/// Every cart's current contents.
#[derive(Debug, Default, Clone, PartialEq, Projection)]
#[projection(
    name = "cart_contents",
    event = CartEvent,
    handles(ItemAdded, QuantityChanged, ItemRemoved, Cleared, CheckedOut)
)]
pub struct CartContents {
    carts: HashMap<String, CartView>,
}

impl CartContents {
    fn view(&mut self, header: &EventHeader) -> &mut CartView {
        let id = cart_id(&header.stream_id);
        self.carts
            .entry(id.to_owned())
            .or_insert_with(|| CartView::new(id))
    }

    fn on_item_added(
        &mut self,
        header: &EventHeader,
        sku: String,
        quantity: u32,
        unit_price_cents: u64,
    ) {
        let event = CartEvent::ItemAdded {
            sku,
            quantity,
            unit_price_cents,
        };
        self.view(header).apply(header.stream_version, event);
    }

    fn on_quantity_changed(&mut self, header: &EventHeader, sku: String, quantity: u32) {
        self.view(header).apply(
            header.stream_version,
            CartEvent::QuantityChanged { sku, quantity },
        );
    }

    fn on_item_removed(&mut self, header: &EventHeader, sku: String) {
        self.view(header)
            .apply(header.stream_version, CartEvent::ItemRemoved { sku });
    }

    fn on_cleared(&mut self, header: &EventHeader) {
        self.view(header)
            .apply(header.stream_version, CartEvent::Cleared);
    }

    fn on_checked_out(&mut self, header: &EventHeader, total_cents: u64) {
        self.view(header)
            .apply(header.stream_version, CartEvent::CheckedOut { total_cents });
    }

    fn cart_by_id(&self, cart_id: String) -> Option<CartView> {
        self.carts.get(&cart_id).cloned()
    }
}

/// One cart's contents and total.
#[derive(Debug, Query)]
#[query(output = Option<CartView>, read_model = CartContents)]
pub struct CartById {
    pub cart_id: String,
}

/// How often a product was put in a cart, across all carts.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ProductCount {
    pub sku: String,
    /// Units added, over all carts.
    pub units: u64,
    /// How many times it was added.
    pub times_added: u64,
}

/// Products most often added, across every cart.
#[derive(Debug, Default, Clone, PartialEq, Projection)]
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
                ..Default::default()
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
