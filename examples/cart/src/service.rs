//! The application: commands go to the aggregate, queries to the read models.

use std::sync::Arc;

use cqrs_core::{
    Aggregate, CommandError, EventStore, ExecuteOptions, Projection, QueryHandler, ReadAll,
    RecordedEvent, Repository, StoreError,
};
use serde::Serialize;
use tokio::sync::RwLock;

use crate::domain::{Cart, CartCommand, CartError, CartEvent};
use crate::views::{
    CartById, CartContents, CartView, ProductCount, ProductPopularity, TopProducts,
};

/// Why the application could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The cart refused the command.
    #[error(transparent)]
    Rejected(CartError),
    /// No events exist for this cart.
    #[error("cart `{0}` does not exist")]
    UnknownCart(String),
    /// Another writer changed the cart first, or the client's version is stale.
    #[error("cart `{cart_id}` is at version {actual}, not {expected}")]
    Conflict {
        cart_id: String,
        expected: u64,
        actual: u64,
    },
    /// The cart has fewer versions than asked for.
    #[error("cart `{cart_id}` has {latest} versions; version {asked} does not exist")]
    NoSuchVersion {
        cart_id: String,
        asked: u64,
        latest: u64,
    },
    /// The store or a stored event failed.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        AppError::Internal(error_chain(&error))
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// One event of a cart's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub version: u64,
    pub position: u64,
    pub event: String,
    pub event_version: u32,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub data: serde_json::Value,
}

/// What a successful command returns: the cart's new version (its `ETag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Committed {
    pub version: u64,
}

/// The read models, and how far into the log they have read.
#[derive(Default)]
struct Views {
    position: u64,
    contents: CartContents,
    popularity: ProductPopularity,
}

/// The cart application over any event store.
pub struct CartApp<S> {
    carts: Repository<Cart, S>,
    views: Arc<RwLock<Views>>,
}

impl<S: EventStore + Clone> CartApp<S> {
    pub fn new(store: S) -> Self {
        CartApp {
            carts: Repository::new(store),
            views: Arc::default(),
        }
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
        let result = match expected_version {
            Some(version) => {
                let options = ExecuteOptions::expect_version(version);
                self.carts.execute_with(cart_id, command, options).await
            }
            None => self.carts.execute(cart_id, command).await,
        };
        match result {
            Ok(events) => {
                let version = match events.last() {
                    Some(last) => last.header.stream_version,
                    None => {
                        self.store()
                            .stream_version(&Cart::stream_id(cart_id))
                            .await?
                    }
                };
                Ok(Committed { version })
            }
            Err(CommandError::Rejected(CartError::NotFound)) => {
                Err(AppError::UnknownCart(cart_id.to_owned()))
            }
            Err(CommandError::Rejected(error)) => Err(AppError::Rejected(error)),
            Err(CommandError::Conflict {
                expected, actual, ..
            }) => Err(AppError::Conflict {
                cart_id: cart_id.to_owned(),
                expected: match expected {
                    cqrs_core::ExpectedVersion::Exact(version) => version,
                    _ => 0,
                },
                actual,
            }),
            Err(other) => Err(AppError::Internal(error_chain(&other))),
        }
    }

    /// Brings the read models up to the head of the log.
    pub async fn catch_up(&self) -> Result<(), AppError> {
        let head = self.store().head_position().await?;
        if self.views.read().await.position >= head {
            return Ok(());
        }
        let mut views = self.views.write().await;
        loop {
            let page = self
                .store()
                .read_all(ReadAll::from_position(views.position + 1).limit(1_000))
                .await?;
            let Some(last) = page.last().map(|e| e.header.position) else {
                return Ok(());
            };
            for recorded in page {
                views.project(recorded)?;
            }
            views.position = last;
        }
    }

    /// A cart's contents now, from the read model.
    pub async fn cart(&self, cart_id: &str) -> Result<CartView, AppError> {
        self.catch_up().await?;
        let views = self.views.read().await;
        views
            .contents
            .query(CartById {
                cart_id: cart_id.to_owned(),
            })
            .ok_or_else(|| AppError::UnknownCart(cart_id.to_owned()))
    }

    /// A cart as it was after `version` events, replayed from its history.
    pub async fn cart_at(&self, cart_id: &str, version: u64) -> Result<CartView, AppError> {
        let history = self.read_history(cart_id).await?;
        let latest = history.last().map_or(0, |e| e.header.stream_version);
        if version == 0 || version > latest {
            return Err(AppError::NoSuchVersion {
                cart_id: cart_id.to_owned(),
                asked: version,
                latest,
            });
        }
        let mut view = CartView::new(cart_id);
        for recorded in history
            .into_iter()
            .take_while(|e| e.header.stream_version <= version)
        {
            let envelope = decode(recorded)?;
            view.apply(envelope.header.stream_version, envelope.event);
        }
        Ok(view)
    }

    /// Every event of a cart, with versions and times.
    pub async fn history(&self, cart_id: &str) -> Result<Vec<HistoryEntry>, AppError> {
        let history = self.read_history(cart_id).await?;
        Ok(history
            .into_iter()
            .map(|e| HistoryEntry {
                version: e.header.stream_version,
                position: e.header.position,
                event: e.header.event_name,
                event_version: e.header.event_version,
                recorded_at: e.header.recorded_at,
                data: e.payload,
            })
            .collect())
    }

    /// The products with the most units added, over every cart.
    pub async fn top_products(&self, limit: usize) -> Result<Vec<ProductCount>, AppError> {
        self.catch_up().await?;
        Ok(self
            .views
            .read()
            .await
            .popularity
            .query(TopProducts { limit }))
    }

    async fn read_history(&self, cart_id: &str) -> Result<Vec<RecordedEvent>, AppError> {
        let stream = Cart::stream_id(cart_id);
        let mut events = Vec::new();
        loop {
            let page = self
                .store()
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

impl Views {
    fn project(&mut self, recorded: RecordedEvent) -> Result<(), AppError> {
        let name = recorded.header.event_name.as_str();
        let (contents, popularity) = (
            CartContents::handles(name),
            ProductPopularity::handles(name),
        );
        if !contents && !popularity {
            return Ok(());
        }
        let envelope = decode(recorded)?;
        let failed = |e: cqrs_core::HandlerError| AppError::Internal(e.to_string());
        if popularity {
            self.popularity.project(envelope.clone()).map_err(failed)?;
        }
        if contents {
            self.contents.project(envelope).map_err(failed)?;
        }
        Ok(())
    }
}

fn decode(recorded: RecordedEvent) -> Result<cqrs_core::EventEnvelope<CartEvent>, AppError> {
    recorded
        .decode::<CartEvent>()
        .map_err(|e| AppError::Internal(error_chain(&*e)))
}
