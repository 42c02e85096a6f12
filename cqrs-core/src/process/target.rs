//! A process manager as the target of a projection runner.

use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub(super) use super::cause::{Cause, Work};
use super::deadlines::{Deadlines, pending_deadlines};
use super::{CommandBus, ProcessManager, Route};
use crate::envelope::{EventHeader, NewEvent, RecordedEvent};
use crate::metadata::Metadata;
use crate::projection::HandlerError;
use crate::repository::ExecuteOptions;
use crate::runner::{CatchUpTarget, ProjectionError, Waiting};
use crate::store::{EventStore, ReadAll, StoreError, StoredView, ViewStore};
use crate::version::ExpectedVersion;

/// The persisted name of an instance's records.
pub(super) const RECORD: &str = "process.handled";

/// What an instance stream holds after each step.
#[derive(Serialize, Deserialize)]
pub(super) struct Record<S> {
    /// The event (or deadline) handled.
    pub(super) trigger: Uuid,
    /// The instance's state after it.
    pub(super) state: S,
    /// Whether the instance finished with it.
    pub(super) done: bool,
    /// Events waiting for an operator, oldest first; while any wait, later events
    /// of the instance join them and its deadlines wait.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) parked: Vec<Parked>,
}

/// An event an instance could not handle (or that waits behind one), parked for an
/// operator to retry or evict; the instance's other work waits, every other
/// instance goes on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parked {
    /// The event's id.
    pub event_id: Uuid,
    /// Its position in the log.
    pub position: u64,
    /// Its persisted name.
    pub event_name: String,
    /// Why it is parked.
    pub error: String,
}

impl Parked {
    /// The event with this header, parked for `error`.
    pub(crate) fn of(header: &EventHeader, error: String) -> Self {
        Parked {
            event_id: header.event_id,
            position: header.position,
            event_name: header.event_name.to_string(),
            error,
        }
    }

    /// The stored event this entry names, read back from the log.
    pub(crate) async fn stored_event<S: EventStore>(
        &self,
        store: &S,
    ) -> Result<RecordedEvent, ProjectionError> {
        let found = store
            .read_all(ReadAll::from_position(self.position).limit(1))
            .await?
            .into_iter()
            .next()
            .filter(|e| e.header.event_id == self.event_id);
        found.ok_or_else(|| {
            ProjectionError::Store(StoreError::Corrupt {
                position: self.position,
                reason: format!("the parked event {} is not at its position", self.event_id),
            })
        })
    }
}

/// Runs a [`ProcessManager`] under a [`ProjectionRunner`](crate::runner::ProjectionRunner):
/// routes each event to its instance, handles it once, sends its commands through
/// the [`CommandBus`], and records the instance's new state in its stream. The
/// checkpoint is a view named `"process:{NAME}"`; it only saves re-reading, since
/// every handled event is recognised by its record.
pub struct ProcessTarget<P, S, B> {
    pub(super) store: S,
    pub(super) bus: B,
    checkpoint_name: String,
    /// Loaded at the first tick, then kept up to date by each step.
    pub(super) deadlines: Option<Deadlines>,
    /// Parked events per instance, loaded and kept with `deadlines`.
    pub(super) parked_counts: BTreeMap<String, usize>,
    /// Failed attempts per event, in this process; at `park_after` it is parked.
    failures: HashMap<Uuid, u32>,
    park_after: u32,
    manager: PhantomData<fn() -> P>,
}

impl<P, S, B> ProcessTarget<P, S, B>
where
    P: ProcessManager,
    S: EventStore + ViewStore,
    B: CommandBus<P::Command>,
{
    /// The manager `P` over `store`, sending through `bus`.
    pub fn new(store: S, bus: B) -> Self {
        ProcessTarget {
            store,
            bus,
            checkpoint_name: format!("process:{}", P::NAME),
            deadlines: None,
            parked_counts: BTreeMap::new(),
            failures: HashMap::new(),
            park_after: 3,
            manager: PhantomData,
        }
    }

    /// After how many failed attempts an event is parked (default 3): its instance
    /// waits for an operator ([`retry_parked`](Self::retry_parked),
    /// [`evict_parked`](Self::evict_parked)) while every other instance goes on.
    /// Each failed attempt before that stops the manager, and the runner retries.
    pub fn park_after(mut self, attempts: u32) -> Self {
        self.park_after = attempts.max(1);
        self
    }

    /// The stream of an instance.
    ///
    /// `"process:{NAME}:{instance}"`: never an aggregate's stream (those are
    /// `"{type}-{id}"`), even for a manager named like an aggregate, and never
    /// another manager's, even when one name starts with the other.
    pub fn instance_stream(instance: &str) -> String {
        format!("process:{}:{instance}", P::NAME)
    }

    /// The id of the record of `trigger` in any instance of `P`.
    pub(super) fn record_id(trigger: Uuid) -> Uuid {
        Uuid::new_v5(&trigger, P::NAME.as_bytes())
    }

    /// Handles one event: nothing when it is not for an instance, is already
    /// recorded, or its instance is done.
    async fn handle(&mut self, recorded: RecordedEvent) -> Result<(), ProjectionError> {
        let RecordedEvent { header, payload } = recorded;
        let event = header
            .decode_payload::<P::Event>(&payload)
            .map_err(ProjectionError::Decode)?;
        let (instance, starts) = match P::route(&header, &event) {
            Route::Start(instance) => (instance, true),
            Route::Continue(instance) => (instance, false),
            Route::Ignore => return Ok(()),
        };
        let cause = Cause::event(&header);
        self.step(&instance, starts, cause, Work::Event(&header, event))
            .await
    }

    /// Moves an instance on by one step (an event, a deadline), once: commands first,
    /// then the record, both with ids derived from the cause.
    pub(super) async fn step(
        &mut self,
        instance: &str,
        starts: bool,
        cause: Cause<'_>,
        work: Work<'_, P::Event>,
    ) -> Result<(), ProjectionError> {
        let record_id = Self::record_id(cause.trigger);
        if self.store.locate_events(&[record_id]).await?[0].is_some() {
            return Ok(());
        }
        let stream = Self::instance_stream(instance);
        let version = self.store.stream_version(&stream).await?;
        let (stored, parked) = match version {
            0 => (None, Vec::new()),
            _ => {
                let record = self.last_record(&stream, version).await?;
                (Some((record.state, record.done)), record.parked)
            }
        };
        if !parked.is_empty() {
            // Waiting behind a parked event: an event joins the queue, a deadline waits.
            let (Some(header), Some((state, done))) = (cause.header, stored) else {
                return Ok(());
            };
            let mut parked = parked;
            let waiting = format!(
                "waits behind the parked event at position {}",
                parked[0].position
            );
            parked.push(Parked::of(header, waiting));
            let record = Record {
                trigger: cause.trigger,
                state,
                done,
                parked,
            };
            return self
                .write_record(instance, version, record_id, &cause, record)
                .await;
        }
        let Ok(mut state) = super::state_to_handle::<P>(starts, stored) else {
            return Ok(());
        };
        let before = serde_json::to_value(&state).map_err(|e| {
            cause.failed::<P>(&stream, format!("the state does not serialize: {e}").into())
        })?;
        if let Err(source) = self.run_and_send(&cause, &mut state, work).await {
            let failures = self.failures.entry(cause.trigger).or_default();
            *failures += 1;
            let Some(header) = cause.header.filter(|_| *failures >= self.park_after) else {
                return Err(cause.failed::<P>(&stream, source));
            };
            // Parked: the instance keeps its state before this event; the others go on.
            self.failures.remove(&cause.trigger);
            tracing::warn!(
                process = P::NAME,
                instance,
                position = header.position,
                "parked an event: {source}"
            );
            let state = serde_json::from_value(before).map_err(|e| {
                cause.failed::<P>(
                    &stream,
                    format!("the state does not deserialize: {e}").into(),
                )
            })?;
            let parked = vec![Parked::of(header, source.to_string())];
            let record = Record {
                trigger: cause.trigger,
                state,
                done: false,
                parked,
            };
            return self
                .write_record(instance, version, record_id, &cause, record)
                .await;
        }
        self.failures.remove(&cause.trigger);
        let done = state.is_done();
        let record = Record {
            trigger: cause.trigger,
            state,
            done,
            parked: Vec::new(),
        };
        self.write_record(instance, version, record_id, &cause, record)
            .await
    }

    /// Runs the manager's handler for a step, then sends its commands.
    pub(super) async fn run_and_send(
        &self,
        cause: &Cause<'_>,
        state: &mut P,
        work: Work<'_, P::Event>,
    ) -> Result<(), HandlerError> {
        let commands = match work {
            Work::Event(header, event) => state.handle(header, event).await?,
            Work::Deadline(name, due) => state.on_deadline(name, due).await?,
        };
        self.send_all(cause, commands).await
    }

    /// Sends a step's commands in order, each with an id derived from the cause and
    /// its place, stopping at the first that fails.
    async fn send_all(
        &self,
        cause: &Cause<'_>,
        commands: Vec<P::Command>,
    ) -> Result<(), HandlerError> {
        for (step, command) in commands.into_iter().enumerate() {
            let step = u32::try_from(step).unwrap_or(u32::MAX);
            let options = match cause.header {
                Some(header) => ExecuteOptions::caused_by_step(header, P::NAME, step),
                None => ExecuteOptions::default().command_id(Uuid::new_v5(
                    &cause.trigger,
                    format!("{}#{step}", P::NAME).as_bytes(),
                )),
            };
            self.bus.send(command, options).await?;
        }
        Ok(())
    }

    /// Appends an instance's record at `version` and keeps the deadline index.
    pub(super) async fn write_record(
        &mut self,
        instance: &str,
        version: u64,
        record_id: Uuid,
        cause: &Cause<'_>,
        record: Record<P>,
    ) -> Result<(), ProjectionError> {
        let stream = Self::instance_stream(instance);
        let pending = pending_deadlines(&record);
        let parked = record.parked.len();
        let payload = serde_json::to_value(&record).map_err(|e| {
            cause.failed::<P>(&stream, format!("the state does not serialize: {e}").into())
        })?;
        let mut new_event = NewEvent::new(RECORD, 1, payload);
        new_event.event_id = record_id;
        if let Some(header) = cause.header {
            new_event.metadata = Metadata {
                correlation_id: Some(header.metadata.correlation_id.unwrap_or(header.event_id)),
                causation_id: Some(header.event_id),
                ..Metadata::default()
            };
        }
        self.store
            .append(&stream, ExpectedVersion::Exact(version), vec![new_event])
            .await?;
        if let Some(deadlines) = &mut self.deadlines {
            deadlines.insert(instance.to_owned(), pending);
            self.parked_counts.insert(instance.to_owned(), parked);
        }
        Ok(())
    }

    /// The record at the end of an instance stream.
    pub(super) async fn last_record(
        &self,
        stream: &str,
        version: u64,
    ) -> Result<Record<P>, ProjectionError> {
        let last = self.store.read_stream(stream, version, 1).await?;
        let Some(last) = last.into_iter().next() else {
            return Err(ProjectionError::Store(StoreError::Corrupt {
                position: 0,
                reason: format!("stream `{stream}` has no event at its version {version}"),
            }));
        };
        decode_record(&last)
    }
}

pub(super) fn decode_record<P: ProcessManager>(
    recorded: &RecordedEvent,
) -> Result<Record<P>, ProjectionError> {
    recorded.payload.decode().map_err(|e| {
        ProjectionError::Store(StoreError::Corrupt {
            position: recorded.header.position,
            reason: format!("the record of process `{}` does not decode: {e}", P::NAME),
        })
    })
}

impl<P, S, B> CatchUpTarget for ProcessTarget<P, S, B>
where
    P: ProcessManager,
    S: EventStore + ViewStore,
    B: CommandBus<P::Command>,
{
    fn name(&self) -> &str {
        P::NAME
    }

    /// The manager's events, and the instance records, from which it keeps its
    /// deadlines and parked counts current whoever wrote them (another worker, an
    /// operator).
    fn event_names(&self) -> Option<Vec<String>> {
        Some(
            <P::Event as crate::DomainEvent>::event_names()
                .chain([RECORD])
                .map(str::to_owned)
                .collect(),
        )
    }

    async fn checkpoint(&mut self) -> Result<u64, ProjectionError> {
        let stored = self.store.load_view(&self.checkpoint_name).await?;
        Ok(stored.map_or(0, |view| view.position))
    }

    async fn apply(
        &mut self,
        events: Vec<RecordedEvent>,
        up_to: u64,
    ) -> Result<(), ProjectionError> {
        let prefix = Self::instance_stream("");
        for recorded in events {
            if recorded.header.event_name != RECORD {
                self.handle(recorded).await?;
            } else if let Some(instance) = recorded.header.stream_id.strip_prefix(&prefix)
                && let Some(deadlines) = &mut self.deadlines
            {
                let record: Record<P> = decode_record(&recorded)?;
                deadlines.insert(instance.to_owned(), pending_deadlines(&record));
                self.parked_counts
                    .insert(instance.to_owned(), record.parked.len());
            }
        }
        let view = StoredView {
            position: up_to,
            state: serde_json::Value::Null,
        };
        self.store.save_view(&self.checkpoint_name, view).await?;
        Ok(())
    }

    async fn reset(&mut self) -> Result<(), ProjectionError> {
        self.store.delete_view(&self.checkpoint_name).await?;
        Ok(())
    }

    async fn tick(&mut self) -> Result<(), ProjectionError> {
        self.fire_due_deadlines().await
    }

    fn waiting(&self) -> Waiting {
        Waiting {
            parked: self.parked_counts.values().map(|n| *n as u64).sum(),
            deadlines: self
                .deadlines
                .iter()
                .flatten()
                .map(|(_, d)| d.len() as u64)
                .sum(),
        }
    }
}
