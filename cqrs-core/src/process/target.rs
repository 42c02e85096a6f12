//! A process manager as the target of a projection runner.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CommandBus, ProcessManager, Route};
use crate::envelope::{EventHeader, NewEvent, RecordedEvent};
use crate::metadata::Metadata;
use crate::projection::HandlerError;
use crate::repository::ExecuteOptions;
use crate::runner::{CatchUpTarget, ProjectionError};
use crate::store::{EventStore, StoreError, StoredView, ViewStore};
use crate::version::ExpectedVersion;

/// The persisted name of an instance's records.
const RECORD: &str = "process.handled";

/// What an instance stream holds after each handled event.
#[derive(Serialize, Deserialize)]
struct Record<S> {
    /// The event handled.
    trigger: Uuid,
    /// The instance's state after it.
    state: S,
    /// Whether the instance finished with it.
    done: bool,
}

/// Runs a [`ProcessManager`] under a [`ProjectionRunner`](crate::runner::ProjectionRunner):
/// routes each event to its instance, handles it once, sends its commands through
/// the [`CommandBus`], and records the instance's new state in its stream. The
/// checkpoint is a view named `"process:{NAME}"`; it only saves re-reading, since
/// every handled event is recognised by its record.
pub struct ProcessTarget<P, S, B> {
    store: S,
    bus: B,
    checkpoint_name: String,
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
            manager: PhantomData,
        }
    }

    /// The stream of an instance.
    pub fn instance_stream(instance: &str) -> String {
        format!("{}-{instance}", P::NAME)
    }

    /// The id of the record of `trigger` in any instance of `P`.
    fn record_id(trigger: Uuid) -> Uuid {
        Uuid::new_v5(&trigger, P::NAME.as_bytes())
    }

    /// Handles one event: nothing when it is not for an instance, is already
    /// recorded, or its instance is done.
    async fn handle(&self, recorded: RecordedEvent) -> Result<(), ProjectionError> {
        let RecordedEvent { header, payload } = recorded;
        let event = header
            .decode_payload::<P::Event>(&payload)
            .map_err(ProjectionError::Decode)?;
        let (instance, starts) = match P::route(&header, &event) {
            Route::Start(instance) => (instance, true),
            Route::Continue(instance) => (instance, false),
            Route::Ignore => return Ok(()),
        };
        let record_id = Self::record_id(header.event_id);
        if self.store.locate_events(&[record_id]).await?[0].is_some() {
            return Ok(());
        }
        let stream = Self::instance_stream(&instance);
        let version = self.store.stream_version(&stream).await?;
        let stored = match version {
            0 => None,
            _ => {
                let record = self.last_record(&stream, version).await?;
                Some((record.state, record.done))
            }
        };
        let Some(mut state) = super::state_to_handle::<P>(starts, stored) else {
            return Ok(());
        };
        let commands = state.handle(&header, event);
        for (step, command) in commands.into_iter().enumerate() {
            let step = u32::try_from(step).unwrap_or(u32::MAX);
            let options = ExecuteOptions::caused_by_step(&header, P::NAME, step);
            self.bus
                .send(command, options)
                .await
                .map_err(|source| failed_at::<P>(&header, source))?;
        }
        let done = state.is_done();
        let record = Record {
            trigger: header.event_id,
            state,
            done,
        };
        let payload = serde_json::to_value(&record).map_err(|e| {
            failed_at::<P>(&header, format!("the state does not serialize: {e}").into())
        })?;
        let mut new_event = NewEvent::new(RECORD, 1, payload);
        new_event.event_id = record_id;
        new_event.metadata = Metadata {
            correlation_id: Some(header.metadata.correlation_id.unwrap_or(header.event_id)),
            causation_id: Some(header.event_id),
            ..Metadata::default()
        };
        self.store
            .append(&stream, ExpectedVersion::Exact(version), vec![new_event])
            .await?;
        Ok(())
    }

    /// The record at the end of an instance stream.
    async fn last_record(&self, stream: &str, version: u64) -> Result<Record<P>, ProjectionError> {
        let last = self.store.read_stream(stream, version, 1).await?;
        let Some(last) = last.into_iter().next() else {
            return Err(ProjectionError::Store(StoreError::Corrupt {
                position: 0,
                reason: format!("stream `{stream}` has no event at its version {version}"),
            }));
        };
        last.payload.decode().map_err(|e| {
            ProjectionError::Store(StoreError::Corrupt {
                position: last.header.position,
                reason: format!("the record of process `{}` does not decode: {e}", P::NAME),
            })
        })
    }
}

/// The error for a failure while handling the event of `header`, naming it.
fn failed_at<P: ProcessManager>(header: &EventHeader, source: HandlerError) -> ProjectionError {
    ProjectionError::Handler {
        projection: P::NAME.to_owned(),
        position: header.position,
        stream_id: header.stream_id.to_string(),
        event_name: header.event_name.to_string(),
        source,
    }
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

    fn event_names(&self) -> Option<Vec<String>> {
        Some(
            <P::Event as crate::DomainEvent>::event_names()
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
        for recorded in events {
            self.handle(recorded).await?;
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
}
