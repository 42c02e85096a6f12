//! The orders' part of the command line: subcommands and tables.

use chrono::SecondsFormat;
use clap::Subcommand;

use super::service::{ParkedOrder, StockLevel};
use super::view::OrderSummary;
use crate::cli::money;

/// `cart stock ...`.
#[derive(Debug, Subcommand)]
pub enum StockAction {
    /// Count a product's units on hand (reservations included).
    Set {
        /// The product.
        sku: String,
        /// Units on hand.
        on_hand: u32,
    },
}

/// `cart payment ...`: the simulated payment provider.
#[derive(Debug, Subcommand)]
pub enum PaymentAction {
    /// The provider confirms an order's payment: the order is confirmed.
    Confirm {
        /// The order (from `cart orders`).
        order: String,
    },
    /// The provider refuses an order's payment: the order is cancelled, its stock
    /// released and its cart reopened.
    Fail {
        /// The order (from `cart orders`).
        order: String,
        /// Why, as the provider says it.
        reason: String,
    },
}

/// `cart parked ...`: orders whose events failed and wait for an operator.
#[derive(Debug, Subcommand)]
pub enum ParkedAction {
    /// Every parked order, its events and their errors (the default).
    List,
    /// Handle an order's parked events again, in order (commands already sent are
    /// not sent twice).
    Retry {
        /// The order.
        order: String,
    },
    /// Drop an order's parked events unhandled; the order goes on from where it was.
    Evict {
        /// The order.
        order: String,
    },
}

pub fn orders_table(orders: &[OrderSummary]) -> String {
    let mut out = format!(
        "{:<36}  {:<12}  {:<16}  {:>10}  {}\n",
        "ORDER", "CART", "STATUS", "TOTAL", "DETAIL"
    );
    for o in orders {
        let detail = match (&o.reason, o.payment_due) {
            (Some(reason), _) => reason.clone(),
            (None, Some(due)) => {
                format!("pay by {}", due.to_rfc3339_opts(SecondsFormat::Secs, true))
            }
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "{:<36}  {:<12}  {:<16}  {:>10}  {detail}\n",
            o.order,
            o.cart,
            status(o),
            money(o.total_cents)
        ));
    }
    out
}

pub fn order_table(order: &OrderSummary) -> String {
    let mut out = format!(
        "order {}  cart {}  {}  placed {}\n",
        order.order,
        order.cart,
        status(order),
        order.placed_at.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    if let Some(due) = order.payment_due {
        out.push_str(&format!(
            "payment due by {}\n",
            due.to_rfc3339_opts(SecondsFormat::Secs, true)
        ));
    }
    if let Some(reason) = &order.reason {
        out.push_str(&format!("reason: {reason}\n"));
    }
    for (sku, quantity) in &order.lines {
        out.push_str(&format!("  {quantity:>5} x {sku}\n"));
    }
    out.push_str(&format!("total {}\n", money(order.total_cents)));
    out
}

pub fn stock_line(level: &StockLevel) -> String {
    format!(
        "stock of {}: {} on hand, {} reserved, {} free\n",
        level.sku, level.on_hand, level.reserved, level.free
    )
}

pub fn parked_table(parked: &[ParkedOrder]) -> String {
    if parked.is_empty() {
        return "no parked orders\n".to_owned();
    }
    let mut out = String::new();
    for order in parked {
        out.push_str(&format!("order {}\n", order.order));
        for event in &order.events {
            out.push_str(&format!(
                "  position {:>8}  {:<22}  {}\n",
                event.position, event.event_name, event.error
            ));
        }
    }
    out
}

fn status(order: &OrderSummary) -> String {
    serde_json::to_value(order.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
