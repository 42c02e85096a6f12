//! Parking per stream for a document projection that opts in
//! ([`DocumentTarget::park_failing_streams`](super::DocumentTarget::park_failing_streams)):
//! an event whose handling keeps failing is set aside with its error, and the later
//! events of its stream queue behind it, while every other stream goes on. The
//! parked events are saved in the view's document, with its state and checkpoint,
//! in one write; nothing is dropped silently.
//!
//! An operator asks for a retry or an eviction by appending a request to the log
//! ([`request_retry`], [`request_evict`]); the worker handles it in log order, in
//! the same write as the events around it, so each parked event's effect is kept
//! exactly once whoever asks and whatever crashes.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ProjectionError;
use super::target::project_one;
use crate::envelope::RecordedEvent;
use crate::process::Parked;
use crate::projection::Projection;
use crate::store::{EventStore, StoreError, ViewStore};
use crate::version::ExpectedVersion;
use crate::{NewEvent, Payload};

/// The persisted name of an operator's request to retry a stream's parked events.
pub const RETRY: &str = "projection.retry_parked";
/// The persisted name of an operator's request to drop a stream's parked events.
pub const EVICT: &str = "projection.evict_parked";

/// Parked events by stream, each stream's in log order.
pub type ParkedStreams = BTreeMap<String, Vec<Parked>>;

/// A view's document when it parks: the read model and its parked events.
#[derive(Serialize, Deserialize)]
pub(super) struct Stored<V> {
    pub(super) view: V,
    #[serde(default)]
    pub(super) parked: ParkedStreams,
}

/// What an operator's request names.
#[derive(Serialize, Deserialize)]
struct Request {
    stream: String,
}

/// The stream where an operator's requests to the projection `name` go.
pub fn operator_stream(name: &str) -> String {
    format!("projection:{name}:operator")
}

/// Asks the worker of the document projection `name` to handle `stream`'s parked
/// events again, in order; returns the request's position in the log. An event that
/// fails again stays parked, with its new error, and the ones behind it.
pub async fn request_retry<S: EventStore>(
    store: &S,
    name: &str,
    stream: &str,
) -> Result<u64, StoreError> {
    request(store, name, RETRY, stream).await
}

/// Asks the worker of the document projection `name` to drop `stream`'s parked
/// events unhandled; the stream's later events are then applied as they come.
pub async fn request_evict<S: EventStore>(
    store: &S,
    name: &str,
    stream: &str,
) -> Result<u64, StoreError> {
    request(store, name, EVICT, stream).await
}

async fn request<S: EventStore>(
    store: &S,
    name: &str,
    kind: &str,
    stream: &str,
) -> Result<u64, StoreError> {
    let payload = Payload::from(serde_json::json!({ "stream": stream }));
    let appended = store
        .append(
            &operator_stream(name),
            ExpectedVersion::Any,
            vec![NewEvent::new(kind, 1, payload)],
        )
        .await?;
    Ok(appended.positions.last().copied().unwrap_or_default())
}

/// The parked events of the document projection `name`, as last saved.
pub async fn parked_streams<S: ViewStore>(
    store: &S,
    name: &str,
) -> Result<ParkedStreams, ProjectionError> {
    let Some(stored) = store.load_view(name).await? else {
        return Ok(ParkedStreams::new());
    };
    let parked = serde_json::from_value::<Stored<serde::de::IgnoredAny>>(stored.state)
        .map(|s| s.parked)
        .unwrap_or_default();
    Ok(parked)
}

/// The worker's side: attempts per event, and what is parked.
#[derive(Debug)]
pub(super) struct Parking {
    attempts: u32,
    failures: HashMap<Uuid, u32>,
    pub(super) parked: ParkedStreams,
}

/// An event that failed in a batch, and why.
struct Failed {
    event_id: Uuid,
    error: ProjectionError,
}

impl Parking {
    pub(super) fn new(attempts: u32) -> Self {
        Parking {
            attempts: attempts.max(1),
            failures: HashMap::new(),
            parked: ParkedStreams::new(),
        }
    }

    /// How many events are parked.
    pub(super) fn count(&self) -> u64 {
        self.parked.values().map(|events| events.len() as u64).sum()
    }

    /// Applies a batch to `base`: the new view and parked events, to be saved
    /// together. A failing event is an error until its `attempts`-th failure; then
    /// it is parked and the batch is applied again from `base` without it.
    pub(super) async fn apply<P, S>(
        &mut self,
        store: &S,
        name: &str,
        base: &P,
        events: &[RecordedEvent],
    ) -> Result<(P, ParkedStreams), ProjectionError>
    where
        P: Projection + Clone,
        S: EventStore,
    {
        let mut to_park: HashMap<Uuid, String> = HashMap::new();
        loop {
            let mut next = base.clone();
            let mut parked = self.parked.clone();
            match run(store, name, &mut next, &mut parked, events, &to_park).await {
                Ok(()) => {
                    for recorded in events {
                        self.failures.remove(&recorded.header.event_id);
                    }
                    return Ok((next, parked));
                }
                Err(Failed { event_id, error }) => {
                    let failures = self.failures.entry(event_id).or_default();
                    *failures += 1;
                    if *failures < self.attempts || to_park.contains_key(&event_id) {
                        return Err(error);
                    }
                    to_park.insert(event_id, super::error_chain(&error));
                }
            }
        }
    }
}

/// One pass over a batch.
async fn run<P, S>(
    store: &S,
    name: &str,
    view: &mut P,
    parked: &mut ParkedStreams,
    events: &[RecordedEvent],
    to_park: &HashMap<Uuid, String>,
) -> Result<(), Failed>
where
    P: Projection + Clone,
    S: EventStore,
{
    let operator = operator_stream(name);
    for recorded in events {
        let header = &recorded.header;
        let stream = header.stream_id.as_str();
        if stream == operator {
            let Ok(request) = recorded.payload.decode::<Request>() else {
                tracing::warn!(
                    projection = name,
                    position = header.position,
                    "ignored a malformed operator request"
                );
                continue;
            };
            if header.event_name == RETRY {
                retry(store, name, view, parked, &request.stream).await;
            } else if header.event_name == EVICT
                && let Some(evicted) = parked.remove(&request.stream)
            {
                tracing::warn!(
                    projection = name,
                    stream = request.stream,
                    count = evicted.len(),
                    "evicted parked events"
                );
            }
        } else if let Some(queue) = parked.get_mut(stream) {
            let waiting = format!(
                "waits behind the parked event at position {}",
                queue[0].position
            );
            queue.push(Parked::of(header, waiting));
        } else if let Some(error) = to_park.get(&header.event_id) {
            tracing::warn!(
                projection = name,
                stream,
                position = header.position,
                "parked an event: {error}"
            );
            parked.insert(stream.to_owned(), vec![Parked::of(header, error.clone())]);
        } else if let Err(error) = project_one(view, recorded) {
            return Err(Failed {
                event_id: header.event_id,
                error,
            });
        }
    }
    Ok(())
}

/// Applies a stream's parked events in order, until one fails again (it stays
/// parked with its new error, and the ones behind it).
async fn retry<P, S>(store: &S, name: &str, view: &mut P, parked: &mut ParkedStreams, stream: &str)
where
    P: Projection + Clone,
    S: EventStore,
{
    let Some(mut queue) = parked.remove(stream) else {
        return;
    };
    while let Some(item) = queue.first_mut() {
        let outcome = match item.stored_event(store).await {
            Ok(recorded) => project_one(view, &recorded),
            Err(error) => Err(error),
        };
        if let Err(error) = outcome {
            item.error = super::error_chain(&error);
            tracing::warn!(
                projection = name,
                stream,
                position = item.position,
                "a retried event failed again: {}",
                item.error
            );
            parked.insert(stream.to_owned(), queue);
            return;
        }
        queue.remove(0);
    }
}
