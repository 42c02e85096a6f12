//! What a store promises, trait by trait, and the one [`Store`] bound applications write.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::StoreError;
use super::streams::{ListStreams, StreamSummary};
use crate::envelope::{NewEvent, RecordedEvent};
use crate::inline::{InlineView, StoredDocument};
use crate::version::ExpectedVersion;

/// What an append committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendResult {
    /// The stream's version after the append.
    pub stream_version: u64,
    /// The global position of each appended event, in order.
    pub positions: Vec<u64>,
    /// When the store committed the events.
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// `true` when every event id was already stored by an earlier identical append,
    /// so nothing was written this time.
    pub duplicate: bool,
}

/// Which part of the global log to read.
///
/// ```
/// use cqrs_core::ReadAll;
///
/// let page = ReadAll::from_position(1).limit(500).only(["cart.item_added"]);
/// assert_eq!(page.max_count, 500);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAll {
    /// The first position to return (inclusive); positions start at `1`.
    pub from_position: u64,
    /// At most this many events.
    pub max_count: usize,
    /// Only events with one of these persisted names; `None` for every event.
    pub event_names: Option<Vec<String>>,
}

impl ReadAll {
    /// Every event from `position` on, in pages of 1,000.
    pub fn from_position(position: u64) -> Self {
        ReadAll {
            from_position: position,
            max_count: 1_000,
            event_names: None,
        }
    }

    /// Returns at most `max_count` events.
    pub fn limit(mut self, max_count: usize) -> Self {
        self.max_count = max_count;
        self
    }

    /// Returns only events with one of these persisted names.
    pub fn only<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.event_names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Whether an event with this name passes the name filter.
    pub fn admits(&self, event_name: &str) -> bool {
        self.event_names
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == event_name))
    }
}

/// An append-only store of event streams with one global order.
///
/// Every implementation runs the same conformance suite (`cqrs_core::conformance`).
/// Guarantees:
///
/// - `append` writes all events of one call or none; the expected-version check
///   and the write are atomic, so of two writers with the same expectation exactly
///   one wins and the other gets [`StoreError::WrongExpectedVersion`];
/// - an append whose event ids are all already stored, in the same stream and
///   order, writes nothing and returns the original result (`duplicate: true`);
/// - positions only grow, and a reader that has seen position `n` never later
///   finds a new event below `n`; a failed append may leave positions unused
///   (PostgreSQL takes them from a sequence), so positions can have gaps;
/// - `read_all` and `head_position` show at least every event committed before
///   they were called.
pub trait EventStore: Send + Sync + 'static {
    /// Appends events to a stream if its version satisfies `expected`.
    fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = Result<AppendResult, StoreError>> + Send;

    /// Reads up to `max_count` events of a stream, from version `from_version` (inclusive).
    fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send;

    /// Reads the global log in position order.
    fn read_all(
        &self,
        query: ReadAll,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send;

    /// The stream's current version: `0` when it does not exist.
    fn stream_version(
        &self,
        stream_id: &str,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The position of the newest event every reader can see: `0` for an empty store.
    fn head_position(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The streams [`ListStreams`] selects, in id order, with their versions.
    fn list_streams(
        &self,
        query: ListStreams,
    ) -> impl Future<Output = Result<Vec<StreamSummary>, StoreError>> + Send;

    /// Where each of these event ids is stored, in the order asked: `None` for an id
    /// the store does not hold. Served from the unique index on event ids.
    fn locate_events(
        &self,
        event_ids: &[uuid::Uuid],
    ) -> impl Future<Output = Result<Vec<Option<StoredId>>, StoreError>> + Send;
}

/// An aggregate's serialized state at a stream version, to skip replaying old events.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The stream the state was built from.
    pub stream_id: String,
    /// The version of the last event applied.
    pub version: u64,
    /// The schema version of the state's type when it was saved
    /// ([`Aggregate::STATE_VERSION`](crate::Aggregate::STATE_VERSION)); a snapshot of
    /// another version is ignored and the stream replayed.
    pub state_version: u32,
    /// The serialized state.
    pub state: serde_json::Value,
}

/// Keeps the latest snapshot per stream.
pub trait SnapshotStore: Send + Sync + 'static {
    /// Stores a snapshot, replacing the stream's previous one.
    fn save_snapshot(
        &self,
        snapshot: Snapshot,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The stream's latest snapshot, if any.
    fn load_snapshot(
        &self,
        stream_id: &str,
    ) -> impl Future<Output = Result<Option<Snapshot>, StoreError>> + Send;
}

/// A read model kept as one document with the position it reflects, saved in one
/// write: the view and its checkpoint can never disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredView {
    /// The last position the view reflects.
    pub position: u64,
    /// The serialized read model.
    pub state: serde_json::Value,
}

/// Keeps read models as documents beside the events, each with its checkpoint.
pub trait ViewStore: Send + Sync + 'static {
    /// The named view and its position, if it was ever saved.
    fn load_view(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<StoredView>, StoreError>> + Send;

    /// Replaces the named view and its position in one atomic write, unless the
    /// stored view is at a later position (a slower writer never moves a view back).
    fn save_view(
        &self,
        name: &str,
        view: StoredView,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Forgets the named view (a rebuild starts from nothing).
    fn delete_view(&self, name: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Wakes followers of the global log when new events commit.
pub trait LogFollower: Send + Sync + 'static {
    /// Returns when the head moves past `position`, or after `timeout`, whichever is
    /// first. A store that cannot be told about every append (another process wrote
    /// it) relies on the timeout as a polling fallback.
    fn wait_past(
        &self,
        position: u64,
        timeout: std::time::Duration,
    ) -> impl Future<Output = ()> + Send;
}

/// Where a stored event id is: the answer of [`EventStore::locate_events`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredId {
    /// The stream holding it.
    pub stream_id: String,
    /// Its version in that stream.
    pub stream_version: u64,
    /// Its global position.
    pub position: u64,
    /// When it was committed.
    pub recorded_at: DateTime<Utc>,
}

/// Stores that keep inline views: documents updated inside each append.
pub trait InlineViews {
    /// Keeps `view` up to date inside every later append through this handle.
    /// Registering a view whose name is already registered changes nothing and
    /// returns `false`: each event is applied once.
    fn register_inline(&self, view: impl InlineView) -> bool;
}

/// Reads and writes inline documents.
pub trait DocumentStore: Send + Sync + 'static {
    /// The view's document for a stream.
    fn load_document(
        &self,
        view: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredDocument>, StoreError>> + Send;

    /// Replaces every document of a view (a rebuild).
    fn replace_documents(
        &self,
        view: &str,
        documents: Vec<(String, StoredDocument)>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Grants one worker at a time the right to run a named projection.
///
/// PostgreSQL holds a session advisory lock on a dedicated connection; SQLite locks a
/// file beside the database; the in-memory store keeps a set in the process. A
/// worker that dies loses its lease with its connection or its file handle.
pub trait Leases: Send + Sync {
    /// The held lease; dropping it releases it.
    type Lease: Send;

    /// Takes the lease if no other worker holds it.
    fn try_lease(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<Self::Lease>, StoreError>> + Send;

    /// Resolves when the lease is no longer held.
    fn lost(lease: &mut Self::Lease) -> impl Future<Output = ()> + Send;

    /// Gives the lease up.
    fn release(lease: Self::Lease) -> impl Future<Output = ()> + Send;
}

/// Everything a store offers, as one bound: what application code writes once.
///
/// Every store of this workspace implements it (memory, SQLite, PostgreSQL), and the
/// conformance suite checks each promise on each of them.
///
/// ```
/// use cqrs_core::{InMemoryEventStore, ReadAll, Store, StoreError};
///
/// async fn event_count(store: &impl Store) -> Result<usize, StoreError> {
///     Ok(store.read_all(ReadAll::from_position(1)).await?.len())
/// }
///
/// # pollster::block_on(async {
/// assert_eq!(event_count(&InMemoryEventStore::new()).await.unwrap(), 0);
/// # });
/// ```
pub trait Store:
    EventStore + SnapshotStore + ViewStore + LogFollower + Leases + InlineViews + DocumentStore + Clone
{
}

impl<S> Store for S where
    S: EventStore
        + SnapshotStore
        + ViewStore
        + LogFollower
        + Leases
        + InlineViews
        + DocumentStore
        + Clone
{
}
