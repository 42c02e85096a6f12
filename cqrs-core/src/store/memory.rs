use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use chrono::Utc;
use tokio::sync::watch;
use uuid::Uuid;

use super::{
    AppendResult, CheckpointStore, EventStore, LogFollower, ReadAll, Snapshot, SnapshotStore,
    StoreError, StoredView, ViewStore,
};
use crate::envelope::{EventHeader, NewEvent, RecordedEvent};
use crate::version::ExpectedVersion;

/// An event store in process memory: for tests, examples and single-process tools.
///
/// It keeps the same promises as the durable stores (atomic expected-version
/// checks, one global order, idempotent appends by event id) and is safe to share
/// between tasks: clones share the same log.
///
/// ```
/// use cqrs_core::{EventStore, ExpectedVersion, InMemoryEventStore, NewEvent, ReadAll};
///
/// # tokio_test();
/// # fn tokio_test() { pollster::block_on(async {
/// let store = InMemoryEventStore::new();
/// let event = NewEvent::new("Opened", 1, serde_json::Value::Null);
/// let result = store.append("account-1", ExpectedVersion::NoStream, vec![event]).await.unwrap();
/// assert_eq!(result.stream_version, 1);
/// let conflict = store.append("account-1", ExpectedVersion::NoStream, vec![]).await;
/// assert!(conflict.is_err());
/// assert_eq!(store.read_all(ReadAll::from_position(1)).await.unwrap().len(), 1);
/// # }) }
/// ```
#[derive(Clone)]
pub struct InMemoryEventStore {
    state: Arc<RwLock<State>>,
    head: Arc<watch::Sender<u64>>,
    inline: crate::inline::InlineRegistry,
    leases: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
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
    checkpoints: HashMap<String, u64>,
    views: HashMap<String, StoredView>,
    /// Inline documents by view, then by stream.
    documents: HashMap<String, HashMap<String, crate::inline::StoredDocument>>,
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
            inline: Default::default(),
            leases: Arc::default(),
        }
    }

    /// A receiver that sees the head position change after every append.
    pub fn watch_head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // Every write below validates before it mutates, so a panic while the lock
        // was held cannot have left the state half-changed.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// The new inline documents for an append, computed before anything changes.
    fn inline_documents(
        &self,
        inline: &crate::inline::InlineRegistry,
        stream_id: &str,
        version: u64,
        recorded_at: chrono::DateTime<Utc>,
        events: &[NewEvent],
    ) -> Result<Vec<(String, crate::inline::StoredDocument)>, StoreError> {
        let views = inline.views_for(events);
        if views.is_empty() {
            return Ok(Vec::new());
        }
        let first = self.log.len() as u64 + 1;
        let positions: Vec<u64> = (first..first + events.len() as u64).collect();
        let recorded =
            crate::inline::recorded(stream_id, version + 1, &positions, recorded_at, events);
        let mut documents = Vec::with_capacity(views.len());
        for view in views {
            let current = self
                .documents
                .get(view.name())
                .and_then(|d| d.get(stream_id))
                .map(|d| d.state.clone());
            let state = view
                .apply(current, &recorded)
                .map_err(|source| crate::inline::refused(&*view, stream_id, source))?;
            let document = crate::inline::StoredDocument {
                version: version + events.len() as u64,
                position: positions.last().copied().unwrap_or(0),
                state,
            };
            documents.push((view.name().to_owned(), document));
        }
        Ok(documents)
    }

    fn stream_version(&self, stream_id: &str) -> u64 {
        self.streams.get(stream_id).map_or(0, |s| s.len() as u64)
    }

    fn event_at(&self, position: u64) -> &RecordedEvent {
        &self.log[(position - 1) as usize]
    }

    fn locate(&self, event_id: &Uuid) -> Option<super::StoredId> {
        self.ids.get(event_id).map(|&position| {
            let header = &self.event_at(position).header;
            super::StoredId {
                stream_id: header.stream_id.clone(),
                stream_version: header.stream_version,
                position,
                recorded_at: header.recorded_at,
            }
        })
    }

    /// Returns the original result when `events` is an exact retry of an earlier append.
    fn earlier_append(
        &self,
        stream_id: &str,
        events: &[NewEvent],
    ) -> Result<Option<AppendResult>, StoreError> {
        let stored: Vec<_> = events.iter().map(|e| self.locate(&e.event_id)).collect();
        super::earlier_append(stream_id, events, &stored)
    }
}

fn check_unique_ids(stream_id: &str, events: &[NewEvent]) -> Result<(), StoreError> {
    let mut seen = std::collections::HashSet::with_capacity(events.len());
    for event in events {
        if !seen.insert(event.event_id) {
            return Err(StoreError::DuplicateEventId {
                event_id: event.event_id,
                stream_id: stream_id.to_owned(),
                existing_stream: stream_id.to_owned(),
            });
        }
    }
    Ok(())
}

impl EventStore for InMemoryEventStore {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        if events.is_empty() {
            return Err(StoreError::EmptyAppend {
                stream_id: stream_id.to_owned(),
            });
        }
        check_unique_ids(stream_id, &events)?;
        let mut state = self.write();
        if let Some(result) = state.earlier_append(stream_id, &events)? {
            return Ok(result);
        }
        let actual = state.stream_version(stream_id);
        if !expected.is_satisfied_by(actual) {
            return Err(StoreError::WrongExpectedVersion {
                stream_id: stream_id.to_owned(),
                expected,
                actual,
            });
        }
        let recorded_at = Utc::now();
        let documents =
            state.inline_documents(&self.inline, stream_id, actual, recorded_at, &events)?;
        for (view, document) in documents {
            state
                .documents
                .entry(view)
                .or_default()
                .insert(stream_id.to_owned(), document);
        }
        let mut positions = Vec::with_capacity(events.len());
        let mut version = actual;
        for event in events {
            version += 1;
            let position = state.log.len() as u64 + 1;
            state.ids.insert(event.event_id, position);
            state.log.push(RecordedEvent {
                header: EventHeader {
                    stream_id: stream_id.to_owned(),
                    stream_version: version,
                    position,
                    event_id: event.event_id,
                    event_name: event.event_name,
                    event_version: event.event_version,
                    recorded_at,
                    metadata: event.metadata,
                },
                payload: event.payload,
            });
            positions.push(position);
        }
        state
            .streams
            .entry(stream_id.to_owned())
            .or_default()
            .extend_from_slice(&positions);
        let head = state.log.len() as u64;
        drop(state);
        self.head.send_replace(head);
        Ok(AppendResult {
            stream_version: version,
            positions,
            recorded_at,
            duplicate: false,
        })
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let state = self.read();
        let Some(positions) = state.streams.get(stream_id) else {
            return Ok(Vec::new());
        };
        let skip = from_version.saturating_sub(1) as usize;
        Ok(positions
            .iter()
            .skip(skip)
            .take(max_count)
            .map(|&p| state.event_at(p).clone())
            .collect())
    }

    async fn read_all(&self, query: ReadAll) -> Result<Vec<RecordedEvent>, StoreError> {
        let state = self.read();
        let skip = query.from_position.saturating_sub(1) as usize;
        Ok(state
            .log
            .iter()
            .skip(skip)
            .filter(|e| query.admits(&e.header.event_name))
            .take(query.max_count)
            .cloned()
            .collect())
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        Ok(self.read().stream_version(stream_id))
    }

    async fn locate_events(
        &self,
        event_ids: &[Uuid],
    ) -> Result<Vec<Option<super::StoredId>>, StoreError> {
        let state = self.read();
        Ok(event_ids.iter().map(|id| state.locate(id)).collect())
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        Ok(self.read().log.len() as u64)
    }
}

impl SnapshotStore for InMemoryEventStore {
    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        self.write()
            .snapshots
            .insert(snapshot.stream_id.clone(), snapshot);
        Ok(())
    }

    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.read().snapshots.get(stream_id).cloned())
    }
}

impl CheckpointStore for InMemoryEventStore {
    async fn load_checkpoint(&self, name: &str) -> Result<u64, StoreError> {
        Ok(self.read().checkpoints.get(name).copied().unwrap_or(0))
    }

    async fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError> {
        self.write().checkpoints.insert(name.to_owned(), position);
        Ok(())
    }
}

impl ViewStore for InMemoryEventStore {
    async fn load_view(&self, name: &str) -> Result<Option<StoredView>, StoreError> {
        Ok(self.read().views.get(name).cloned())
    }

    async fn save_view(&self, name: &str, view: StoredView) -> Result<(), StoreError> {
        let mut state = self.write();
        let stored = state
            .views
            .entry(name.to_owned())
            .or_insert_with(|| view.clone());
        if view.position >= stored.position {
            *stored = view;
        }
        Ok(())
    }

    async fn delete_view(&self, name: &str) -> Result<(), StoreError> {
        self.write().views.remove(name);
        Ok(())
    }
}

impl LogFollower for InMemoryEventStore {
    async fn wait_past(&self, position: u64, timeout: std::time::Duration) {
        super::wait_past_head(self.watch_head(), position, timeout).await;
    }
}

/// A lease on a projection within this process.
#[derive(Debug)]
pub struct MemoryLease {
    name: String,
    leases: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

impl Drop for MemoryLease {
    fn drop(&mut self) {
        self.leases
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.name);
    }
}

impl crate::runner::Leases for InMemoryEventStore {
    type Lease = MemoryLease;

    async fn try_lease(&self, name: &str) -> Result<Option<MemoryLease>, StoreError> {
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        if !leases.insert(name.to_owned()) {
            return Ok(None);
        }
        Ok(Some(MemoryLease {
            name: name.to_owned(),
            leases: self.leases.clone(),
        }))
    }

    async fn lost(_: &mut MemoryLease, _: std::time::Duration) {
        std::future::pending::<()>().await
    }

    async fn release(lease: MemoryLease) {
        drop(lease);
    }
}

impl crate::inline::InlineViews for InMemoryEventStore {
    fn register_inline(&self, view: impl crate::inline::InlineView) {
        self.inline.register(view);
    }
}

impl crate::inline::DocumentStore for InMemoryEventStore {
    async fn load_document(
        &self,
        view: &str,
        key: &str,
    ) -> Result<Option<crate::inline::StoredDocument>, StoreError> {
        Ok(self
            .read()
            .documents
            .get(view)
            .and_then(|d| d.get(key))
            .cloned())
    }

    async fn replace_documents(
        &self,
        view: &str,
        documents: Vec<(String, crate::inline::StoredDocument)>,
    ) -> Result<(), StoreError> {
        self.write()
            .documents
            .insert(view.to_owned(), documents.into_iter().collect());
        Ok(())
    }
}
