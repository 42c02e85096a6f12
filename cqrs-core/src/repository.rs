//! The write path: load an aggregate, decide a command, append its events.

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::aggregate::Aggregate;
use crate::command::Command;
use crate::envelope::{EventDecodeError, EventEnvelope, EventHeader, NewEvent};
use crate::event::{DomainEvent, EncodeError};
use crate::metadata::Metadata;
use crate::store::{EventStore, Snapshot, SnapshotStore, StoreError};
use crate::version::ExpectedVersion;

/// Events read per round trip when an aggregate is replayed.
const REPLAY_PAGE: usize = 1_000;

/// An aggregate rebuilt from its stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<A> {
    /// The state after every stored event.
    pub state: A,
    /// The stream's version: the number of events applied (`0` for a new aggregate).
    pub version: u64,
}

/// How to execute one command.
#[derive(Debug, Clone, Default)]
pub struct ExecuteOptions {
    /// Refuse the command unless the aggregate is at this version: the client's
    /// `If-Match`. When set, a conflict is returned instead of retried.
    pub expected_version: Option<u64>,
    /// Correlation id, timestamp and application values for the new events. The
    /// causation id is the command's id; the correlation id defaults to it.
    pub metadata: Metadata,
    /// The command's id, recorded as the events' causation id (default: a new id).
    pub command_id: Option<Uuid>,
}

impl ExecuteOptions {
    /// Options that require the aggregate to be at `version`.
    pub fn expect_version(version: u64) -> Self {
        ExecuteOptions {
            expected_version: Some(version),
            ..Self::default()
        }
    }
}

/// Why a command produced no events.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error + 'static> {
    /// The aggregate refused the command; the error is the aggregate's own, unchanged.
    #[error(transparent)]
    Rejected(E),
    /// Another writer changed the aggregate first.
    #[error(
        "stream `{stream_id}` changed concurrently: expected {expected}, found version {actual}"
    )]
    Conflict {
        /// The aggregate's stream.
        stream_id: String,
        /// What the writer expected.
        expected: ExpectedVersion,
        /// The stream's version.
        actual: u64,
    },
    /// A stored event does not decode.
    #[error(transparent)]
    Decode(#[from] Box<EventDecodeError>),
    /// A new event does not encode.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl<E: std::error::Error + 'static> CommandError<E> {
    /// The aggregate's own error, when it refused the command.
    pub fn rejection(&self) -> Option<&E> {
        match self {
            CommandError::Rejected(error) => Some(error),
            _ => None,
        }
    }

    /// Whether another writer changed the aggregate first.
    pub fn is_conflict(&self) -> bool {
        matches!(self, CommandError::Conflict { .. })
    }
}

impl<E: std::error::Error + 'static> From<StoreError> for CommandError<E> {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::WrongExpectedVersion {
                stream_id,
                expected,
                actual,
            } => CommandError::Conflict {
                stream_id,
                expected,
                actual,
            },
            other => CommandError::Store(other),
        }
    }
}

/// Loads aggregates from an event store and executes commands against them.
///
/// ```
/// # use cqrs_core::doc_example::*;
/// use cqrs_core::{InMemoryEventStore, Repository};
///
/// # pollster::block_on(async {
/// let carts = Repository::<Cart, _>::new(InMemoryEventStore::new());
/// let committed = carts.execute("42", CartCommand::AddItem { sku: "apple".into(), quantity: 2 }).await?;
/// assert_eq!(committed[0].header.stream_id, "cart-42");
/// assert_eq!(committed[0].header.stream_version, 1);
///
/// let refused = carts.execute("42", CartCommand::AddItem { sku: "pear".into(), quantity: 0 }).await;
/// assert!(matches!(refused.unwrap_err().rejection(), Some(CartError::ZeroQuantity)));
/// assert_eq!(carts.load("42").await?.state.items["apple"], 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Repository<A: Aggregate, S> {
    store: S,
    services: A::Services,
    conflict_retries: u32,
    snapshots: Option<SnapshotPolicy<A>>,
}

type LoadSnapshot =
    Box<dyn Fn(String) -> BoxFuture<'static, Result<Option<Snapshot>, StoreError>> + Send + Sync>;
type SaveSnapshot =
    Box<dyn Fn(Snapshot) -> BoxFuture<'static, Result<(), StoreError>> + Send + Sync>;

/// When and how the repository keeps snapshots (see [`Repository::with_snapshots`]).
struct SnapshotPolicy<A: Aggregate> {
    every: u64,
    load: LoadSnapshot,
    save: SaveSnapshot,
    encode: fn(&A) -> Result<serde_json::Value, serde_json::Error>,
    decode: fn(serde_json::Value) -> Result<A, serde_json::Error>,
    clone_event: fn(&A::Event) -> A::Event,
}

impl<A: Aggregate, S: std::fmt::Debug> std::fmt::Debug for Repository<A, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("aggregate", &A::TYPE_NAME)
            .field("store", &self.store)
            .field("conflict_retries", &self.conflict_retries)
            .finish()
    }
}

impl<A, S> Repository<A, S>
where
    A: Aggregate,
    S: EventStore,
{
    /// A repository for an aggregate whose services are `Default` (such as `()`).
    pub fn new(store: S) -> Self
    where
        A::Services: Default,
    {
        Self::with_services(store, A::Services::default())
    }

    /// A repository that hands `services` to every command handler.
    pub fn with_services(store: S, services: A::Services) -> Self {
        Repository {
            store,
            services,
            conflict_retries: 3,
            snapshots: None,
        }
    }

    /// Keeps a snapshot of the state every `every` events and loads from the latest
    /// one, replaying only the events after it. A snapshot that no longer decodes
    /// (the state type changed) is ignored and the stream is replayed in full; a
    /// snapshot that cannot be saved is logged, never a failed command.
    pub fn with_snapshots(mut self, every: u64) -> Self
    where
        S: SnapshotStore + Clone,
        A: Serialize + DeserializeOwned,
        A::Event: Clone,
    {
        let (loading, saving) = (self.store.clone(), self.store.clone());
        self.snapshots = Some(SnapshotPolicy {
            every: every.max(1),
            load: Box::new(move |stream_id| {
                let store = loading.clone();
                Box::pin(async move { store.load_snapshot(&stream_id).await })
            }),
            save: Box::new(move |snapshot| {
                let store = saving.clone();
                Box::pin(async move { store.save_snapshot(snapshot).await })
            }),
            encode: |state| serde_json::to_value(state),
            decode: serde_json::from_value,
            clone_event: Clone::clone,
        });
        self
    }

    /// How often [`execute`](Self::execute) reloads and decides again after a
    /// concurrent writer won (default `3`).
    pub fn conflict_retries(mut self, retries: u32) -> Self {
        self.conflict_retries = retries;
        self
    }

    /// The underlying store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Rebuilds the aggregate with this id from its events.
    pub async fn load(&self, id: &str) -> Result<Loaded<A>, CommandError<A::Error>> {
        self.load_stream(&A::stream_id(id)).await
    }

    async fn load_stream(&self, stream_id: &str) -> Result<Loaded<A>, CommandError<A::Error>> {
        let mut loaded = self.load_snapshot(stream_id).await?;
        loop {
            let page = self
                .store
                .read_stream(stream_id, loaded.version + 1, REPLAY_PAGE)
                .await?;
            let count = page.len();
            for recorded in page {
                let envelope = recorded.decode::<A::Event>()?;
                loaded.version = envelope.header.stream_version;
                loaded.state.apply(envelope.event);
            }
            if count < REPLAY_PAGE {
                return Ok(loaded);
            }
        }
    }

    /// The latest usable snapshot, or the empty state.
    async fn load_snapshot(&self, stream_id: &str) -> Result<Loaded<A>, CommandError<A::Error>> {
        let empty = Loaded {
            state: A::default(),
            version: 0,
        };
        let Some(policy) = &self.snapshots else {
            return Ok(empty);
        };
        let Some(snapshot) = (policy.load)(stream_id.to_owned()).await? else {
            return Ok(empty);
        };
        match (policy.decode)(snapshot.state) {
            Ok(state) => Ok(Loaded {
                state,
                version: snapshot.version,
            }),
            Err(error) => {
                tracing::warn!(
                    stream_id,
                    version = snapshot.version,
                    "ignoring a snapshot that does not decode: {error}"
                );
                Ok(empty)
            }
        }
    }

    /// Saves a snapshot when the append crossed a multiple of the snapshot interval.
    async fn maybe_snapshot(&self, stream_id: &str, loaded: Loaded<A>, events: &[A::Event]) {
        let Some(policy) = &self.snapshots else {
            return;
        };
        let version = loaded.version + events.len() as u64;
        if version / policy.every == loaded.version / policy.every {
            return;
        }
        let mut state = loaded.state;
        for event in events {
            state.apply((policy.clone_event)(event));
        }
        let saved = match (policy.encode)(&state) {
            Ok(state) => {
                let snapshot = Snapshot {
                    stream_id: stream_id.to_owned(),
                    version,
                    state,
                };
                (policy.save)(snapshot).await.map_err(|e| e.to_string())
            }
            Err(error) => Err(error.to_string()),
        };
        if let Err(error) = saved {
            tracing::warn!(stream_id, version, "could not save a snapshot: {error}");
        }
    }

    /// Executes a command; when another writer wins the race, reloads the aggregate
    /// and decides again, up to [`conflict_retries`](Self::conflict_retries) times.
    ///
    /// Returns the committed events (none when the handler decided nothing).
    pub async fn execute<C>(
        &self,
        id: &str,
        command: C,
    ) -> Result<Vec<EventEnvelope<A::Event>>, CommandError<A::Error>>
    where
        C: Command<Aggregate = A> + Clone,
    {
        let options = ExecuteOptions::default();
        let command_id = Uuid::new_v4();
        let stream_id = A::stream_id(id);
        let mut attempt = 0;
        loop {
            let result = self
                .decide_and_append(&stream_id, command.clone(), &options, command_id)
                .await;
            match result {
                Err(error) if error.is_conflict() && attempt < self.conflict_retries => {
                    attempt += 1
                }
                other => return other,
            }
        }
    }

    /// Executes a command once, with options; a conflict is returned, never retried.
    pub async fn execute_with<C>(
        &self,
        id: &str,
        command: C,
        options: ExecuteOptions,
    ) -> Result<Vec<EventEnvelope<A::Event>>, CommandError<A::Error>>
    where
        C: Command<Aggregate = A>,
    {
        let command_id = options.command_id.unwrap_or_else(Uuid::new_v4);
        self.decide_and_append(&A::stream_id(id), command, &options, command_id)
            .await
    }

    async fn decide_and_append<C>(
        &self,
        stream_id: &str,
        command: C,
        options: &ExecuteOptions,
        command_id: Uuid,
    ) -> Result<Vec<EventEnvelope<A::Event>>, CommandError<A::Error>>
    where
        C: Command<Aggregate = A>,
    {
        let loaded = self.load_stream(stream_id).await?;
        if let Some(expected) = options.expected_version
            && expected != loaded.version
        {
            return Err(CommandError::Conflict {
                stream_id: stream_id.to_owned(),
                expected: ExpectedVersion::Exact(expected),
                actual: loaded.version,
            });
        }
        let events = command
            .handle(&loaded.state, &self.services)
            .await
            .map_err(CommandError::Rejected)?;
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let metadata = Metadata {
            causation_id: Some(command_id),
            correlation_id: Some(options.metadata.correlation_id.unwrap_or(command_id)),
            ..options.metadata.clone()
        };
        let new_events = events
            .iter()
            .map(|event| NewEvent::from_event(event, metadata.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let expected = match loaded.version {
            0 => ExpectedVersion::NoStream,
            version => ExpectedVersion::Exact(version),
        };
        let headers: Vec<EventHeader> = new_events
            .iter()
            .map(|e| EventHeader {
                stream_id: stream_id.to_owned(),
                stream_version: 0,
                position: 0,
                event_id: e.event_id,
                event_name: e.event_name.clone(),
                event_version: e.event_version,
                recorded_at: metadata.timestamp,
                metadata: e.metadata.clone(),
            })
            .collect();
        let result = self.store.append(stream_id, expected, new_events).await?;
        let first_version = loaded.version + 1;
        self.maybe_snapshot(stream_id, loaded, &events).await;
        Ok(headers
            .into_iter()
            .zip(events)
            .zip(result.positions)
            .enumerate()
            .map(|(index, ((mut header, event), position))| {
                header.stream_version = first_version + index as u64;
                header.position = position;
                header.recorded_at = result.recorded_at;
                EventEnvelope { header, event }
            })
            .collect())
    }
}

/// Encodes then decodes an event, as the store would: a check that it round-trips.
pub(crate) fn round_trip<E: DomainEvent>(event: &E) -> Result<E, String> {
    let event_type = event.event_type();
    let payload = event.encode().map_err(|e| e.to_string())?;
    E::decode(event_type.name, event_type.version, payload).map_err(|e| e.to_string())
}
