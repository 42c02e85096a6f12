//! The application: commands go to the aggregate, queries to the read models.

use std::future::Future;
use std::time::{Duration, Instant};

use cqrs_core::inline::{StreamDocuments, rebuild_documents};
use cqrs_core::runner::{Progress, RunState, Waiting, error_chain};
use cqrs_core::{
    Aggregate, CommandError, ExecuteOptions, ExpectedVersion, Projection, RecordedEvent,
    Repository, Store, StoreError,
};
use serde::Serialize;
use tokio::sync::watch;

pub use crate::error::AppError;

use crate::cart_id::check_cart_id;
use crate::domain::{Cart, CartCommand, CartError, CartEvent};
use crate::orders::service::{DEFAULT_PAYMENT_WINDOW, Orders};
use crate::orders::view::OrderList;
pub use crate::top_products::Freshness;
use crate::top_products::TopProductsSide;
use crate::views::{CartView, ProductCount, ProductPopularity};

/// One event of a cart's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub version: u64,
    pub position: u64,
    pub event: String,
    pub event_version: u32,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub data: cqrs_core::Payload,
}

/// What a successful command returns: the cart's new version (its `ETag`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Committed {
    pub version: u64,
    /// The global position of the last event written: a read of a catch-up view
    /// can ask for at least this position (`?min_position=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// For a checkout: the order it started (`cart order <id>`, `GET /orders/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
}

/// A projection's place in the log, for `cart projections` and `GET /projections`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectionReport {
    pub name: String,
    /// `inline` (written with each append) or `catch-up` (follows the log).
    pub kind: &'static str,
    pub checkpoint: u64,
    pub head: u64,
    pub lag: u64,
    /// What this process's worker is doing, when it runs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<RunState>,
    /// For a process manager: its parked events and pending deadlines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<Waiting>,
}

/// The names of the cart's projections.
pub const PROJECTIONS: [&str; 3] = [CartView::NAME, ProductPopularity::NAME, OrderList::NAME];

/// The cart application over any event store.
pub struct CartApp<S: Store> {
    carts: Repository<Cart, S>,
    top: TopProductsSide<S>,
    orders: Orders<S>,
    /// Where carts and histories are read from, when not the primary: a streaming
    /// replica.
    replica: Option<S>,
    /// The NATS relay's status, when this process runs one (`serve --relay-nats`).
    relay: Option<tokio::sync::watch::Receiver<cqrs_core::runner::ProjectionStatus>>,
}

impl<S: Store> CartApp<S> {
    /// The application; registers the inline cart view on the store.
    pub fn new(store: S) -> Self {
        store.register_inline(StreamDocuments::<CartView>::new());
        let top = TopProductsSide::new(store.clone(), None);
        let orders = Orders::new(store.clone(), DEFAULT_PAYMENT_WINDOW);
        CartApp {
            // Requests on one cart take turns in this process, so they never conflict
            // with each other; a request that loses to another process decides again on
            // the winner's state, for up to 10 s (unless it sent an `If-Match`).
            carts: Repository::new(store).with_cache(10_000),
            top,
            orders,
            replica: None,
            relay: None,
        }
    }

    /// Reports the relay whose status this is beside the projections.
    pub fn relay_status(
        mut self,
        status: tokio::sync::watch::Receiver<cqrs_core::runner::ProjectionStatus>,
    ) -> Self {
        self.relay = Some(status);
        self
    }

    /// Keeps `top_products` as tables in the read database behind `pool` (SQLite or
    /// PostgreSQL) instead of a document in the event store's database.
    pub fn read_database(mut self, pool: sqlx::AnyPool) -> Self {
        self.top = TopProductsSide::new(self.store().clone(), Some(pool));
        self
    }

    /// Serves cart contents, time travel and histories from `replica`, a read-only
    /// copy of the store's database (a PostgreSQL streaming replica). Such reads may
    /// lag; one that carries a write's position waits for the replica to pass it
    /// ([`wait_for_position`](Self::wait_for_position)).
    pub fn replica(mut self, replica: S) -> Self {
        self.replica = Some(replica);
        self
    }

    /// Waits (up to 2 s) until the store that serves reads has what was written up to
    /// `position`; else [`AppError::Behind`] with how far it is. Immediate without a
    /// replica.
    pub async fn wait_for_position(&self, position: u64) -> Result<(), AppError> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let replayed = self.reader().head_position().await?;
            if replayed >= position && self.has_replayed(position).await? {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(AppError::Behind {
                    view: "replica",
                    position: replayed,
                    wanted: position,
                });
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Whether the replica holds the event at `position`. A replica shows what it has
    /// replayed, without the primary's fence: a later position may be there before
    /// an earlier one that committed later, so the event itself is looked for.
    async fn has_replayed(&self, position: u64) -> Result<bool, AppError> {
        let Some(replica) = &self.replica else {
            return Ok(true);
        };
        let first = replica
            .read_all(cqrs_core::ReadAll::from_position(position).limit(1))
            .await?;
        Ok(first.first().is_some_and(|e| e.header.position == position))
    }

    /// The store reads are served from: the replica, or the store itself.
    fn reader(&self) -> &S {
        self.replica.as_ref().unwrap_or(self.store())
    }

    /// Payments are due this long after they are asked for (default 15 minutes).
    pub fn payment_window(mut self, window: Duration) -> Self {
        self.orders = Orders::new(self.store().clone(), window);
        self
    }

    /// The application with the `top_products` and fulfilment workers running in the
    /// background until `shutdown`; with several processes on one database, one of
    /// each is active.
    pub fn with_worker(store: S, shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        Self::new(store).spawn_workers(shutdown)
    }

    /// Starts the background workers (see [`with_worker`](Self::with_worker)).
    pub fn spawn_workers(mut self, shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let stopping = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }
        };
        self.top.spawn_worker(stopping());
        self.orders.spawn_worker(stopping());
        self
    }

    /// Stock, payments and orders.
    pub fn orders(&self) -> &Orders<S> {
        &self.orders
    }

    pub fn store(&self) -> &S {
        self.carts.store()
    }

    /// Executes a command; with `expected_version`, only if the cart is at that version.
    pub async fn execute(
        &self,
        cart_id: &str,
        command: CartCommand,
        expected_version: Option<u64>,
    ) -> Result<Committed, AppError> {
        check_cart_id(cart_id)?;
        let checkout = command == CartCommand::Checkout;
        let result = match expected_version {
            Some(version) => {
                self.carts
                    .execute_with(cart_id, command, ExecuteOptions::expect_version(version))
                    .await
            }
            None => self.carts.execute(cart_id, command).await,
        };
        match result {
            Ok(events) => {
                let position = events.last().map(|e| e.header.position);
                let version = match events.last() {
                    Some(last) => last.header.stream_version,
                    None => {
                        self.store()
                            .stream_version(&Cart::stream_id(cart_id))
                            .await?
                    }
                };
                let order = events
                    .last()
                    .filter(|_| checkout)
                    .map(|e| e.header.event_id.to_string());
                if order.is_some() {
                    // The order moves on now when no worker runs here (the command line).
                    self.orders.settle().await?;
                }
                Ok(Committed {
                    version,
                    position,
                    order,
                })
            }
            Err(CommandError::Rejected(CartError::NotFound)) => {
                Err(AppError::UnknownCart(cart_id.to_owned()))
            }
            Err(CommandError::Rejected(error)) => Err(AppError::Rejected(error)),
            Err(CommandError::Store(StoreError::Unstorable { reason, .. })) => {
                Err(AppError::Unstorable(reason))
            }
            Err(CommandError::Store(error)) => Err(error.into()),
            Err(CommandError::Conflict { .. }) if expected_version.is_none() => {
                Err(AppError::Busy {
                    cart_id: cart_id.to_owned(),
                })
            }
            Err(CommandError::Conflict {
                expected, actual, ..
            }) => Err(AppError::Conflict {
                cart_id: cart_id.to_owned(),
                expected: match expected {
                    ExpectedVersion::Exact(version) => version,
                    _ => 0,
                },
                actual,
            }),
            Err(other) => Err(AppError::Internal(error_chain(&other))),
        }
    }

    /// The cart's version now, if the client accepts it: any version of an existing
    /// cart for `None` (`If-Match: *`), else one of `versions`; otherwise the conflict.
    pub async fn accepted_version(
        &self,
        cart_id: &str,
        versions: &Option<Vec<u64>>,
    ) -> Result<u64, AppError> {
        check_cart_id(cart_id)?;
        let actual = self
            .store()
            .stream_version(&Cart::stream_id(cart_id))
            .await?;
        let accepted = match versions {
            None if actual == 0 => return Err(AppError::UnknownCart(cart_id.to_owned())),
            None => true,
            Some(versions) => versions.contains(&actual),
        };
        if accepted {
            return Ok(actual);
        }
        Err(AppError::Conflict {
            cart_id: cart_id.to_owned(),
            expected: versions
                .as_ref()
                .and_then(|v| v.first().copied())
                .unwrap_or(0),
            actual,
        })
    }

    /// A cart's contents now: its inline document, current as of the last command.
    ///
    /// A document behind its stream (another process appended without keeping the
    /// view) is not served stale: the cart is projected from its events instead, and
    /// an event that cannot be read is an error naming it.
    pub async fn cart(&self, cart_id: &str) -> Result<CartView, AppError> {
        check_cart_id(cart_id)?;
        let stream_id = Cart::stream_id(cart_id);
        let document = self
            .reader()
            .load_document(CartView::NAME, &stream_id)
            .await?;
        let version = self.reader().stream_version(&stream_id).await?;
        match document {
            Some(document) if document.version >= version => {
                Ok(StreamDocuments::<CartView>::decode(document)?)
            }
            _ if version == 0 => Err(AppError::UnknownCart(cart_id.to_owned())),
            _ => self.cart_at(cart_id, version).await,
        }
    }

    /// A cart as it was after `version` events, projected from its history.
    pub async fn cart_at(&self, cart_id: &str, version: u64) -> Result<CartView, AppError> {
        check_cart_id(cart_id)?;
        let history = self.read_history(cart_id).await?;
        let latest = history.last().map_or(0, |e| e.header.stream_version);
        if version == 0 || version > latest {
            return Err(AppError::NoSuchVersion {
                cart_id: cart_id.to_owned(),
                asked: version,
                latest,
            });
        }
        let mut view = CartView::default();
        for recorded in history
            .into_iter()
            .take_while(|e| e.header.stream_version <= version)
        {
            let envelope = recorded
                .decode::<CartEvent>()
                .map_err(|e| AppError::Internal(error_chain(&*e)))?;
            view.project(&envelope.header, envelope.event)
                .map_err(|e| AppError::Internal(e.to_string()))?;
        }
        Ok(view)
    }

    /// Every event of a cart, with versions and times.
    pub async fn history(&self, cart_id: &str) -> Result<Vec<HistoryEntry>, AppError> {
        check_cart_id(cart_id)?;
        let history = self.read_history(cart_id).await?;
        Ok(history
            .into_iter()
            .map(|e| HistoryEntry {
                version: e.header.stream_version,
                position: e.header.position,
                event: e.header.event_name.to_string(),
                event_version: e.header.event_version,
                recorded_at: e.header.recorded_at,
                data: e.payload,
            })
            .collect())
    }

    /// The products with the most units added, over every cart, from the
    /// `top_products` view once it has caught up with the log (or after 2 s).
    pub async fn top_products(&self, limit: usize) -> Result<Vec<ProductCount>, AppError> {
        Ok(self.top_products_fresh(limit, None).await?.0)
    }

    /// The same with how current it is; with `min_position`, only a view that has
    /// reached that position (waiting up to 2 s), else [`AppError::Behind`].
    pub async fn top_products_fresh(
        &self,
        limit: usize,
        min_position: Option<u64>,
    ) -> Result<(Vec<ProductCount>, Freshness), AppError> {
        self.top.fresh(limit, min_position).await
    }

    /// Where each projection is in the log.
    pub async fn projections(&self) -> Result<Vec<ProjectionReport>, AppError> {
        let (orders, fulfilment, waiting) = self.orders.checkpoints().await?;
        let head = self.store().head_position().await?;
        let top = self.top.checkpoint().await?.min(head);
        Ok([
            ProjectionReport {
                name: CartView::NAME.into(),
                kind: "inline",
                checkpoint: head,
                head,
                lag: 0,
                worker: None,
                waiting: None,
            },
            ProjectionReport {
                name: ProductPopularity::NAME.into(),
                kind: "catch-up",
                checkpoint: top,
                head,
                lag: head - top,
                worker: self.top.worker_state(),
                waiting: None,
            },
            ProjectionReport {
                name: OrderList::NAME.into(),
                kind: "catch-up",
                checkpoint: orders.min(head),
                head,
                lag: head.saturating_sub(orders),
                worker: None,
                waiting: None,
            },
            ProjectionReport {
                name: crate::orders::fulfilment::NAME.into(),
                kind: "process",
                checkpoint: fulfilment.min(head),
                head,
                lag: head.saturating_sub(fulfilment),
                worker: self.orders.worker_status().map(|s| s.state),
                waiting: Some(waiting),
            },
        ]
        .into_iter()
        .chain(self.relay.as_ref().map(|relay| {
            let status = relay.borrow();
            let checkpoint = status.checkpoint.min(head);
            ProjectionReport {
                name: status.name.clone(),
                kind: "relay",
                checkpoint,
                head,
                lag: head - checkpoint,
                worker: Some(status.state.clone()),
                waiting: None,
            }
        }))
        .collect())
    }

    /// Rebuilds a projection from the whole log. `shadow` builds a new version beside
    /// the old one, which keeps serving, and swaps it in at the end.
    pub async fn rebuild(
        &self,
        name: &str,
        shadow: bool,
        progress: impl FnMut(Progress) + Send,
    ) -> Result<u64, AppError> {
        match name {
            n if n == CartView::NAME => {
                let names = CartView::HANDLED_EVENTS
                    .iter()
                    .map(|n| (*n).to_owned())
                    .collect();
                let view = StreamDocuments::<CartView>::new();
                Ok(rebuild_documents(self.store(), &view, names).await? as u64)
            }
            n if n == ProductPopularity::NAME => self.top.rebuild(shadow, progress).await,
            n if n == OrderList::NAME => self.orders.rebuild_view(progress).await,
            other => Err(AppError::UnknownProjection(other.to_owned())),
        }
    }

    async fn read_history(&self, cart_id: &str) -> Result<Vec<RecordedEvent>, AppError> {
        let stream = Cart::stream_id(cart_id);
        let mut events = Vec::new();
        loop {
            let page = self
                .reader()
                .read_stream(&stream, events.len() as u64 + 1, 1_000)
                .await?;
            let done = page.len() < 1_000;
            events.extend(page);
            if done {
                break;
            }
        }
        if events.is_empty() {
            return Err(AppError::UnknownCart(cart_id.to_owned()));
        }
        Ok(events)
    }
}
