//! The shopping cart, written with the derives only: events, commands, state, rules.

use std::collections::BTreeMap;

use cqrs_core::{Aggregate, Command, DomainEvent};
use serde::{Deserialize, Serialize};

/// What happened to a cart. The persisted names are the contract with stored data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Cart)]
pub enum CartEvent {
    /// Units of a product were put in the cart at a unit price. Version 1, from
    /// before carts knew prices, is read through [`item_added_v1`].
    #[event(
        name = "cart.item_added",
        version = 2,
        upcast(from = 1, with = item_added_v1)
    )]
    ItemAdded {
        sku: String,
        quantity: u32,
        unit_price_cents: u64,
    },
    /// A product's quantity was set.
    #[event(name = "cart.quantity_changed")]
    QuantityChanged { sku: String, quantity: u32 },
    /// A product was taken out of the cart.
    #[event(name = "cart.item_removed")]
    ItemRemoved { sku: String },
    /// Every product was taken out.
    #[event(name = "cart.cleared")]
    Cleared,
    /// The cart was checked out: it no longer changes, and becomes an order (whose
    /// id is this event's id) holding these units per product. Carts checked out
    /// before orders existed have no `lines`.
    #[event(name = "cart.checked_out")]
    CheckedOut {
        total_cents: u64,
        #[serde(default)]
        lines: BTreeMap<String, u32>,
    },
    /// Its order did not go through (a product was short, the payment failed or
    /// expired): the cart is open again, as it was.
    #[event(name = "cart.reopened")]
    Reopened { order: String, reason: String },
}

/// `cart.item_added` as version 1 stored it: a product and a quantity, no price.
#[derive(Debug, Deserialize)]
pub struct ItemAddedV1 {
    pub sku: String,
    pub quantity: u32,
}

/// `cart.item_added` version 2: with the unit price in cents.
#[derive(Debug, Serialize)]
pub struct ItemAddedV2 {
    pub sku: String,
    pub quantity: u32,
    pub unit_price_cents: u64,
}

/// Reads a version 1 `cart.item_added` as version 2. Its price was never recorded:
/// it becomes 0, "unknown", and the line takes the price of the next add.
pub fn item_added_v1(old: ItemAddedV1) -> ItemAddedV2 {
    ItemAddedV2 {
        sku: old.sku,
        quantity: old.quantity,
        unit_price_cents: UNKNOWN_PRICE,
    }
}

/// The price of a line added before carts knew prices.
pub const UNKNOWN_PRICE: u64 = 0;

/// What a customer asks of a cart.
#[derive(Debug, Clone, PartialEq, Deserialize, Command)]
#[command(aggregate = Cart)]
pub enum CartCommand {
    /// Put units of a product in the cart.
    AddItem {
        sku: String,
        quantity: u32,
        unit_price_cents: u64,
    },
    /// Set a product's quantity; `0` removes it.
    ChangeQuantity { sku: String, quantity: u32 },
    /// Take a product out.
    RemoveItem { sku: String },
    /// Take every product out.
    #[command(handler = clear)]
    ClearCart,
    /// Check the cart out: it becomes an order.
    Checkout,
    /// Open a checked-out cart again after its order failed; nothing when open.
    Reopen { order: String, reason: String },
}

/// Why a cart refused a command.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CartError {
    #[error("there is no such cart: add a product to create it")]
    NotFound,
    #[error("the cart is checked out and can no longer change")]
    CheckedOut,
    #[error("an empty cart cannot be checked out")]
    EmptyCart,
    #[error("quantity must be at least 1")]
    ZeroQuantity,
    #[error("a product needs a non-empty sku")]
    EmptySku,
    #[error("product `{0}` is not in the cart")]
    NotInCart(String),
    #[error("product `{sku}` is in the cart at {in_cart} cents, not {offered} cents")]
    PriceMismatch {
        sku: String,
        in_cart: u64,
        offered: u64,
    },
    #[error("product `{sku}` would hold more than {} units", u32::MAX)]
    TooManyUnits { sku: String },
    #[error("the cart's total would pass {} cents", u64::MAX)]
    TotalTooLarge,
}

/// One product in a cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub quantity: u32,
    pub unit_price_cents: u64,
}

/// A cart's state, rebuilt from its events, holding what its rules need.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, Aggregate)]
#[aggregate(name = "cart", event = CartEvent, error = CartError)]
pub struct Cart {
    exists: bool,
    lines: BTreeMap<String, Line>,
    checked_out: bool,
}

impl Cart {
    /// Commands other than adding a product need a cart that exists and is open.
    fn open(&self) -> Result<(), CartError> {
        if !self.exists {
            return Err(CartError::NotFound);
        }
        if self.checked_out {
            return Err(CartError::CheckedOut);
        }
        Ok(())
    }

    fn line(&self, sku: &str) -> Result<&Line, CartError> {
        self.lines
            .get(sku)
            .ok_or_else(|| CartError::NotInCart(sku.to_owned()))
    }

    fn add_item(
        &self,
        sku: String,
        quantity: u32,
        unit_price_cents: u64,
    ) -> Result<Vec<CartEvent>, CartError> {
        if self.checked_out {
            return Err(CartError::CheckedOut);
        }
        if sku.trim().is_empty() {
            return Err(CartError::EmptySku);
        }
        if quantity == 0 {
            return Err(CartError::ZeroQuantity);
        }
        let held = self.lines.get(&sku).map_or(0, |line| line.quantity);
        if let Some(line) = self.lines.get(&sku)
            && line.unit_price_cents != unit_price_cents
            && line.unit_price_cents != UNKNOWN_PRICE
        {
            let in_cart = line.unit_price_cents;
            return Err(CartError::PriceMismatch {
                sku,
                in_cart,
                offered: unit_price_cents,
            });
        }
        let Some(quantity_after) = held.checked_add(quantity) else {
            return Err(CartError::TooManyUnits { sku });
        };
        self.total_with(&sku, quantity_after, unit_price_cents)?;
        Ok(vec![CartEvent::ItemAdded {
            sku,
            quantity,
            unit_price_cents,
        }])
    }

    fn change_quantity(&self, sku: String, quantity: u32) -> Result<Vec<CartEvent>, CartError> {
        self.open()?;
        let line = self.line(&sku)?;
        self.total_with(&sku, quantity, line.unit_price_cents)?;
        Ok(match quantity {
            0 => vec![CartEvent::ItemRemoved { sku }],
            same if same == line.quantity => Vec::new(),
            quantity => vec![CartEvent::QuantityChanged { sku, quantity }],
        })
    }

    fn remove_item(&self, sku: String) -> Result<Vec<CartEvent>, CartError> {
        self.open()?;
        self.line(&sku)?;
        Ok(vec![CartEvent::ItemRemoved { sku }])
    }

    fn clear(&self) -> Result<Vec<CartEvent>, CartError> {
        self.open()?;
        Ok(if self.lines.is_empty() {
            Vec::new()
        } else {
            vec![CartEvent::Cleared]
        })
    }

    fn checkout(&self) -> Result<Vec<CartEvent>, CartError> {
        self.open()?;
        if self.lines.is_empty() {
            return Err(CartError::EmptyCart);
        }
        let total_cents = self.total_with("", 0, 0)?;
        let lines = self
            .lines
            .iter()
            .map(|(sku, line)| (sku.clone(), line.quantity))
            .collect();
        Ok(vec![CartEvent::CheckedOut { total_cents, lines }])
    }

    fn reopen(&self, order: String, reason: String) -> Result<Vec<CartEvent>, CartError> {
        if !self.exists {
            return Err(CartError::NotFound);
        }
        Ok(match self.checked_out {
            true => vec![CartEvent::Reopened { order, reason }],
            false => Vec::new(),
        })
    }

    /// The total in cents with `sku`'s line at `quantity` units of `unit_price_cents`,
    /// or the refusal when it would not fit: every add and change keeps the total
    /// countable, so checkout never wraps.
    fn total_with(
        &self,
        sku: &str,
        quantity: u32,
        unit_price_cents: u64,
    ) -> Result<u64, CartError> {
        let changed = (!sku.is_empty()).then_some((quantity, unit_price_cents));
        let others = self.lines.iter().filter(|(s, _)| s.as_str() != sku);
        let lines = others
            .map(|(_, l)| (l.quantity, l.unit_price_cents))
            .chain(changed);
        lines
            .map(|(quantity, price)| u64::from(quantity).checked_mul(price))
            .try_fold(0u64, |total, line| total.checked_add(line?))
            .ok_or(CartError::TotalTooLarge)
    }

    fn on_item_added(&mut self, sku: String, quantity: u32, unit_price_cents: u64) {
        self.exists = true;
        let line = self.lines.entry(sku).or_insert(Line {
            quantity: 0,
            unit_price_cents,
        });
        line.quantity = line.quantity.saturating_add(quantity);
        if line.unit_price_cents == UNKNOWN_PRICE {
            line.unit_price_cents = unit_price_cents;
        }
    }

    fn on_quantity_changed(&mut self, sku: String, quantity: u32) {
        if let Some(line) = self.lines.get_mut(&sku) {
            line.quantity = quantity;
        }
    }

    fn on_item_removed(&mut self, sku: String) {
        self.lines.remove(&sku);
    }

    fn on_cleared(&mut self) {
        self.lines.clear();
    }

    fn on_checked_out(&mut self, _total_cents: u64, _lines: BTreeMap<String, u32>) {
        self.checked_out = true;
    }

    fn on_reopened(&mut self, _order: String, _reason: String) {
        self.checked_out = false;
    }
}
