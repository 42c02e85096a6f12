//! The orders side of the application: stock, payments, the fulfilment worker,
//! the orders read model, and what an operator does with parked orders.

use std::future::Future;
use std::time::Duration;

use cqrs_core::process::{Parked, ProcessManager, ProcessTarget};
use cqrs_core::runner::{
    DocumentTarget, ProjectionRunner, ProjectionStatus, RunnerOptions, Waiting, read_view,
};
use cqrs_core::{CommandError, Projection, Repository, Store};
use serde::Serialize;
use tokio::sync::{Mutex, watch};

use super::fulfilment::{Fulfilment, FulfilmentBus};
use super::payment::{Payment, PaymentCommand, PaymentError, PaymentStatus};
use super::stock::{Stock, StockCommand, StockError};
use super::view::{OrderList, OrderSummary};
use crate::service::AppError;

/// The fulfilment process as a runner runs it.
pub type FulfilmentRunner<S> = ProjectionRunner<S, ProcessTarget<Fulfilment, S, FulfilmentBus<S>>>;

/// How long a customer has to pay, unless configured.
pub const DEFAULT_PAYMENT_WINDOW: Duration = Duration::from_secs(15 * 60);

/// How many rounds a command-line call runs the fulfilment for (each round handles
/// what the previous one's commands recorded; an order takes five).
const SETTLE_ROUNDS: usize = 20;

/// One product's stock after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockLevel {
    pub sku: String,
    pub on_hand: u32,
    pub reserved: u32,
    pub free: u32,
}

/// A parked order: its events waiting for an operator, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParkedOrder {
    pub order: String,
    pub events: Vec<Parked>,
}

/// Stock, payments and orders over a store.
pub struct Orders<S: Store> {
    store: S,
    stock: Repository<Stock, S>,
    payments: Repository<Payment, S>,
    /// The orders read model, caught up when read.
    view: Mutex<ProjectionRunner<S, DocumentTarget<OrderList, S>>>,
    /// Runs the fulfilment when this process has no worker (the command line).
    on_demand: Mutex<FulfilmentRunner<S>>,
    /// What an operator uses: parked lists, retries, evictions.
    operator: Mutex<ProcessTarget<Fulfilment, S, FulfilmentBus<S>>>,
    worker: Option<watch::Receiver<ProjectionStatus>>,
    payment_window: Duration,
}

impl<S: Store> Orders<S> {
    /// Orders over `store`; payments are due `payment_window` after they are asked for.
    pub fn new(store: S, payment_window: Duration) -> Self {
        let view = ProjectionRunner::new(store.clone(), DocumentTarget::new(store.clone()));
        let operator =
            ProcessTarget::new(store.clone(), FulfilmentBus::new(&store, payment_window));
        Orders {
            stock: Repository::new(store.clone()),
            payments: Repository::new(store.clone()),
            view: Mutex::new(view),
            on_demand: Mutex::new(fulfilment_runner(
                &store,
                payment_window,
                RunnerOptions::default(),
            )),
            operator: Mutex::new(operator),
            worker: None,
            payment_window,
            store,
        }
    }

    /// Runs the fulfilment in the background until `shutdown`; with several
    /// processes on one database, one of them is active.
    pub fn spawn_worker(&mut self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let options = RunnerOptions {
            poll_interval: Duration::from_millis(200),
            ..RunnerOptions::default()
        };
        let mut runner = fulfilment_runner(&self.store, self.payment_window, options);
        self.worker = Some(runner.watch_status());
        tokio::spawn(async move {
            runner
                .run_exclusive(Duration::from_millis(500), shutdown)
                .await
        });
    }

    /// The background worker's status, when this process runs one.
    pub fn worker_status(&self) -> Option<ProjectionStatus> {
        self.worker.as_ref().map(|w| w.borrow().clone())
    }

    /// Without a background worker here, runs the fulfilment until it has nothing
    /// left to do (or [`SETTLE_ROUNDS`] rounds), if no other worker holds it; with
    /// one, the worker does it.
    pub async fn settle(&self) -> Result<Waiting, AppError> {
        if self.worker.is_some() {
            return Ok(Waiting::default());
        }
        let mut runner = self.on_demand.lock().await;
        let Some(lease) = self.store.try_lease(Fulfilment::NAME).await? else {
            return Ok(runner.status().waiting);
        };
        for _ in 0..SETTLE_ROUNDS {
            let head = self.store.head_position().await?;
            match runner.catch_up().await {
                // Counted as a failed attempt: after a few, the event parks and the
                // other orders go on; the caller's own command stands either way.
                Err(error) => tracing::warn!(
                    process = Fulfilment::NAME,
                    "{}",
                    cqrs_core::runner::error_chain(&error)
                ),
                Ok(_) if self.store.head_position().await? == head => break,
                Ok(_) => {}
            }
        }
        S::release(lease).await;
        Ok(runner.status().waiting)
    }

    /// Counts a product's units on hand.
    pub async fn set_stock(&self, sku: &str, on_hand: u32) -> Result<StockLevel, AppError> {
        if sku.trim().is_empty() {
            return Err(AppError::Stock(StockError::EmptySku));
        }
        let command = StockCommand::Count { on_hand };
        self.stock
            .execute(sku, command)
            .await
            .map_err(|e| refused(e, AppError::Stock))?;
        let stock = self
            .stock
            .load(sku)
            .await
            .map_err(|e| refused(e, AppError::Stock))?;
        self.settle().await?;
        Ok(StockLevel {
            sku: sku.to_owned(),
            on_hand: stock.state.on_hand,
            reserved: stock.state.reserved(),
            free: stock.state.free(),
        })
    }

    /// The simulated payment provider: the order's payment is confirmed, or failed
    /// with `reason`.
    pub async fn settle_payment(
        &self,
        order: &str,
        failed: Option<String>,
    ) -> Result<PaymentStatus, AppError> {
        let command = match failed {
            None => PaymentCommand::Confirm,
            Some(reason) => PaymentCommand::Fail { reason },
        };
        let result = self.payments.execute(order, command).await;
        match result {
            Err(CommandError::Rejected(PaymentError::NotRequested)) => {
                return Err(AppError::UnknownOrder(order.to_owned()));
            }
            other => drop(other.map_err(|e| refused(e, AppError::Payment))?),
        }
        self.settle().await?;
        let payment = self
            .payments
            .load(order)
            .await
            .map_err(|e| refused(e, AppError::Payment))?;
        Ok(payment.state.status)
    }

    /// Every order, newest first.
    pub async fn list(&self) -> Result<Vec<OrderSummary>, AppError> {
        self.read(OrderList::newest_first).await
    }

    /// One order.
    pub async fn get(&self, order: &str) -> Result<OrderSummary, AppError> {
        self.read(|list| list.get(order).cloned())
            .await?
            .ok_or_else(|| AppError::UnknownOrder(order.to_owned()))
    }

    async fn read<R>(&self, read: impl FnOnce(&OrderList) -> R) -> Result<R, AppError> {
        self.settle().await?;
        let mut runner = self.view.lock().await;
        runner.catch_up().await?;
        Ok(read_view(&runner.target().view(), read))
    }

    /// The checkpoints of the orders view and of the fulfilment, and what the
    /// fulfilment has waiting (parked events, pending deadlines); runs the
    /// fulfilment first when no worker runs here.
    pub async fn checkpoints(&self) -> Result<(u64, u64, Waiting), AppError> {
        let waiting = match self.worker_status() {
            Some(status) => status.waiting,
            None => self.settle().await?,
        };
        let view = self.store.load_view(OrderList::NAME).await?;
        let fulfilment = self
            .store
            .load_view(&format!("process:{}", Fulfilment::NAME))
            .await?;
        let position = |v: Option<cqrs_core::StoredView>| v.map_or(0, |v| v.position);
        Ok((position(view), position(fulfilment), waiting))
    }

    /// Rebuilds the orders view from the whole log; returns the events read.
    pub async fn rebuild_view(
        &self,
        progress: impl FnMut(cqrs_core::runner::Progress) + Send,
    ) -> Result<u64, AppError> {
        Ok(self.view.lock().await.rebuild(progress).await?.events)
    }

    /// Orders whose events are parked, with the error of each.
    pub async fn parked(&self) -> Result<Vec<ParkedOrder>, AppError> {
        let parked = self.operator.lock().await.parked().await?;
        Ok(parked
            .into_iter()
            .map(|(order, events)| ParkedOrder { order, events })
            .collect())
    }

    /// Handles an order's parked events again, in order; returns how many stay parked.
    pub async fn retry_parked(&self, order: &str) -> Result<usize, AppError> {
        let remaining = self.operator.lock().await.retry_parked(order).await?;
        self.settle().await?;
        Ok(remaining)
    }

    /// Drops an order's parked events unhandled; returns how many were dropped.
    pub async fn evict_parked(&self, order: &str) -> Result<usize, AppError> {
        let evicted = self.operator.lock().await.evict_parked(order).await?;
        self.settle().await?;
        Ok(evicted)
    }
}

/// The fulfilment runner over `store`.
pub fn fulfilment_runner<S: Store>(
    store: &S,
    payment_window: Duration,
    options: RunnerOptions,
) -> FulfilmentRunner<S> {
    let target = ProcessTarget::new(store.clone(), FulfilmentBus::new(store, payment_window));
    ProjectionRunner::new(store.clone(), target).with_options(options)
}

/// A command's failure as the application's error: the aggregate's refusal through
/// `rejected`, the rest as for carts.
fn refused<E: std::error::Error + 'static>(
    error: CommandError<E>,
    rejected: impl FnOnce(E) -> AppError,
) -> AppError {
    match error {
        CommandError::Rejected(error) => rejected(error),
        CommandError::Store(error) => error.into(),
        other => AppError::Internal(cqrs_core::runner::error_chain(&other)),
    }
}
