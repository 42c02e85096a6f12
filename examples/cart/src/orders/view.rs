//! The orders as customers and operators see them: a catch-up read model.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_core::{EventHeader, Projection};
use serde::{Deserialize, Serialize};

use super::order::{OrderEvent, OrderStatus};

/// One order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub order: String,
    pub cart: String,
    pub status: OrderStatus,
    /// Units per product.
    pub lines: BTreeMap<String, u32>,
    pub total_cents: u64,
    /// When the payment is due, while the order awaits it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_due: Option<DateTime<Utc>>,
    /// Why it was rejected or cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The order stream's version this summary shows.
    pub version: u64,
}

/// Every order, by id.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(
    name = "orders",
    event = OrderEvent,
    handles(Placed, AwaitingPayment, Confirmed, Rejected, Cancelled)
)]
pub struct OrderList {
    orders: BTreeMap<String, OrderSummary>,
}

impl OrderList {
    /// One order.
    pub fn get(&self, order: &str) -> Option<&OrderSummary> {
        self.orders.get(order)
    }

    /// Every order, newest first.
    pub fn newest_first(&self) -> Vec<OrderSummary> {
        let mut orders: Vec<OrderSummary> = self.orders.values().cloned().collect();
        orders.sort_by(|a, b| b.placed_at.cmp(&a.placed_at).then(a.order.cmp(&b.order)));
        orders
    }

    fn on_placed(
        &mut self,
        header: &EventHeader,
        cart: String,
        lines: BTreeMap<String, u32>,
        total_cents: u64,
    ) {
        let order = order_id(header).to_owned();
        self.orders.insert(
            order.clone(),
            OrderSummary {
                order,
                cart,
                status: OrderStatus::Placed,
                lines,
                total_cents,
                payment_due: None,
                reason: None,
                placed_at: header.recorded_at,
                updated_at: header.recorded_at,
                version: header.stream_version,
            },
        );
    }

    fn on_awaiting_payment(&mut self, header: &EventHeader, due: DateTime<Utc>) {
        self.update(header, OrderStatus::AwaitingPayment, None);
        if let Some(summary) = self.orders.get_mut(order_id(header)) {
            summary.payment_due = Some(due);
        }
    }

    fn on_confirmed(&mut self, header: &EventHeader) {
        self.update(header, OrderStatus::Confirmed, None);
    }

    fn on_rejected(&mut self, header: &EventHeader, reason: String) {
        self.update(header, OrderStatus::Rejected, Some(reason));
    }

    fn on_cancelled(&mut self, header: &EventHeader, reason: String) {
        self.update(header, OrderStatus::Cancelled, Some(reason));
    }

    fn update(&mut self, header: &EventHeader, status: OrderStatus, reason: Option<String>) {
        if let Some(summary) = self.orders.get_mut(order_id(header)) {
            summary.status = status;
            summary.payment_due = None;
            summary.reason = reason;
            summary.updated_at = header.recorded_at;
            summary.version = header.stream_version;
        }
    }
}

/// The order id in an order stream id: `order-<id>` -> `<id>`.
fn order_id(header: &EventHeader) -> &str {
    let stream = &header.stream_id;
    stream.strip_prefix("order-").unwrap_or(stream)
}
