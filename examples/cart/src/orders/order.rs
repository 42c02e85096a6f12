//! Orders: what a checkout bought, and how it ended.

use std::collections::BTreeMap;

use cqrs_core::{Aggregate, Command, DomainEvent};
use serde::{Deserialize, Serialize};

/// What happened to an order (stream `order-{id}`; the id is the checkout event's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Order)]
pub enum OrderEvent {
    /// A checked-out cart became an order: units per product and the total.
    #[event(name = "order.placed")]
    Placed {
        cart: String,
        lines: BTreeMap<String, u32>,
        total_cents: u64,
    },
    /// Stock is reserved and the payment is asked for, due at `due`.
    #[event(name = "order.awaiting_payment")]
    AwaitingPayment { due: chrono::DateTime<chrono::Utc> },
    /// Paid: the order is complete.
    #[event(name = "order.confirmed")]
    Confirmed,
    /// Refused before payment: a product was short.
    #[event(name = "order.rejected")]
    Rejected { reason: String },
    /// Given up after the payment failed or expired; its stock went back.
    #[event(name = "order.cancelled")]
    Cancelled { reason: String },
}

/// What the fulfilment process asks of an order.
#[derive(Debug, Clone, PartialEq, Command)]
#[command(aggregate = Order)]
pub enum OrderCommand {
    Place {
        cart: String,
        lines: BTreeMap<String, u32>,
        total_cents: u64,
    },
    AwaitPayment {
        due: chrono::DateTime<chrono::Utc>,
    },
    Confirm,
    Reject {
        reason: String,
    },
    Cancel {
        reason: String,
    },
}

/// Where an order stands.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Not placed yet.
    #[default]
    None,
    /// Placed: stock being reserved.
    Placed,
    /// Stock reserved, waiting for the payment.
    AwaitingPayment,
    Confirmed,
    Rejected,
    Cancelled,
}

impl OrderStatus {
    /// Confirmed, rejected or cancelled: nothing changes it any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Confirmed | Self::Rejected | Self::Cancelled)
    }
}

/// Why an order refused a command.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OrderError {
    #[error("the order is {0:?} and can no longer change")]
    Final(OrderStatus),
    #[error("the order was never placed")]
    NotPlaced,
}

/// An order's state: its status. Every command is idempotent: asking for the state
/// the order is already in changes nothing.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, Aggregate)]
#[aggregate(name = "order", event = OrderEvent, error = OrderError)]
pub struct Order {
    pub status: OrderStatus,
}

impl Order {
    /// Events for a move to `to`, unless the order is already there; refused from a
    /// final status or before it was placed.
    fn move_to(&self, to: OrderStatus, event: OrderEvent) -> Result<Vec<OrderEvent>, OrderError> {
        match self.status {
            status if status == to => Ok(Vec::new()),
            OrderStatus::None => Err(OrderError::NotPlaced),
            status if status.is_final() => Err(OrderError::Final(status)),
            _ => Ok(vec![event]),
        }
    }

    fn place(
        &self,
        cart: String,
        lines: BTreeMap<String, u32>,
        total_cents: u64,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        Ok(match self.status {
            OrderStatus::None => vec![OrderEvent::Placed {
                cart,
                lines,
                total_cents,
            }],
            _ => Vec::new(),
        })
    }

    fn await_payment(
        &self,
        due: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.move_to(
            OrderStatus::AwaitingPayment,
            OrderEvent::AwaitingPayment { due },
        )
    }

    fn confirm(&self) -> Result<Vec<OrderEvent>, OrderError> {
        self.move_to(OrderStatus::Confirmed, OrderEvent::Confirmed)
    }

    fn reject(&self, reason: String) -> Result<Vec<OrderEvent>, OrderError> {
        self.move_to(OrderStatus::Rejected, OrderEvent::Rejected { reason })
    }

    fn cancel(&self, reason: String) -> Result<Vec<OrderEvent>, OrderError> {
        self.move_to(OrderStatus::Cancelled, OrderEvent::Cancelled { reason })
    }

    fn on_placed(&mut self, _: String, _: BTreeMap<String, u32>, _: u64) {
        self.status = OrderStatus::Placed;
    }

    fn on_awaiting_payment(&mut self, _: chrono::DateTime<chrono::Utc>) {
        self.status = OrderStatus::AwaitingPayment;
    }

    fn on_confirmed(&mut self) {
        self.status = OrderStatus::Confirmed;
    }

    fn on_rejected(&mut self, _: String) {
        self.status = OrderStatus::Rejected;
    }

    fn on_cancelled(&mut self, _: String) {
        self.status = OrderStatus::Cancelled;
    }
}
