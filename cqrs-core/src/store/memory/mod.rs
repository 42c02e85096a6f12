//! The in-memory store: a real store, built from the kit like the others.

mod side_tables;
mod tx;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use futures_util::FutureExt;
use tokio::sync::watch;
use uuid::Uuid;

pub use side_tables::MemoryLease;

use super::kit::{
    AppendRequest, InlineRegistry, append_in, commit_time, publish_head, wait_past_head,
};
use super::{
    AppendResult, EventStore, ListStreams, LogFollower, ReadAll, Snapshot, StoreError, StoredId,
    StoredView, StreamSummary,
};
use crate::envelope::{NewEvent, RecordedEvent};
use crate::inline::StoredDocument;
use crate::version::ExpectedVersion;

/// An event store in process memory: for tests, examples and single-process tools.
///
/// It keeps the same promises as the durable stores (atomic expected-version
/// checks, one global order, idempotent appends by event id) and is safe to share
/// between tasks: clones share the same log and the same inline views;
/// [`another_handle`](InMemoryEventStore::another_handle) shares the log only, as a
/// second process on one database would.
///
/// ```
/// use cqrs_core::{EventStore, ExpectedVersion, InMemoryEventStore, NewEvent, ReadAll};
///
/// # pollster::block_on(async {
/// let store = InMemoryEventStore::new();
/// let event = NewEvent::new("Opened", 1, serde_json::Value::Null);
/// let result = store.append("account-1", ExpectedVersion::NoStream, vec![event]).await.unwrap();
/// assert_eq!(result.stream_version, 1);
/// let conflict = store.append("account-1", ExpectedVersion::NoStream, vec![]).await;
/// assert!(conflict.is_err());
/// assert_eq!(store.read_all(ReadAll::from_position(1)).await.unwrap().len(), 1);
/// # })
/// ```
#[derive(Clone)]
pub struct InMemoryEventStore {
    state: Arc<RwLock<State>>,
    head: Arc<watch::Sender<u64>>,
    inline: InlineRegistry,
    leases: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    /// The conformance suite's fault: commits fail while it is set.
    failing: Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Default)]
struct State {
    /// The global log; the event at index `i` has position `i + 1`.
    log: Vec<RecordedEvent>,
    /// Each stream's events, as positions.
    streams: HashMap<String, Vec<u64>>,
    /// Where each event id is stored.
    ids: HashMap<Uuid, u64>,
    snapshots: HashMap<String, Snapshot>,
    views: HashMap<String, StoredView>,
    /// Inline documents by view, then by stream.
    documents: HashMap<String, HashMap<String, StoredDocument>>,
}

impl Default for InMemoryEventStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for InMemoryEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryEventStore")
            .field("head", &*self.head.borrow())
            .finish()
    }
}

impl InMemoryEventStore {
    /// An empty store.
    pub fn new() -> Self {
        InMemoryEventStore {
            state: Arc::default(),
            head: Arc::new(watch::channel(0).0),
            inline: InlineRegistry::default(),
            leases: Arc::default(),
            failing: Arc::default(),
        }
    }

    /// A fault for the conformance suite (feature `conformance`): while `true`, every
    /// commit fails and writes nothing.
    #[cfg(feature = "conformance")]
    pub fn fail_commits(&self, fail: bool) {
        self.failing
            .store(fail, std::sync::atomic::Ordering::SeqCst);
    }

    /// A handle on the same events, snapshots, views and leases with no inline views
    /// registered: what another process opening the same database would have.
    pub fn another_handle(&self) -> Self {
        InMemoryEventStore {
            inline: InlineRegistry::default(),
            ..self.clone()
        }
    }

    /// A receiver that sees the head position change after every append.
    pub fn watch_head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // Writes stage their changes and land them without a fallible step, so a
        // panic while the lock was held cannot have left the state half-changed.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn stream_version(&self, stream_id: &str) -> u64 {
        self.streams.get(stream_id).map_or(0, |s| s.len() as u64)
    }

    fn list_streams(&self, query: &ListStreams) -> Vec<StreamSummary> {
        let mut found: Vec<StreamSummary> = self
            .streams
            .iter()
            .filter(|(id, _)| query.matches(id))
            .map(|(id, positions)| StreamSummary {
                stream_id: id.clone(),
                version: positions.len() as u64,
            })
            .collect();
        found.sort_unstable_by(|a, b| a.stream_id.cmp(&b.stream_id));
        found.truncate(query.limit);
        found
    }

    fn event_at(&self, position: u64) -> Option<&RecordedEvent> {
        let index = usize::try_from(position.checked_sub(1)?).ok()?;
        self.log.get(index)
    }

    fn locate(&self, event_id: &Uuid) -> Option<StoredId> {
        let position = *self.ids.get(event_id)?;
        let header = &self.event_at(position)?.header;
        Some(StoredId {
            stream_id: header.stream_id.to_string(),
            stream_version: header.stream_version,
            position,
            recorded_at: header.recorded_at,
        })
    }

    fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> Vec<RecordedEvent> {
        let Some(positions) = self.streams.get(stream_id) else {
            return Vec::new();
        };
        let skip = usize::try_from(from_version.saturating_sub(1)).unwrap_or(usize::MAX);
        let wanted = positions.get(skip..).unwrap_or_default();
        let wanted = &wanted[..wanted.len().min(max_count)];
        // One allocation of the exact size: growing the vector allocates three times
        // for a ten-event stream, and each is large enough to make the allocator
        // consolidate its free lists (the largest cost of a load in a profile).
        let mut events = Vec::with_capacity(wanted.len());
        events.extend(wanted.iter().filter_map(|&p| self.event_at(p).cloned()));
        events
    }

    fn read_all(&self, query: &ReadAll) -> Vec<RecordedEvent> {
        let skip = usize::try_from(query.from_position.saturating_sub(1)).unwrap_or(usize::MAX);
        let rest = self.log.get(skip..).unwrap_or_default();
        let mut events = Vec::with_capacity(rest.len().min(query.max_count));
        events.extend(
            rest.iter()
                .filter(|e| query.admits(&e.header.event_name))
                .take(query.max_count)
                .cloned(),
        );
        events
    }

    fn document(&self, view: &str, key: &str) -> Option<StoredDocument> {
        self.documents.get(view).and_then(|d| d.get(key)).cloned()
    }
}

impl EventStore for InMemoryEventStore {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        let request = AppendRequest::new(stream_id, expected, events);
        let views = self.inline.views_for(&request.events);
        let mut state = self.write();
        let mut tx = tx::MemoryTx::new(&mut state);
        // Every statement of the memory transaction is ready at once: the shared
        // append runs to completion here, under the lock, without yielding.
        let result = append_in(&mut tx, &views, &request, commit_time())
            .now_or_never()
            .unwrap_or_else(|| {
                Err(StoreError::backend(
                    format!("append to stream `{stream_id}`"),
                    std::io::Error::other("the in-memory append yielded"),
                ))
            });
        if result.is_ok() && self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::backend(
                format!("commit the append to stream `{stream_id}`"),
                std::io::Error::other("commits are failing (a fault set by the conformance suite)"),
            ));
        }
        if result.is_ok() {
            let head = tx.commit(request.events);
            drop(state);
            publish_head(&self.head, head);
        }
        result
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.read().read_stream(stream_id, from_version, max_count))
    }

    async fn read_all(&self, query: ReadAll) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.read().read_all(&query))
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        Ok(self.read().stream_version(stream_id))
    }

    async fn locate_events(&self, event_ids: &[Uuid]) -> Result<Vec<Option<StoredId>>, StoreError> {
        let state = self.read();
        Ok(event_ids.iter().map(|id| state.locate(id)).collect())
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        Ok(self.read().log.len() as u64)
    }

    async fn list_streams(&self, query: ListStreams) -> Result<Vec<StreamSummary>, StoreError> {
        Ok(self.read().list_streams(&query))
    }
}

impl LogFollower for InMemoryEventStore {
    async fn wait_past(&self, position: u64, timeout: std::time::Duration) {
        wait_past_head(self.watch_head(), position, timeout).await;
    }
}
