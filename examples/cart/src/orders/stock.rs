//! Inventory: a limited quantity per product, reserved per order.

use std::collections::BTreeMap;

use cqrs_core::{Aggregate, Command, DomainEvent};
use serde::{Deserialize, Serialize};

/// What happened to one product's stock (stream `stock-{sku}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Stock)]
pub enum StockEvent {
    /// The units on hand were counted: this many, reservations included.
    #[event(name = "stock.counted")]
    Counted { on_hand: u32 },
    /// Units were set aside for an order.
    #[event(name = "stock.reserved")]
    Reserved { order: String, quantity: u32 },
    /// An order asked for more than was free; nothing was set aside.
    #[event(name = "stock.short")]
    Short {
        order: String,
        wanted: u32,
        free: u32,
    },
    /// An order's units went back on the shelf.
    #[event(name = "stock.released")]
    Released { order: String, quantity: u32 },
    /// A paid order's units left: they are no longer on hand.
    #[event(name = "stock.shipped")]
    Shipped { order: String, quantity: u32 },
}

/// What is asked of one product's stock.
#[derive(Debug, Clone, PartialEq, Command)]
#[command(aggregate = Stock)]
pub enum StockCommand {
    /// Count the units on hand (`cart stock set apple 10`).
    Count { on_hand: u32 },
    /// Set units aside for an order: `stock.reserved`, or `stock.short` when fewer
    /// are free. Once per order: asking again changes nothing.
    Reserve { order: String, quantity: u32 },
    /// Put an order's units back; nothing when it holds none.
    Release { order: String },
    /// Ship a paid order's units; nothing when it holds none.
    Ship { order: String },
}

/// Why stock refused a command.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StockError {
    #[error("{on_hand} units on hand is fewer than the {reserved} already reserved")]
    BelowReserved { on_hand: u32, reserved: u32 },
    #[error("an order needs at least one unit")]
    ZeroQuantity,
    #[error("a product needs a non-empty sku")]
    EmptySku,
}

/// One product's stock: units on hand and what each order holds.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, Aggregate)]
#[aggregate(name = "stock", event = StockEvent, error = StockError)]
pub struct Stock {
    pub on_hand: u32,
    pub held: BTreeMap<String, u32>,
    /// Orders that were refused, so a repeated reservation is refused the same way.
    pub refused: BTreeMap<String, u32>,
}

impl Stock {
    /// Units reserved by every order.
    pub fn reserved(&self) -> u32 {
        self.held
            .values()
            .fold(0u32, |sum, n| sum.saturating_add(*n))
    }

    /// Units neither reserved nor missing.
    pub fn free(&self) -> u32 {
        self.on_hand.saturating_sub(self.reserved())
    }

    fn count(&self, on_hand: u32) -> Result<Vec<StockEvent>, StockError> {
        let reserved = self.reserved();
        if on_hand < reserved {
            return Err(StockError::BelowReserved { on_hand, reserved });
        }
        Ok(vec![StockEvent::Counted { on_hand }])
    }

    fn reserve(&self, order: String, quantity: u32) -> Result<Vec<StockEvent>, StockError> {
        if quantity == 0 {
            return Err(StockError::ZeroQuantity);
        }
        if self.held.contains_key(&order) || self.refused.contains_key(&order) {
            return Ok(Vec::new());
        }
        let free = self.free();
        Ok(vec![if quantity <= free {
            StockEvent::Reserved { order, quantity }
        } else {
            StockEvent::Short {
                order,
                wanted: quantity,
                free,
            }
        }])
    }

    fn release(&self, order: String) -> Result<Vec<StockEvent>, StockError> {
        Ok(match self.held.get(&order) {
            Some(&quantity) => vec![StockEvent::Released { order, quantity }],
            None => Vec::new(),
        })
    }

    fn ship(&self, order: String) -> Result<Vec<StockEvent>, StockError> {
        Ok(match self.held.get(&order) {
            Some(&quantity) => vec![StockEvent::Shipped { order, quantity }],
            None => Vec::new(),
        })
    }

    fn on_counted(&mut self, on_hand: u32) {
        self.on_hand = on_hand;
    }

    fn on_reserved(&mut self, order: String, quantity: u32) {
        self.held.insert(order, quantity);
    }

    fn on_short(&mut self, order: String, wanted: u32, _free: u32) {
        self.refused.insert(order, wanted);
    }

    fn on_released(&mut self, order: String, _quantity: u32) {
        self.held.remove(&order);
    }

    fn on_shipped(&mut self, order: String, quantity: u32) {
        self.held.remove(&order);
        self.on_hand = self.on_hand.saturating_sub(quantity);
    }
}
