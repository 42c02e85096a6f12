//! Catch-up projections: read the log from a checkpoint, follow it live, never skip.
//!
//! A [`ProjectionRunner`] reads the global log after its target's checkpoint, in
//! batches, asking the store only for the event names the projection handles (the
//! stores serve that from an index on the event name), hands each batch to its
//! [`CatchUpTarget`] and moves the checkpoint. At the head it waits for the store to
//! say new events committed ([`LogFollower`]), with a polling fallback. A failing
//! event stops the projection there; it retries with exponential backoff, shows the
//! failure in its [`ProjectionStatus`], and never skips the event.
//!
//! ```
//! # use cqrs_core::doc_example::*;
//! use cqrs_core::runner::{MemoryTarget, ProjectionRunner, read_view};
//! use cqrs_core::{InMemoryEventStore, Repository};
//!
//! # pollster::block_on(async {
//! let store = InMemoryEventStore::new();
//! let carts = Repository::<Cart, _>::new(store.clone());
//! carts.execute("1", CartCommand::AddItem { sku: "apple".into(), quantity: 2 }).await?;
//!
//! let target = MemoryTarget::<ItemCount>::new();
//! let view = target.view();
//! let mut runner = ProjectionRunner::new(store, target);
//! runner.catch_up().await?;
//! assert_eq!(read_view(&view, |v| v.items), 2);
//! assert_eq!(runner.status().lag, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod lease;
pub mod parking;
mod status;
mod target;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::watch;

pub use crate::store::Leases;
pub use status::{ProjectionStatus, RunState};
pub use target::{CatchUpTarget, DocumentTarget, MemoryTarget, SharedView, Waiting, read_view};

use crate::envelope::EventDecodeError;
use crate::projection::HandlerError;
use crate::store::{EventStore, LogFollower, ReadAll, StoreError};
use tracing::Instrument;

/// Why a projection stopped.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// A handler failed on an event.
    #[error(
        "projection `{projection}` failed at position {position} (stream `{stream_id}`, event `{event_name}`)"
    )]
    Handler {
        /// The projection.
        projection: String,
        /// The event's global position.
        position: u64,
        /// The event's stream.
        stream_id: String,
        /// The event's persisted name.
        event_name: String,
        /// What the handler reported.
        #[source]
        source: HandlerError,
    },
    /// A stored event does not decode into the projection's event enum.
    #[error(transparent)]
    Decode(Box<EventDecodeError>),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// The projection's saved checkpoint is no longer where this worker left it:
    /// another worker, or a rebuild swapped in beside it, moved it. The batch was
    /// rolled back; the next pass reads the checkpoint again.
    #[error(
        "the checkpoint of projection `{projection}` moved away from {expected} (another worker or a rebuild wrote it); the batch to {up_to} was rolled back"
    )]
    CheckpointMoved {
        /// The projection.
        projection: String,
        /// Where this worker expected it.
        expected: u64,
        /// Where the batch would have moved it.
        up_to: u64,
    },
}

impl From<StoreError> for ProjectionError {
    fn from(error: StoreError) -> Self {
        ProjectionError::Store(error)
    }
}

/// How a runner reads and waits.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Events read per batch (one checkpoint per batch).
    pub batch_size: usize,
    /// The longest wait for a wake-up before looking at the log anyway.
    pub poll_interval: Duration,
    /// The first pause after a failure; it doubles up to `max_backoff`.
    pub min_backoff: Duration,
    /// The longest pause between retries.
    pub max_backoff: Duration,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions {
            batch_size: 1_000,
            poll_interval: Duration::from_secs(1),
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// How far a catch-up or rebuild got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Where this pass started.
    pub from: u64,
    /// The checkpoint now.
    pub checkpoint: u64,
    /// The head this pass is heading for.
    pub head: u64,
    /// Events handed to the projection so far.
    pub events: u64,
}

impl Progress {
    /// Positions covered, out of the positions to cover.
    pub fn fraction(&self) -> f64 {
        let total = self.head.saturating_sub(self.from);
        if total == 0 {
            return 1.0;
        }
        self.checkpoint.saturating_sub(self.from) as f64 / total as f64
    }
}

/// Feeds one projection from the log: catch up, follow, retry.
pub struct ProjectionRunner<S, T> {
    store: S,
    target: T,
    options: RunnerOptions,
    status: Arc<watch::Sender<ProjectionStatus>>,
}

impl<S, T> ProjectionRunner<S, T>
where
    S: EventStore + LogFollower + Clone,
    T: CatchUpTarget,
{
    /// A runner with default [`RunnerOptions`].
    pub fn new(store: S, target: T) -> Self {
        let status = ProjectionStatus::new(target.name());
        ProjectionRunner {
            store,
            target,
            options: RunnerOptions::default(),
            status: Arc::new(watch::channel(status).0),
        }
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: RunnerOptions) -> Self {
        self.options = options;
        self
    }

    /// The projection's current status.
    pub fn status(&self) -> ProjectionStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every status change, for status pages.
    pub fn watch_status(&self) -> watch::Receiver<ProjectionStatus> {
        self.status.subscribe()
    }

    /// The target, for queries on its read model.
    pub fn target(&self) -> &T {
        &self.target
    }

    /// Marks the runner as waiting for another worker's lease.
    pub fn standby(&self) {
        self.set_state(RunState::Standby);
    }

    fn set_state(&self, state: RunState) {
        self.status.send_modify(|s| {
            s.state = state;
            s.updated_at = chrono::Utc::now();
        });
    }

    /// Reads the log from the checkpoint to the head once, then lets the target do
    /// what is due by the clock ([`CatchUpTarget::tick`]); a failure is returned, not
    /// retried.
    pub async fn catch_up(&mut self) -> Result<Progress, ProjectionError> {
        self.catch_up_with(|_| {}).await
    }

    /// Like [`catch_up`](Self::catch_up), reporting progress after every batch.
    ///
    /// While one page is applied, the next is already being read: the database works
    /// on the next query while this process decodes and applies the last one.
    pub async fn catch_up_with(
        &mut self,
        mut progress: impl FnMut(Progress) + Send,
    ) -> Result<Progress, ProjectionError> {
        let from = self.target.checkpoint().await?;
        let names = self.target.event_names();
        let batch_size = self.options.batch_size;
        let page_from = |position: u64| {
            let mut query = ReadAll::from_position(position + 1).limit(batch_size);
            query.event_names = names.clone();
            query
        };
        let mut state = Progress {
            from,
            checkpoint: from,
            head: self.store.head_position().await?,
            events: 0,
        };
        self.status.send_modify(|s| s.at(from, state.head));
        loop {
            // The head is read before the pages that follow it: a page that is not
            // full holds every matching event up to that head.
            let head = self.store.head_position().await?;
            state.head = state.head.max(head);
            if state.checkpoint >= head {
                self.target.tick().await?;
                let waiting = self.target.waiting();
                self.status.send_modify(|s| {
                    s.at(state.checkpoint, head);
                    s.waiting = waiting;
                    let name = s.name.clone();
                    metrics::gauge!("cqrs_parked_events", "projection" => name.clone())
                        .set(waiting.parked as f64);
                    metrics::gauge!("cqrs_pending_deadlines", "projection" => name)
                        .set(waiting.deadlines as f64);
                });
                return Ok(state);
            }
            self.set_state(RunState::CatchingUp);
            let mut page = self.store.read_all(page_from(state.checkpoint)).await?;
            loop {
                let full = page.len() >= batch_size;
                let last = page.last().map_or(state.checkpoint, |e| e.header.position);
                let up_to = if full { last } else { last.max(head) };
                let count = page.len() as u64;
                let batch = tracing::debug_span!(
                    "projection_batch",
                    projection = %self.status.borrow().name,
                    events = count,
                    from = state.checkpoint,
                    to = up_to,
                );
                let next = if full {
                    // The next page is read (and its rows decoded) in a task of its
                    // own while this one applies the page in hand.
                    let store = self.store.clone();
                    let query = page_from(last);
                    let next = tokio::spawn(async move { store.read_all(query).await });
                    let applied = self.target.apply(page, up_to).instrument(batch).await;
                    let next = next
                        .await
                        .map_err(|e| StoreError::backend("read the next page of the log", e));
                    applied?;
                    Some(next.and_then(|next| next))
                } else {
                    self.target.apply(page, up_to).instrument(batch).await?;
                    None
                };
                state.checkpoint = up_to;
                state.events += count;
                state.head = state.head.max(up_to);
                self.status.send_modify(|s| s.at(up_to, state.head));
                progress(state);
                match next {
                    Some(next) => page = next?,
                    None => break,
                }
            }
        }
    }

    /// Empties the read model and replays the whole log into it.
    pub async fn rebuild(
        &mut self,
        progress: impl FnMut(Progress) + Send,
    ) -> Result<Progress, ProjectionError> {
        self.target.reset().await?;
        self.status.send_modify(|s| s.at(0, s.head));
        self.catch_up_with(progress).await
    }

    /// Catches up, then follows the log until `shutdown` completes. A failure is
    /// retried with exponential backoff, forever: the failing event is never skipped.
    pub async fn run_until(&mut self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = pin!(shutdown.fuse());
        let mut attempt: u32 = 0;
        loop {
            if (&mut shutdown).now_or_never().is_some() {
                break;
            }
            match self.catch_up().await {
                Ok(progress) => {
                    attempt = 0;
                    self.set_state(RunState::Live);
                    let wait = self
                        .store
                        .wait_past(progress.checkpoint, self.options.poll_interval);
                    tokio::select! {
                        _ = &mut shutdown => break,
                        _ = wait => {}
                    }
                }
                Err(error) => {
                    attempt = attempt.saturating_add(1);
                    let pause = self.backoff(attempt);
                    let message = error_chain(&error);
                    tracing::warn!(projection = self.target.name(), attempt, retry_in = ?pause, "{message}");
                    self.set_state(RunState::Retrying {
                        attempt,
                        error: message,
                        retry_in_ms: pause.as_millis() as u64,
                    });
                    tokio::select! {
                        _ = &mut shutdown => break,
                        _ = tokio::time::sleep(pause) => {}
                    }
                }
            }
        }
        self.set_state(RunState::Stopped);
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.options
            .min_backoff
            .saturating_mul(factor)
            .min(self.options.max_backoff)
    }
}

/// An error and its causes, one line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
