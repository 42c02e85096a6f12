//! An operator's page for an event store, to mount in any axum app: the streams
//! (searched by prefix, a page at a time), a stream's events with their metadata
//! and payloads (correlation and causation ids link to the events they name), and
//! the projections with checkpoint, head, lag and a lag chart of the last two
//! minutes; parked events with a retry and an evict button each. Server-rendered
//! HTML, no script, no build step.
//!
//! The page shows payloads: mount it where only operators reach it (the cart app
//! serves it to loopback callers only, or with the operator token).
//!
//! ```no_run
//! use cqrs_admin::Admin;
//! use cqrs_core::InMemoryEventStore;
//!
//! # async fn example() -> std::io::Result<()> {
//! let store = InMemoryEventStore::new();
//! let app = axum::Router::new().nest("/admin", Admin::new(store, "/admin").router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

mod html;
mod parked;

pub use parked::{ParkedRow, ParkedSource};

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cqrs_core::runner::ProjectionStatus;
use cqrs_core::{EventStore, ListStreams, Uuid};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use tokio::sync::watch;

/// One projection as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionRow {
    /// Its name.
    pub name: String,
    /// What it is doing (`live`, `catching up`, `standby`, ...).
    pub state: String,
    /// The last position it reflects.
    pub checkpoint: u64,
    /// The log's head when asked.
    pub head: u64,
}

/// Where the page learns about projections: the runners' status watchers, or an
/// application's own report.
pub trait ProjectionSource: Send + Sync + 'static {
    /// The projections now.
    fn rows(&self) -> BoxFuture<'_, Vec<ProjectionRow>>;
}

impl ProjectionSource for Vec<watch::Receiver<ProjectionStatus>> {
    fn rows(&self) -> BoxFuture<'_, Vec<ProjectionRow>> {
        let rows = self
            .iter()
            .map(|status| {
                let status = status.borrow();
                ProjectionRow {
                    name: status.name.clone(),
                    state: format!("{:?}", status.state),
                    checkpoint: status.checkpoint,
                    head: status.head,
                }
            })
            .collect();
        Box::pin(async move { rows })
    }
}

/// Samples of each projection's lag, oldest first.
type History = Mutex<HashMap<String, VecDeque<u64>>>;

/// Samples kept per projection (one a second).
const SAMPLES: usize = 120;
/// Streams or events per page.
const PAGE: usize = 100;

/// The operator's page over a store, built then turned into a [`Router`].
pub struct Admin<S> {
    store: S,
    base: String,
    projections: Option<Arc<dyn ProjectionSource>>,
    parked: Option<Arc<dyn ParkedSource>>,
}

struct Shared<S> {
    store: S,
    base: String,
    projections: Option<Arc<dyn ProjectionSource>>,
    parked: Option<Arc<dyn ParkedSource>>,
    history: History,
}

impl<S: EventStore + Clone> Admin<S> {
    /// The page over `store`, to be mounted at `base` (`"/admin"`; its links
    /// start there).
    pub fn new(store: S, base: &str) -> Self {
        Admin {
            store,
            base: base.trim_end_matches('/').to_owned(),
            projections: None,
            parked: None,
        }
    }

    /// Shows these parked events, each key with a retry and an evict button.
    /// Those change things: mount the page where only operators reach it.
    pub fn parked(mut self, source: impl ParkedSource) -> Self {
        self.parked = Some(Arc::new(source));
        self
    }

    /// Shows these projections, and samples their lag every second for the chart.
    pub fn projections(mut self, source: impl ProjectionSource) -> Self {
        self.projections = Some(Arc::new(source));
        self
    }

    /// The routes: `/` and `/streams`, `/streams/{id}`, `/events/{id}`,
    /// `/projections`, `/parked` (and `POST /parked/{key}/retry`, `.../evict`).
    /// Starts the lag sampler when there are projections (it stops when the
    /// router is dropped), so call it inside a Tokio runtime, as an axum app does.
    pub fn router(self) -> Router {
        let shared = Arc::new(Shared {
            store: self.store,
            base: self.base,
            projections: self.projections,
            parked: self.parked,
            history: Mutex::new(HashMap::new()),
        });
        if shared.projections.is_some() {
            tokio::spawn(sample(Arc::downgrade(&shared)));
        }
        Router::new()
            .route("/", get(home::<S>))
            .route("/streams", get(streams::<S>))
            .route("/streams/{id}", get(stream::<S>))
            .route("/events/{id}", get(event::<S>))
            .route("/projections", get(projections::<S>))
            .route("/parked", get(parked::list::<S>))
            .route("/parked/{key}/retry", post(parked::retry::<S>))
            .route("/parked/{key}/evict", post(parked::evict::<S>))
            .fallback(not_found::<S>)
            .with_state(shared)
    }
}

/// Records each projection's lag once a second while the page exists.
async fn sample<S: Send + Sync + 'static>(shared: Weak<Shared<S>>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let Some(source) = &shared.projections else {
            return;
        };
        let rows = source.rows().await;
        let mut history = shared
            .history
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for row in rows {
            let samples = history.entry(row.name).or_default();
            samples.push_back(row.head.saturating_sub(row.checkpoint));
            while samples.len() > SAMPLES {
                samples.pop_front();
            }
        }
    }
}

fn unavailable(error: cqrs_core::StoreError) -> Response {
    let body = format!(
        "<!doctype html><title>Store unavailable</title><p>The event store did not answer: {}</p>",
        html::escape(&error.to_string())
    );
    (StatusCode::SERVICE_UNAVAILABLE, Html(body)).into_response()
}

async fn not_found<S: EventStore>(State(shared): State<Arc<Shared<S>>>) -> Response {
    let body = "<p>There is no such page here: start from the streams or the projections.</p>";
    let page = html::page(&shared.base, "Not found", body, None);
    (StatusCode::NOT_FOUND, Html(page)).into_response()
}

async fn home<S: EventStore>(State(shared): State<Arc<Shared<S>>>) -> Redirect {
    Redirect::to(&format!("{}/streams", shared.base))
}

#[derive(Deserialize)]
struct StreamsQuery {
    #[serde(default)]
    prefix: String,
    after: Option<String>,
}

async fn streams<S: EventStore>(
    State(shared): State<Arc<Shared<S>>>,
    Query(query): Query<StreamsQuery>,
) -> Response {
    let mut list = ListStreams::with_prefix(query.prefix.clone()).limit(PAGE + 1);
    list.after = query.after;
    match shared.store.list_streams(list).await {
        Ok(mut found) => {
            let more = found.len() > PAGE;
            found.truncate(PAGE);
            let body = html::streams(&shared.base, &query.prefix, &found, more);
            Html(html::page(&shared.base, "Streams", &body, None)).into_response()
        }
        Err(error) => unavailable(error),
    }
}

#[derive(Deserialize)]
struct StreamQuery {
    from: Option<u64>,
}

async fn stream<S: EventStore>(
    State(shared): State<Arc<Shared<S>>>,
    Path(id): Path<String>,
    Query(query): Query<StreamQuery>,
) -> Response {
    let from = query.from.unwrap_or(1).max(1);
    match shared.store.read_stream(&id, from, PAGE + 1).await {
        Ok(mut events) => {
            let more = (events.len() > PAGE).then(|| from.saturating_add(PAGE as u64));
            events.truncate(PAGE);
            let status = if events.is_empty() && from == 1 {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            };
            let body = html::events(&shared.base, &id, &events, more);
            let title = format!("Stream {id}");
            (status, Html(html::page(&shared.base, &title, &body, None))).into_response()
        }
        Err(error) => unavailable(error),
    }
}

/// An event by id: its row on its stream's page; 404 for an id the store does not
/// hold (a command's id in a causation, say).
async fn event<S: EventStore>(
    State(shared): State<Arc<Shared<S>>>,
    Path(id): Path<Uuid>,
) -> Response {
    match shared.store.locate_events(&[id]).await {
        Ok(found) => match found.into_iter().next().flatten() {
            Some(stored) => {
                let from =
                    (stored.stream_version.saturating_sub(1) / PAGE as u64) * PAGE as u64 + 1;
                let location = format!(
                    "{}/streams/{}?from={from}#v{}",
                    shared.base,
                    html::encode(&stored.stream_id),
                    stored.stream_version
                );
                (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
            }
            None => {
                let body = format!(
                    "<p>No event has the id <code>{id}</code> (a causation may name a command).</p>"
                );
                let page = html::page(&shared.base, "Unknown event", &body, None);
                (StatusCode::NOT_FOUND, Html(page)).into_response()
            }
        },
        Err(error) => unavailable(error),
    }
}

async fn projections<S: EventStore>(State(shared): State<Arc<Shared<S>>>) -> Response {
    let rows = match &shared.projections {
        Some(source) => source.rows().await,
        None => Vec::new(),
    };
    let history = |name: &str| {
        let history = shared
            .history
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        history
            .get(name)
            .map(|samples| samples.iter().copied().collect())
            .unwrap_or_default()
    };
    let body = html::projections(&rows, &history);
    Html(html::page(&shared.base, "Projections", &body, Some(2))).into_response()
}
