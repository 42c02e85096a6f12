//! The order-fulfilment process the process tests share: orders, stock, and the
//! manager that reserves stock per line and releases it when payment is late.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cqrs_core::process::{CommandBus, ProcessManager, ProcessTarget, Route};
use cqrs_core::runner::ProjectionRunner;
use cqrs_core::{
    Aggregate, Command, DomainEvent, EventHeader, ExecuteOptions, HandlerError, Repository, Store,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Order)]
pub(crate) enum OrderEvent {
    #[event(name = "order.placed")]
    Placed {
        lines: Vec<(String, u32)>,
        pay_within_ms: u64,
    },
    #[event(name = "order.cancelled")]
    Cancelled,
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Order)]
pub(crate) enum OrderCommand {
    Place {
        lines: Vec<(String, u32)>,
        pay_within_ms: u64,
    },
    Cancel,
}

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("order refused")]
pub(crate) struct Refused;

#[derive(Debug, Default, Aggregate)]
#[aggregate(name = "order", event = OrderEvent, error = Refused)]
pub(crate) struct Order {
    placed: bool,
}

impl Order {
    fn place(
        &self,
        lines: Vec<(String, u32)>,
        pay_within_ms: u64,
    ) -> Result<Vec<OrderEvent>, Refused> {
        Ok(vec![OrderEvent::Placed {
            lines,
            pay_within_ms,
        }])
    }

    fn cancel(&self) -> Result<Vec<OrderEvent>, Refused> {
        Ok(vec![OrderEvent::Cancelled])
    }

    fn on_placed(&mut self, _: Vec<(String, u32)>, _: u64) {
        self.placed = true;
    }

    fn on_cancelled(&mut self) {}
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Stock)]
pub(crate) enum StockEvent {
    #[event(name = "stock.reserved")]
    Reserved { order: String, units: u32 },
    #[event(name = "stock.released")]
    Released { order: String },
}

#[derive(Debug, Clone, PartialEq, Command)]
#[command(aggregate = Stock)]
pub(crate) enum StockCommand {
    Reserve { order: String, units: u32 },
    Release { order: String },
}

#[derive(Debug, Default, Aggregate)]
#[aggregate(name = "stock", event = StockEvent, error = Refused)]
pub(crate) struct Stock {
    pub(crate) reserved: BTreeMap<String, u32>,
}

impl Stock {
    fn reserve(&self, order: String, units: u32) -> Result<Vec<StockEvent>, Refused> {
        Ok(vec![StockEvent::Reserved { order, units }])
    }

    fn release(&self, order: String) -> Result<Vec<StockEvent>, Refused> {
        Ok(vec![StockEvent::Released { order }])
    }

    fn on_reserved(&mut self, order: String, units: u32) {
        *self.reserved.entry(order).or_default() += units;
    }

    fn on_released(&mut self, order: String) {
        self.reserved.remove(&order);
    }
}

/// A payment window no test waits for.
pub(crate) const HOUR: u64 = 3_600_000;

/// One instance per order: reserves every line once; releases them when the payment
/// deadline passes; done when cancelled (which cancels the deadline).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Fulfilment {
    order: String,
    pub(crate) reserved: u32,
    skus: Vec<String>,
    pay_by: Option<DateTime<Utc>>,
    cancelled: bool,
}

impl ProcessManager for Fulfilment {
    const NAME: &'static str = "fulfilment";
    type Event = OrderEvent;
    type Command = (String, StockCommand);

    fn route(header: &EventHeader, event: &OrderEvent) -> Route {
        let order = header.stream_id.trim_start_matches("order-").to_owned();
        match event {
            OrderEvent::Placed { .. } => Route::Start(order),
            OrderEvent::Cancelled => Route::Continue(order),
        }
    }

    async fn handle(
        &mut self,
        header: &EventHeader,
        event: OrderEvent,
    ) -> Result<Vec<(String, StockCommand)>, HandlerError> {
        let order = header.stream_id.to_string();
        Ok(match event {
            OrderEvent::Placed {
                lines,
                pay_within_ms,
            } => {
                self.order = order.clone();
                self.pay_by = Some(header.recorded_at + Duration::from_millis(pay_within_ms));
                lines
                    .into_iter()
                    .map(|(sku, units)| {
                        self.reserved += units;
                        self.skus.push(sku.clone());
                        let order = order.clone();
                        (sku, StockCommand::Reserve { order, units })
                    })
                    .collect()
            }
            OrderEvent::Cancelled => {
                self.cancelled = true;
                Vec::new()
            }
        })
    }

    fn is_done(&self) -> bool {
        self.cancelled
    }

    fn deadlines(&self) -> Vec<(String, DateTime<Utc>)> {
        self.pay_by
            .map(|at| ("payment".to_owned(), at))
            .into_iter()
            .collect()
    }

    async fn on_deadline(
        &mut self,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<Vec<(String, StockCommand)>, HandlerError> {
        self.pay_by = None;
        self.reserved = 0;
        Ok(std::mem::take(&mut self.skus)
            .into_iter()
            .map(|sku| {
                let order = self.order.clone();
                (sku, StockCommand::Release { order })
            })
            .collect())
    }
}

/// Sends reservations through the stock repository; fails the `n`-th send once
/// when asked, as a crash between two commands would, and every command for the sku
/// in `refused` while it is set.
pub(crate) struct StockBus<S: Store> {
    stock: Repository<Stock, S>,
    sends: Arc<AtomicU32>,
    fail_at: Option<u32>,
    refused: Arc<Mutex<Option<String>>>,
}

impl<S: Store> CommandBus<(String, StockCommand)> for StockBus<S> {
    async fn send(
        &self,
        (sku, command): (String, StockCommand),
        options: ExecuteOptions,
    ) -> Result<(), HandlerError> {
        let n = self.sends.fetch_add(1, Ordering::SeqCst);
        if self.fail_at == Some(n) {
            return Err("the process died between two commands".into());
        }
        if self.refused.lock().unwrap().as_deref() == Some(sku.as_str()) {
            return Err(format!("the warehouse refuses `{sku}`").into());
        }
        self.stock.execute_with(&sku, command, options).await?;
        Ok(())
    }
}

/// The fulfilment process as a runner runs it.
pub(crate) type FulfilmentRunner<S> =
    ProjectionRunner<S, ProcessTarget<Fulfilment, S, StockBus<S>>>;

pub(crate) fn runner<S: Store>(
    store: &S,
    fail_at: Option<u32>,
) -> (FulfilmentRunner<S>, Arc<AtomicU32>) {
    let (target, sends) = target(store, fail_at, Arc::default());
    (ProjectionRunner::new(store.clone(), target), sends)
}

/// The fulfilment process's target, refusing the sku in `refused` while it is set.
pub(crate) fn target<S: Store>(
    store: &S,
    fail_at: Option<u32>,
    refused: Arc<Mutex<Option<String>>>,
) -> (ProcessTarget<Fulfilment, S, StockBus<S>>, Arc<AtomicU32>) {
    let sends = Arc::new(AtomicU32::new(0));
    let bus = StockBus {
        stock: Repository::new(store.clone()),
        sends: sends.clone(),
        fail_at,
        refused,
    };
    (ProcessTarget::new(store.clone(), bus), sends)
}
