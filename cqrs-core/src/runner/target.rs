//! Where a projection's events go: the read model and its checkpoint.

use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ProjectionError;
use super::parking::{self, Parking, Stored};
use crate::envelope::RecordedEvent;
use crate::projection::Projection;
use crate::store::{EventStore, StoreError, StoredView, ViewStore};

/// A read model that a [`ProjectionRunner`](super::ProjectionRunner) feeds from the log.
///
/// `apply` must record the checkpoint with the batch: either both take effect or
/// neither, or the docs of the implementation must say the delivery is at-least-once.
pub trait CatchUpTarget: Send + 'static {
    /// The projection's stable name.
    fn name(&self) -> &str;

    /// The persisted event names to read (the projection's handled events); `None` for all.
    fn event_names(&self) -> Option<Vec<String>>;

    /// The last position the read model reflects.
    fn checkpoint(&mut self) -> impl Future<Output = Result<u64, ProjectionError>> + Send;

    /// Handles `events` (in position order) and records `up_to` as the checkpoint. On
    /// error, the checkpoint names the last event whose effect was kept.
    fn apply(
        &mut self,
        events: Vec<RecordedEvent>,
        up_to: u64,
    ) -> impl Future<Output = Result<(), ProjectionError>> + Send;

    /// Empties the read model and its checkpoint.
    fn reset(&mut self) -> impl Future<Output = Result<(), ProjectionError>> + Send;

    /// Does what is due by the clock (a process manager's deadlines), each time the
    /// runner has caught up with the log. Nothing by default.
    fn tick(&mut self) -> impl Future<Output = Result<(), ProjectionError>> + Send {
        async { Ok(()) }
    }

    /// What waits in the target besides the log, for status pages: a process
    /// manager's parked events and pending deadlines. Nothing by default.
    fn waiting(&self) -> Waiting {
        Waiting::default()
    }
}

/// What waits in a catch-up target besides the log (see [`CatchUpTarget::waiting`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Waiting {
    /// Events parked for an operator.
    pub parked: u64,
    /// Deadlines scheduled and not yet fired.
    pub deadlines: u64,
}

/// A shared handle on a read model that a runner keeps up to date.
pub type SharedView<P> = Arc<RwLock<P>>;

/// Reads the shared read model.
pub fn read_view<P, R>(view: &SharedView<P>, read: impl FnOnce(&P) -> R) -> R {
    read(&view.read().unwrap_or_else(PoisonError::into_inner))
}

/// Applies recorded events to a projection, stopping at the first failure, which
/// names the event.
fn project_all<P: Projection>(
    projection: &mut P,
    events: Vec<RecordedEvent>,
) -> Result<(), ProjectionError> {
    events
        .iter()
        .try_for_each(|recorded| project_one(projection, recorded))
}

pub(super) fn project_one<P: Projection>(
    projection: &mut P,
    recorded: &RecordedEvent,
) -> Result<(), ProjectionError> {
    let RecordedEvent { header, payload } = recorded;
    if !P::handles(&header.event_name) {
        return Ok(());
    }
    let Some(event) = P::decode_event(header, payload).map_err(ProjectionError::Decode)? else {
        return Ok(());
    };
    projection
        .project(header, event)
        .map_err(|source| ProjectionError::Handler {
            projection: P::NAME.to_owned(),
            position: header.position,
            stream_id: header.stream_id.to_string(),
            event_name: header.event_name.to_string(),
            source,
        })
}

/// A read model held in process memory; its checkpoint too, so it is rebuilt from
/// the start of the log whenever the process starts. Each event's effect is applied
/// exactly once per process.
#[derive(Debug)]
pub struct MemoryTarget<P> {
    view: SharedView<P>,
    checkpoint: u64,
}

impl<P: Projection + Default> MemoryTarget<P> {
    /// An empty read model.
    pub fn new() -> Self {
        MemoryTarget {
            view: Arc::default(),
            checkpoint: 0,
        }
    }

    /// A handle for queries, valid while the runner updates the read model.
    pub fn view(&self) -> SharedView<P> {
        self.view.clone()
    }
}

impl<P: Projection + Default> Default for MemoryTarget<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Projection + Default> CatchUpTarget for MemoryTarget<P> {
    fn name(&self) -> &str {
        P::NAME
    }

    fn event_names(&self) -> Option<Vec<String>> {
        Some(P::HANDLED_EVENTS.iter().map(|n| (*n).to_owned()).collect())
    }

    async fn checkpoint(&mut self) -> Result<u64, ProjectionError> {
        Ok(self.checkpoint)
    }

    async fn apply(
        &mut self,
        events: Vec<RecordedEvent>,
        up_to: u64,
    ) -> Result<(), ProjectionError> {
        let mut view = self.view.write().unwrap_or_else(PoisonError::into_inner);
        for recorded in &events {
            let position = recorded.header.position;
            project_one(&mut *view, recorded)?;
            self.checkpoint = position;
        }
        self.checkpoint = self.checkpoint.max(up_to);
        Ok(())
    }

    async fn reset(&mut self) -> Result<(), ProjectionError> {
        *self.view.write().unwrap_or_else(PoisonError::into_inner) = P::default();
        self.checkpoint = 0;
        Ok(())
    }
}

/// A read model kept as one document in the store's database, saved together with
/// its checkpoint in one write after every batch: each event's effect is kept
/// exactly once, across restarts and crashes. Suits small read models (a ranking, a
/// counter); the whole document is written per batch.
pub struct DocumentTarget<P, S> {
    store: S,
    name: String,
    view: SharedView<P>,
    checkpoint: Option<u64>,
    /// Set by [`park_failing_streams`](Self::park_failing_streams).
    parking: Option<Parking>,
}

impl<P, S> DocumentTarget<P, S>
where
    P: Projection + Default + Clone + Serialize + DeserializeOwned,
    S: ViewStore,
{
    /// The read model saved under the projection's name.
    pub fn new(store: S) -> Self {
        Self::named(store, P::NAME)
    }

    /// The read model saved under another name: a new version built beside the old.
    pub fn named(store: S, name: &str) -> Self {
        DocumentTarget {
            store,
            name: name.to_owned(),
            view: Arc::default(),
            checkpoint: None,
            parking: None,
        }
    }

    /// Parks per stream instead of stopping: an event that fails `attempts` times is
    /// set aside with its error and its stream's later events queue behind it, while
    /// the other streams go on (see [`parking`](super::parking)). The parked events
    /// are kept in the document beside the read model (`{"view": ..., "parked":
    /// ...}`); a document saved before parking was turned on is read as it is.
    ///
    /// Events of one stream keep their order; a retried stream's events land after
    /// the other streams' events that came meanwhile. Suits read models whose
    /// streams' effects do not depend on each other's order (counts per product,
    /// a row per cart).
    pub fn park_failing_streams(mut self, attempts: u32) -> Self {
        self.parking = Some(Parking::new(attempts));
        self
    }

    /// A handle for queries, valid while the runner updates the read model.
    pub fn view(&self) -> SharedView<P> {
        self.view.clone()
    }

    /// The document's state as stored: the read model, beside its parked events
    /// when it parks.
    fn decode(&mut self, state: serde_json::Value, position: u64) -> Result<P, ProjectionError> {
        let corrupt = |e: serde_json::Error| {
            ProjectionError::Store(StoreError::Corrupt {
                position,
                reason: format!("view `{}` does not decode: {e}", self.name),
            })
        };
        let Some(parking) = &mut self.parking else {
            return serde_json::from_value::<P>(state).map_err(corrupt);
        };
        match serde_json::from_value::<Stored<P>>(state.clone()) {
            Ok(stored) => {
                parking.parked = stored.parked;
                Ok(stored.view)
            }
            Err(_) => serde_json::from_value::<P>(state).map_err(corrupt),
        }
    }

    async fn load(&mut self) -> Result<u64, ProjectionError> {
        let (state, position) = match self
            .store
            .load_view(&self.name)
            .await
            .map_err(ProjectionError::Store)?
        {
            Some(stored) => (self.decode(stored.state, stored.position)?, stored.position),
            None => (P::default(), 0),
        };
        *self.view.write().unwrap_or_else(PoisonError::into_inner) = state;
        self.checkpoint = Some(position);
        Ok(position)
    }
}

impl<P, S> CatchUpTarget for DocumentTarget<P, S>
where
    P: Projection + Default + Clone + Serialize + DeserializeOwned,
    S: ViewStore + EventStore,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn event_names(&self) -> Option<Vec<String>> {
        let operator = self
            .parking
            .as_ref()
            .map(|_| [parking::RETRY, parking::EVICT]);
        Some(
            P::HANDLED_EVENTS
                .iter()
                .copied()
                .chain(operator.into_iter().flatten())
                .map(str::to_owned)
                .collect(),
        )
    }

    async fn checkpoint(&mut self) -> Result<u64, ProjectionError> {
        match self.checkpoint {
            Some(position) => Ok(position),
            None => self.load().await,
        }
    }

    async fn apply(
        &mut self,
        events: Vec<RecordedEvent>,
        up_to: u64,
    ) -> Result<(), ProjectionError> {
        let base = self
            .view
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let (next, parked) = match &mut self.parking {
            None => {
                let mut next = base;
                project_all(&mut next, events)?;
                (next, None)
            }
            Some(parking) => {
                let (next, parked) = parking
                    .apply(&self.store, &self.name, &base, &events)
                    .await?;
                (next, Some(parked))
            }
        };
        let state = match &parked {
            None => serde_json::to_value(&next),
            Some(parked) => serde_json::to_value(Stored {
                view: &next,
                parked: parked.clone(),
            }),
        };
        let state = state.map_err(|e| {
            ProjectionError::Store(StoreError::backend(
                format!("serialize view `{}`", self.name),
                e,
            ))
        })?;
        let stored = StoredView {
            position: up_to,
            state,
        };
        if let Err(error) = self.store.save_view(&self.name, stored).await {
            // The save may or may not have landed: read the truth back next time.
            self.checkpoint = None;
            return Err(ProjectionError::Store(error));
        }
        *self.view.write().unwrap_or_else(PoisonError::into_inner) = next;
        if let (Some(parking), Some(parked)) = (&mut self.parking, parked) {
            parking.parked = parked;
        }
        self.checkpoint = Some(up_to);
        Ok(())
    }

    fn waiting(&self) -> Waiting {
        Waiting {
            parked: self.parking.as_ref().map_or(0, Parking::count),
            deadlines: 0,
        }
    }

    async fn reset(&mut self) -> Result<(), ProjectionError> {
        self.store
            .delete_view(&self.name)
            .await
            .map_err(ProjectionError::Store)?;
        *self.view.write().unwrap_or_else(PoisonError::into_inner) = P::default();
        if let Some(parking) = &mut self.parking {
            parking.parked.clear();
        }
        self.checkpoint = Some(0);
        Ok(())
    }
}
