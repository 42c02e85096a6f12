//! The write path: load an aggregate, decide a command, append its events.

mod batch;
mod cache;
mod error;
mod execute;
mod options;
mod snapshots;
mod telemetry;
mod turns;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

pub use error::CommandError;
pub use options::{AsOf, ExecuteOptions, RetryPolicy};

use crate::aggregate::Aggregate;
use crate::envelope::{EventHeader, RecordedEvent};
use crate::event::DomainEvent;
use crate::store::{EventStore, SnapshotStore};
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
    /// Commands on one stream run one at a time, or together in one append.
    turns: StreamTurns<batch::Job<A>, batch::Outcome<A>>,
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
            for recorded in &page {
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
        self.keep_applied(stream_id, replayed).await;
    }

    /// Keeps a state that holds a command's events already: saves a snapshot when
    /// one is due, and puts the state in the cache.
    async fn keep_applied(&self, stream_id: &str, mut replayed: Replayed<A>) {
        if let Some(policy) = &self.snapshots
            && replayed.loaded.version - replayed.snapshot_version >= policy.every
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
}

/// Decodes a stored event and applies it. The event is read in place: moving its
/// header into an envelope first showed as copying in a profile of loads.
fn apply<A: Aggregate>(
    loaded: &mut Loaded<A>,
    recorded: &RecordedEvent,
) -> Result<(), CommandError<A::Error>> {
    let event = recorded
        .header
        .decode_payload::<A::Event>(&recorded.payload)?;
    loaded.version = recorded.header.stream_version;
    loaded.state.apply(event);
    Ok(())
}

/// Encodes then decodes an event, as the store would: a check that it round-trips.
pub(crate) fn round_trip<E: DomainEvent>(event: &E) -> Result<E, String> {
    let event_type = event.event_type();
    let payload = event.encode().map_err(|e| e.to_string())?;
    E::decode(event_type.name, event_type.version, &payload).map_err(|e| e.to_string())
}
