//! A small cart shared by the documentation examples.
#![allow(missing_docs)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::EventHeader;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, crate::DomainEvent)]
#[event(aggregate = Cart)]
pub enum CartEvent {
    ItemAdded { sku: String, quantity: u32 },
    CheckedOut,
}

#[derive(Debug, Clone, crate::Command)]
#[command(aggregate = Cart)]
pub enum CartCommand {
    AddItem { sku: String, quantity: u32 },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum CartError {
    #[error("quantity must be at least 1")]
    ZeroQuantity,
}

#[derive(Debug, Default, crate::Aggregate)]
#[aggregate(event = CartEvent, error = CartError)]
pub struct Cart {
    pub items: BTreeMap<String, u32>,
    pub checked_out: bool,
}

impl Cart {
    fn add_item(&self, sku: String, quantity: u32) -> Result<Vec<CartEvent>, CartError> {
        if quantity == 0 {
            return Err(CartError::ZeroQuantity);
        }
        Ok(vec![CartEvent::ItemAdded { sku, quantity }])
    }

    fn on_item_added(&mut self, sku: String, quantity: u32) {
        *self.items.entry(sku).or_default() += quantity;
    }

    fn on_checked_out(&mut self) {
        self.checked_out = true;
    }
}

#[derive(Debug, Default, PartialEq, Serialize, Deserialize, crate::Projection)]
#[projection(event = CartEvent, handles(ItemAdded))]
pub struct ItemCount {
    pub items: u32,
}

impl ItemCount {
    fn on_item_added(&mut self, _: &EventHeader, _sku: String, quantity: u32) {
        self.items += quantity;
    }
}
