//! The write path: load an aggregate, decide a command, append its events.

mod cache;
mod error;
mod options;
mod snapshots;
mod turns;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

pub use error::CommandError;
pub use options::{AsOf, ExecuteOptions, RetryPolicy};

use crate::aggregate::Aggregate;
use crate::command::Command;
use crate::envelope::{EventEnvelope, EventHeader, NewEvent, RecordedEvent};
use crate::event::DomainEvent;
use crate::metadata::Metadata;
use crate::store::{EventStore, SnapshotStore, StoreError};
use crate::version::ExpectedVersion;
use cache::AggregateCache;
use snapshots::SnapshotPolicy;
use turns::StreamTurns;

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

/// A loaded aggregate and the version of its latest snapshot.
pub(crate) struct Replayed<A> {
    loaded: Loaded<A>,
    snapshot_version: u64,
}

/// The id of the `index`-th event a command appends: derived from the command's id,
/// so a repeated command carries the same ids and the store recognises it.
fn event_id(command_id: Uuid, index: usize) -> Uuid {
    Uuid::new_v5(&command_id, &(index as u64).to_be_bytes())
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
    retry: RetryPolicy,
    snapshots: Option<SnapshotPolicy<A>>,
    cache: Option<AggregateCache<A>>,
    /// Copies events to apply them to a kept state (snapshots or cache) after they
    /// are handed to the caller.
    clone_event: Option<CloneEvent<A>>,
    /// Commands on one stream run one at a time.
    turns: StreamTurns,
}

/// Copies an event (`Clone::clone`, kept as a pointer so `Repository` needs no bound).
type CloneEvent<A> = fn(&<A as Aggregate>::Event) -> <A as Aggregate>::Event;

impl<A: Aggregate, S: std::fmt::Debug> std::fmt::Debug for Repository<A, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("aggregate", &A::TYPE_NAME)
            .field("store", &self.store)
            .field("retry", &self.retry)
            .field("snapshot_every", &self.snapshots.as_ref().map(|p| p.every))
            .field("cached", &self.cache.as_ref().map(AggregateCache::capacity))
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
            retry: RetryPolicy::default(),
            snapshots: None,
            cache: None,
            clone_event: None,
            turns: StreamTurns::default(),
        }
    }

    /// Keeps a snapshot of the state once `every` events were applied past the last
    /// one, and loads from the latest snapshot, replaying only the events after it.
    ///
    /// Snapshots record [`Aggregate::STATE_VERSION`]: one of another version, or one
    /// that no longer decodes, is logged and ignored, and the stream replayed in
    /// full. A snapshot that cannot be saved is logged, never a failed command. Off
    /// by default.
    pub fn with_snapshots(mut self, every: u64) -> Self
    where
        S: SnapshotStore + Clone,
        A: Serialize + DeserializeOwned,
        A::Event: Clone,
    {
        self.snapshots = Some(SnapshotPolicy::new(self.store.clone(), every));
        self.clone_event = Some(Clone::clone);
        self
    }

    /// Keeps up to `capacity` recently used aggregates in memory (least recently
    /// used out first), so a command on a hot aggregate reads only the events stored
    /// since it was cached, whatever the length of its history.
    ///
    /// A command decides on the cached state without reading the store, and appends
    /// expecting the cached version: the store's check proves the state was current.
    /// When another writer (another process) moved the aggregate, the append
    /// conflicts, the newer events are read and the command decided again; a refusal
    /// or an empty decision is also checked against newer events before it is
    /// returned. So a cached command never acts on stale state. Loads with
    /// [`load`](Self::load) do not use the cache.
    ///
    /// ```
    /// # use cqrs_core::doc_example::*;
    /// use cqrs_core::{InMemoryEventStore, Repository};
    ///
    /// let carts = Repository::<Cart, _>::new(InMemoryEventStore::new()).with_cache(10_000);
    /// ```
    pub fn with_cache(mut self, capacity: usize) -> Self
    where
        A::Event: Clone,
    {
        self.cache = AggregateCache::new(capacity);
        self.clone_event = Some(Clone::clone);
        self
    }

    /// Re-decides a command whose append lost a race with another writer (another
    /// process: commands through one repository take turns per aggregate and never
    /// race each other), within the policy's attempts and time, with jittered pauses;
    /// the last conflict is returned as [`CommandError::Conflict`]. By default for up
    /// to 10 s ([`RetryPolicy::default`]); [`RetryPolicy::NEVER`] turns it off.
    /// Commands with an expected version are never retried: the caller's version is
    /// stale.
    ///
    /// ```
    /// # use cqrs_core::doc_example::*;
    /// use cqrs_core::{InMemoryEventStore, Repository, RetryPolicy};
    ///
    /// let carts = Repository::<Cart, _>::new(InMemoryEventStore::new())
    ///     .retry_conflicts(RetryPolicy::attempts(10));
    /// ```
    pub fn retry_conflicts(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The underlying store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Rebuilds the aggregate with this id from its events.
    pub async fn load(&self, id: &str) -> Result<Loaded<A>, CommandError<A::Error>> {
        Ok(self.replay(&A::stream_id(id)).await?.loaded)
    }

    /// Rebuilds the aggregate as it was at a stream version or a point in time.
    ///
    /// ```
    /// # use cqrs_core::doc_example::*;
    /// use cqrs_core::{AsOf, InMemoryEventStore, Repository};
    ///
    /// # pollster::block_on(async {
    /// let carts = Repository::<Cart, _>::new(InMemoryEventStore::new());
    /// carts.execute("1", CartCommand::AddItem { sku: "apple".into(), quantity: 2 }).await?;
    /// let added = carts.execute("1", CartCommand::AddItem { sku: "pear".into(), quantity: 1 }).await?;
    ///
    /// let before = carts.load_as_of("1", AsOf::Version(1)).await?;
    /// assert!(!before.state.items.contains_key("pear"));
    /// let then = carts.load_as_of("1", AsOf::Time(added[0].header.recorded_at)).await?;
    /// assert_eq!(then.version, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn load_as_of(
        &self,
        id: &str,
        as_of: AsOf,
    ) -> Result<Loaded<A>, CommandError<A::Error>> {
        let stream_id = A::stream_id(id);
        let mut start = Loaded {
            state: A::default(),
            version: 0,
        };
        if let (AsOf::Version(target), Some(policy)) = (as_of, &self.snapshots)
            && let Some((state, version)) = policy.load(&stream_id).await?
            && version <= target
        {
            start = Loaded { state, version };
        }
        let replayed = Replayed {
            snapshot_version: start.version,
            loaded: start,
        };
        Ok(self
            .catch_up_until(&stream_id, replayed, Some(as_of))
            .await?
            .loaded)
    }

    /// The state from the latest usable snapshot and the events after it.
    async fn replay(&self, stream_id: &str) -> Result<Replayed<A>, CommandError<A::Error>> {
        let mut loaded = Loaded {
            state: A::default(),
            version: 0,
        };
        if let Some(policy) = &self.snapshots
            && let Some((state, version)) = policy.load(stream_id).await?
        {
            loaded = Loaded { state, version };
        }
        let snapshot_version = loaded.version;
        self.catch_up(
            stream_id,
            Replayed {
                loaded,
                snapshot_version,
            },
        )
        .await
    }

    /// Applies the events stored after `replayed`'s version.
    async fn catch_up(
        &self,
        stream_id: &str,
        replayed: Replayed<A>,
    ) -> Result<Replayed<A>, CommandError<A::Error>> {
        self.catch_up_until(stream_id, replayed, None).await
    }

    /// Applies the events stored after `replayed`'s version, up to `until` if given.
    async fn catch_up_until(
        &self,
        stream_id: &str,
        replayed: Replayed<A>,
        until: Option<AsOf>,
    ) -> Result<Replayed<A>, CommandError<A::Error>> {
        let Replayed {
            mut loaded,
            snapshot_version,
        } = replayed;
        let done = |header: &EventHeader| match until {
            None => false,
            Some(AsOf::Version(target)) => header.stream_version > target,
            Some(AsOf::Time(time)) => header.recorded_at > time,
        };
        loop {
            let page = self
                .store
                .read_stream(stream_id, loaded.version + 1, REPLAY_PAGE)
                .await?;
            let full = page.len() == REPLAY_PAGE;
            for recorded in page {
                if done(&recorded.header) {
                    return Ok(Replayed {
                        loaded,
                        snapshot_version,
                    });
                }
                apply(&mut loaded, recorded)?;
            }
            if !full {
                return Ok(Replayed {
                    loaded,
                    snapshot_version,
                });
            }
        }
    }

    /// Keeps the state after a command: applies its events, saves a snapshot when
    /// one is due, and puts the state in the cache.
    async fn keep(&self, stream_id: &str, mut replayed: Replayed<A>, events: &[A::Event]) {
        let Some(clone_event) = self.clone_event else {
            return;
        };
        let version = replayed.loaded.version + events.len() as u64;
        let snapshot_due = self
            .snapshots
            .as_ref()
            .is_some_and(|policy| version - replayed.snapshot_version >= policy.every);
        if self.cache.is_none() && !snapshot_due {
            return;
        }
        for event in events {
            replayed.loaded.state.apply(clone_event(event));
        }
        replayed.loaded.version = version;
        if let Some(policy) = &self.snapshots
            && snapshot_due
        {
            policy
                .save(stream_id, replayed.loaded.version, &replayed.loaded.state)
                .await;
            replayed.snapshot_version = replayed.loaded.version;
        }
        if let Some(cache) = &self.cache {
            cache.put(stream_id, replayed);
        }
    }

    /// Puts a state that did not change back in the cache.
    fn keep_unchanged(&self, stream_id: &str, replayed: Replayed<A>) {
        if let Some(cache) = &self.cache {
            cache.put(stream_id, replayed);
        }
    }

    /// Executes a command with default options: a new command id, no expected
    /// version, conflicts retried as [`retry_conflicts`](Self::retry_conflicts) says.
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
        self.execute_with(id, command, ExecuteOptions::default())
            .await
    }

    /// Executes a command with options: an expected version, an idempotency id,
    /// metadata.
    ///
    /// With a [`command_id`](ExecuteOptions::command_id), a command already executed
    /// under that id appends nothing and returns the events it committed then, also
    /// when two copies race (the loser finds the winner's events).
    pub async fn execute_with<C>(
        &self,
        id: &str,
        command: C,
        options: ExecuteOptions,
    ) -> Result<Vec<EventEnvelope<A::Event>>, CommandError<A::Error>>
    where
        C: Command<Aggregate = A> + Clone,
    {
        let stream_id = A::stream_id(id);
        // Commands on one aggregate take turns: each decides on the state the one
        // before it left, so they never conflict with each other.
        let _turn = self.turns.take(&stream_id).await;
        let idempotent = options.command_id.is_some();
        let command_id = options.command_id.unwrap_or_else(Uuid::new_v4);
        if idempotent && let Some(earlier) = self.earlier_outcome(&stream_id, command_id).await? {
            return Ok(earlier);
        }
        let started = std::time::Instant::now();
        let mut attempt = 1;
        loop {
            let result = self
                .decide_and_append(&stream_id, &command, &options, command_id)
                .await;
            match result {
                Err(error) if error.is_conflict() => {
                    if idempotent
                        && let Some(earlier) = self.earlier_outcome(&stream_id, command_id).await?
                    {
                        return Ok(earlier);
                    }
                    if options.expected_version.is_some()
                        || !self.retry.allows(attempt + 1, started.elapsed())
                    {
                        return Err(error);
                    }
                    pause(self.retry.pause(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// The events an earlier execution of this command id committed, if any.
    async fn earlier_outcome(
        &self,
        stream_id: &str,
        command_id: Uuid,
    ) -> Result<Option<Vec<EventEnvelope<A::Event>>>, CommandError<A::Error>> {
        let first_id = event_id(command_id, 0);
        let found = self.store.locate_events(&[first_id]).await?;
        let Some(Some(first)) = found.into_iter().next() else {
            return Ok(None);
        };
        if first.stream_id != stream_id {
            return Err(CommandError::Store(StoreError::DuplicateEventId {
                event_id: first_id,
                stream_id: stream_id.to_owned(),
                existing_stream: first.stream_id,
            }));
        }
        let mut events = Vec::new();
        let mut from = first.stream_version;
        loop {
            let page = self.store.read_stream(stream_id, from, REPLAY_PAGE).await?;
            let full = page.len() == REPLAY_PAGE;
            from += page.len() as u64;
            for recorded in page {
                if recorded.header.event_id != event_id(command_id, events.len()) {
                    return Ok(Some(events));
                }
                events.push(recorded.decode::<A::Event>()?);
            }
            if !full {
                return Ok(Some(events));
            }
        }
    }

    /// Decides the command on the aggregate's state and appends its events.
    ///
    /// A cached state is used as it is, without asking the store: the append's version
    /// check proves it current. Only when the append conflicts, or the decision would
    /// not append (a refusal, nothing to do, another expected version), are newer
    /// events read and the command decided again on them.
    async fn decide_and_append<C>(
        &self,
        stream_id: &str,
        command: &C,
        options: &ExecuteOptions,
        command_id: Uuid,
    ) -> Result<Vec<EventEnvelope<A::Event>>, CommandError<A::Error>>
    where
        C: Command<Aggregate = A> + Clone,
    {
        let (mut replayed, mut current) = match self.cache.as_ref().and_then(|c| c.take(stream_id))
        {
            Some(cached) => (cached, false),
            None => (self.replay(stream_id).await?, true),
        };
        loop {
            match self
                .decide(stream_id, command.clone(), options, &replayed)
                .await
            {
                Decided::Events(events) => {
                    match self
                        .append_decided(stream_id, replayed, events, options, command_id)
                        .await?
                    {
                        Appended::Committed(envelopes) => return Ok(envelopes),
                        Appended::Conflict(_, stale) if !current => {
                            if options.command_id.is_some()
                                && let Some(earlier) =
                                    self.earlier_outcome(stream_id, command_id).await?
                            {
                                self.keep_unchanged(stream_id, stale);
                                return Ok(earlier);
                            }
                            replayed = self.catch_up(stream_id, stale).await?;
                            current = true;
                        }
                        Appended::Conflict(error, stale) => {
                            // Another writer won the race: bring the state up to date for
                            // the next command (or a retry), which then appends at once.
                            if self.cache.is_some()
                                && let Ok(current) = self.catch_up(stream_id, stale).await
                            {
                                self.keep_unchanged(stream_id, current);
                            }
                            return Err(error);
                        }
                    }
                }
                Decided::Final(result) => {
                    if !current {
                        let cached_version = replayed.loaded.version;
                        replayed = self.catch_up(stream_id, replayed).await?;
                        current = true;
                        if replayed.loaded.version != cached_version {
                            continue;
                        }
                    }
                    self.keep_unchanged(stream_id, replayed);
                    return result;
                }
            }
        }
    }

    /// The command's decision on a state, before anything is written.
    async fn decide<C>(
        &self,
        stream_id: &str,
        command: C,
        options: &ExecuteOptions,
        replayed: &Replayed<A>,
    ) -> Decided<A>
    where
        C: Command<Aggregate = A>,
    {
        let loaded = &replayed.loaded;
        if let Some(expected) = options.expected_version
            && expected != loaded.version
        {
            return Decided::Final(Err(CommandError::Conflict {
                stream_id: stream_id.to_owned(),
                expected: ExpectedVersion::Exact(expected),
                actual: loaded.version,
            }));
        }
        match command.handle(&loaded.state, &self.services).await {
            Ok(events) if events.is_empty() => Decided::Final(Ok(Vec::new())),
            Ok(events) => Decided::Events(events),
            Err(rejection) => Decided::Final(Err(CommandError::Rejected(rejection))),
        }
    }

    /// Appends decided events at the state's version.
    async fn append_decided(
        &self,
        stream_id: &str,
        replayed: Replayed<A>,
        events: Vec<A::Event>,
        options: &ExecuteOptions,
        command_id: Uuid,
    ) -> Result<Appended<A>, CommandError<A::Error>> {
        let causation_id = options.metadata.causation_id.unwrap_or(command_id);
        let metadata = Metadata {
            causation_id: Some(causation_id),
            correlation_id: Some(options.metadata.correlation_id.unwrap_or(causation_id)),
            ..options.metadata.clone()
        };
        let mut new_events = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            let mut new_event = NewEvent::from_event(event, metadata.clone())?;
            new_event.event_id = event_id(command_id, index);
            new_events.push(new_event);
        }
        let version = replayed.loaded.version;
        let expected = match version {
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
        let result = match self.store.append(stream_id, expected, new_events).await {
            Ok(result) => result,
            Err(error) => {
                let error = CommandError::from(error);
                if error.is_conflict() {
                    return Ok(Appended::Conflict(error, replayed));
                }
                self.keep_unchanged(stream_id, replayed);
                return Err(error);
            }
        };
        if result.duplicate {
            // Another copy of this command committed these very events first.
            if let Some(earlier) = self.earlier_outcome(stream_id, command_id).await? {
                return Ok(Appended::Committed(earlier));
            }
        }
        self.keep(stream_id, replayed, &events).await;
        Ok(Appended::Committed(
            headers
                .into_iter()
                .zip(events)
                .zip(result.positions)
                .enumerate()
                .map(|(index, ((mut header, event), position))| {
                    header.stream_version = version + 1 + index as u64;
                    header.position = position;
                    header.recorded_at = result.recorded_at;
                    EventEnvelope { header, event }
                })
                .collect(),
        ))
    }
}

/// What a command decided.
enum Decided<A: Aggregate> {
    /// Events to append.
    Events(Vec<A::Event>),
    /// Nothing to append: the result to return (valid once the state is current).
    Final(Result<Vec<EventEnvelope<A::Event>>, CommandError<A::Error>>),
}

/// What became of an append.
enum Appended<A: Aggregate> {
    /// The committed events.
    Committed(Vec<EventEnvelope<A::Event>>),
    /// Another writer moved the stream: the error, and the state to catch up.
    Conflict(CommandError<A::Error>, Replayed<A>),
}

/// Decodes a stored event and applies it.
fn apply<A: Aggregate>(
    loaded: &mut Loaded<A>,
    recorded: RecordedEvent,
) -> Result<(), CommandError<A::Error>> {
    let envelope = recorded.decode::<A::Event>()?;
    loaded.version = envelope.header.stream_version;
    loaded.state.apply(envelope.event);
    Ok(())
}

/// Sleeps before a retry; without a Tokio runtime (a test on `pollster`), retries
/// at once.
async fn pause(duration: std::time::Duration) {
    if !duration.is_zero() && tokio::runtime::Handle::try_current().is_ok() {
        tokio::time::sleep(duration).await;
    }
}

/// Encodes then decodes an event, as the store would: a check that it round-trips.
pub(crate) fn round_trip<E: DomainEvent>(event: &E) -> Result<E, String> {
    let event_type = event.event_type();
    let payload = event.encode().map_err(|e| e.to_string())?;
    E::decode(event_type.name, event_type.version, payload).map_err(|e| e.to_string())
}
