//! The order fulfilment process: from a checkout to a paid order, or back to an
//! open cart.
//!
//! | event | the process |
//! |---|---|
//! | `cart.checked_out` | starts an order (id: the event's id); places it; reserves each product (a checkout from before orders, without lines, ends at once) |
//! | `stock.reserved` (every product) | asks for the payment, due after the payment window |
//! | `stock.short` | releases what was reserved, rejects the order, reopens the cart; ends |
//! | `payment.requested` | the order awaits payment; a deadline at the due time |
//! | `payment.confirmed` | confirms the order; ships its stock; ends |
//! | `payment.failed`, `payment.expired` | releases the stock, cancels the order, reopens the cart; ends |
//! | the payment deadline | expires the payment (nothing once it is settled: the payment decides) |

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cqrs_core::process::{CommandBus, ProcessManager};
use cqrs_core::{EventHeader, ExecuteOptions, HandlerError, Repository, Store};
use serde::{Deserialize, Serialize};

use super::order::{Order, OrderCommand};
use super::payment::{Payment, PaymentCommand, PaymentEvent};
use super::stock::{Stock, StockCommand, StockEvent};
use crate::domain::{Cart, CartCommand, CartEvent};
use crate::views::cart_id;

/// A command the fulfilment process sends, with the id of the aggregate it goes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Order(String, OrderCommand),
    /// To the stock of a product (by sku).
    Stock(String, StockCommand),
    /// Ask for the payment of an order; the bus sets when it is due.
    RequestPayment {
        order: String,
        amount_cents: u64,
    },
    Payment(String, PaymentCommand),
    Cart(String, CartCommand),
}

/// One order's way through fulfilment.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, ProcessManager)]
#[process(name = "fulfilment", command = Step, done = ended)]
#[process(deadlines = pending, on_deadline = payment_due)]
#[process(start(CartEvent::CheckedOut, by_event_id))]
#[process(on(StockEvent::Reserved, by = order))]
#[process(on(StockEvent::Short, by = order))]
#[process(on(PaymentEvent::Requested, by = order))]
#[process(on(PaymentEvent::Confirmed, by = order))]
#[process(on(PaymentEvent::Failed, by = order))]
#[process(on(PaymentEvent::Expired, by = order))]
pub struct Fulfilment {
    pub order: String,
    pub cart: String,
    pub lines: BTreeMap<String, u32>,
    pub total_cents: u64,
    pub reserved: BTreeSet<String>,
    /// When the payment is due, while it is pending.
    pub due: Option<DateTime<Utc>>,
    pub finished: bool,
}

/// The deadline of an order's payment.
pub const PAYMENT_DEADLINE: &str = "payment";

impl Fulfilment {
    fn on_checked_out(
        &mut self,
        header: &EventHeader,
        total_cents: u64,
        lines: BTreeMap<String, u32>,
    ) -> Vec<Step> {
        if lines.is_empty() {
            // Checked out before orders existed: no order to fulfil.
            self.finished = true;
            return Vec::new();
        }
        self.order = header.event_id.to_string();
        self.cart = cart_id(&header.stream_id).to_owned();
        self.lines = lines.clone();
        self.total_cents = total_cents;
        let place = OrderCommand::Place {
            cart: self.cart.clone(),
            lines: lines.clone(),
            total_cents,
        };
        let mut steps = vec![Step::Order(self.order.clone(), place)];
        steps.extend(lines.into_iter().map(|(sku, quantity)| {
            let order = self.order.clone();
            Step::Stock(sku, StockCommand::Reserve { order, quantity })
        }));
        steps
    }

    fn on_reserved(&mut self, header: &EventHeader, _: String, _: u32) -> Vec<Step> {
        self.reserved.insert(sku_of(header));
        self.payment_when_reserved().into_iter().collect()
    }

    fn on_short(&mut self, header: &EventHeader, _: String, wanted: u32, free: u32) -> Vec<Step> {
        let reason = format!(
            "only {free} of the {wanted} `{}` wanted are in stock",
            sku_of(header)
        );
        let mut steps = self.release_and_reopen(&reason);
        let order = self.order.clone();
        steps.insert(0, Step::Order(order, OrderCommand::Reject { reason }));
        steps
    }

    fn on_requested(
        &mut self,
        _: &EventHeader,
        order: String,
        _: u64,
        due: DateTime<Utc>,
    ) -> Vec<Step> {
        self.due = Some(due);
        vec![Step::Order(order, OrderCommand::AwaitPayment { due })]
    }

    fn on_confirmed(&mut self, _: &EventHeader, order: String) -> Vec<Step> {
        self.due = None;
        self.finished = true;
        let mut steps = vec![Step::Order(order.clone(), OrderCommand::Confirm)];
        steps.extend(self.lines.keys().map(|sku| {
            let order = order.clone();
            Step::Stock(sku.clone(), StockCommand::Ship { order })
        }));
        steps
    }

    fn on_failed(&mut self, _: &EventHeader, _: String, reason: String) -> Vec<Step> {
        self.cancel(format!("the payment failed: {reason}"))
    }

    fn on_expired(&mut self, _: &EventHeader, _: String) -> Vec<Step> {
        let reason = match self.due {
            Some(due) => format!(
                "the payment was not received by {}",
                due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            None => "the payment was not received in time".to_owned(),
        };
        self.cancel(reason)
    }

    fn ended(&self) -> bool {
        self.finished
    }

    fn pending(&self) -> Vec<(String, DateTime<Utc>)> {
        self.due
            .map(|due| (PAYMENT_DEADLINE.to_owned(), due))
            .into_iter()
            .collect()
    }

    /// The payment is late: expire it. The payment decides: if it was confirmed
    /// meanwhile, expiring changes nothing and the confirmation completes the order.
    fn payment_due(&mut self, _: &str, _: DateTime<Utc>) -> Vec<Step> {
        vec![Step::Payment(self.order.clone(), PaymentCommand::Expire)]
    }

    /// The payment request, once every product is reserved.
    fn payment_when_reserved(&self) -> Option<Step> {
        (self.reserved.len() == self.lines.len()).then(|| Step::RequestPayment {
            order: self.order.clone(),
            amount_cents: self.total_cents,
        })
    }

    /// Cancels the order and undoes what it held; the process ends.
    fn cancel(&mut self, reason: String) -> Vec<Step> {
        let mut steps = self.release_and_reopen(&reason);
        let order = self.order.clone();
        steps.insert(0, Step::Order(order, OrderCommand::Cancel { reason }));
        steps
    }

    /// Every product back on the shelf (releasing one that holds nothing changes
    /// nothing) and the cart open again; the process ends.
    fn release_and_reopen(&mut self, reason: &str) -> Vec<Step> {
        self.due = None;
        self.finished = true;
        let order = self.order.clone();
        let mut steps: Vec<Step> = self
            .lines
            .keys()
            .map(|sku| {
                let order = order.clone();
                Step::Stock(sku.clone(), StockCommand::Release { order })
            })
            .collect();
        let reopen = CartCommand::Reopen {
            order,
            reason: reason.to_owned(),
        };
        steps.push(Step::Cart(self.cart.clone(), reopen));
        steps
    }
}

/// The sku of a stock stream: `stock-apple` -> `apple`.
fn sku_of(header: &EventHeader) -> String {
    let stream = &header.stream_id;
    stream.strip_prefix("stock-").unwrap_or(stream).to_owned()
}

/// Delivers the process's commands through the repositories of each aggregate.
pub struct FulfilmentBus<S: Store> {
    carts: Repository<Cart, S>,
    orders: Repository<Order, S>,
    stock: Repository<Stock, S>,
    payments: Repository<Payment, S>,
    payment_window: Duration,
}

impl<S: Store> FulfilmentBus<S> {
    /// The bus over `store`; payments are due `payment_window` after they are asked for.
    pub fn new(store: &S, payment_window: Duration) -> Self {
        FulfilmentBus {
            carts: Repository::new(store.clone()),
            orders: Repository::new(store.clone()),
            stock: Repository::new(store.clone()),
            payments: Repository::new(store.clone()),
            payment_window,
        }
    }
}

impl<S: Store> CommandBus<Step> for FulfilmentBus<S> {
    async fn send(&self, step: Step, options: ExecuteOptions) -> Result<(), HandlerError> {
        match step {
            Step::Order(id, command) => {
                drop(self.orders.execute_with(&id, command, options).await?)
            }
            Step::Stock(sku, command) => {
                drop(self.stock.execute_with(&sku, command, options).await?)
            }
            Step::Payment(id, command) => {
                drop(self.payments.execute_with(&id, command, options).await?)
            }
            Step::Cart(id, command) => drop(self.carts.execute_with(&id, command, options).await?),
            Step::RequestPayment {
                order,
                amount_cents,
            } => {
                let window = chrono::Duration::from_std(self.payment_window)
                    .map_err(|e| format!("the payment window does not fit a date: {e}"))?;
                let due = Utc::now()
                    .checked_add_signed(window)
                    .ok_or("the payment window ends after the last representable date")?;
                let command = PaymentCommand::Request {
                    order: order.clone(),
                    amount_cents,
                    due,
                };
                drop(self.payments.execute_with(&order, command, options).await?)
            }
        }
        Ok(())
    }
}

/// The process's name, as status and the parked list show it.
pub const NAME: &str = Fulfilment::NAME;
