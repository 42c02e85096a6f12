//! What an operator does with parked events: list, retry, evict.

use uuid::Uuid;

use super::target::{Cause, Parked, ProcessTarget, Record, Work};
use super::{CommandBus, ProcessManager};
use crate::runner::ProjectionError;
use crate::store::{EventStore, StoreError, ViewStore};

impl<P, S, B> ProcessTarget<P, S, B>
where
    P: ProcessManager,
    S: EventStore + ViewStore,
    B: CommandBus<P::Command>,
{
    /// Every instance with parked events, and its events in the order they came.
    pub async fn parked(&self) -> Result<Vec<(String, Vec<Parked>)>, ProjectionError> {
        Ok(self
            .latest_records()
            .await?
            .into_iter()
            .filter(|(_, record)| !record.parked.is_empty())
            .map(|(instance, record)| (instance, record.parked))
            .collect())
    }

    /// Handles an instance's parked events again, in order, until one fails again
    /// (it stays parked with its new error, and the ones behind it). Their commands
    /// carry the ids of the first attempt, so what was sent then is not sent twice.
    /// Returns how many stay parked.
    pub async fn retry_parked(&mut self, instance: &str) -> Result<usize, ProjectionError> {
        let Some((version, record)) = self.parked_record(instance).await? else {
            return Ok(0);
        };
        let Record {
            mut state,
            mut done,
            parked,
            ..
        } = record;
        let first = parked[0].event_id;
        let mut waiting = parked.into_iter().peekable();
        while let Some(item) = waiting.peek_mut() {
            if done {
                // Events for a finished instance are ignored, as they would have been.
                waiting.by_ref().for_each(drop);
                break;
            }
            let recorded = item.stored_event(&self.store).await?;
            let header = recorded.header.clone();
            let event = header
                .decode_payload::<P::Event>(&recorded.payload)
                .map_err(ProjectionError::Decode)?;
            let before = serde_json::to_value(&state).map_err(|e| failed::<P>(instance, e))?;
            let cause = Cause::event(&header);
            let work = Work::Event(&header, event);
            if let Err(error) = self.run_and_send(&cause, &mut state, work).await {
                state = serde_json::from_value(before).map_err(|e| failed::<P>(instance, e))?;
                item.error = error.to_string();
                break;
            }
            done = state.is_done();
            waiting.next();
        }
        let parked: Vec<Parked> = waiting.collect();
        let remaining = parked.len();
        let trigger = Uuid::new_v5(&first, format!("retry at {version}").as_bytes());
        let record = Record {
            trigger,
            state,
            done,
            parked,
        };
        self.write_operator_record(instance, version, trigger, record)
            .await?;
        Ok(remaining)
    }

    /// Drops an instance's parked events unhandled; its later events and deadlines
    /// go on from the state it had. Returns how many were dropped.
    pub async fn evict_parked(&mut self, instance: &str) -> Result<usize, ProjectionError> {
        let Some((version, mut record)) = self.parked_record(instance).await? else {
            return Ok(0);
        };
        let evicted = std::mem::take(&mut record.parked);
        let trigger = Uuid::new_v5(
            &evicted[0].event_id,
            format!("evict at {version}").as_bytes(),
        );
        record.trigger = trigger;
        tracing::warn!(
            process = P::NAME,
            instance,
            count = evicted.len(),
            "evicted parked events"
        );
        self.write_operator_record(instance, version, trigger, record)
            .await?;
        Ok(evicted.len())
    }

    /// The instance's version and last record, when it has parked events.
    async fn parked_record(
        &self,
        instance: &str,
    ) -> Result<Option<(u64, Record<P>)>, ProjectionError> {
        let stream = Self::instance_stream(instance);
        let version = self.store.stream_version(&stream).await?;
        if version == 0 {
            return Ok(None);
        }
        let record = self.last_record(&stream, version).await?;
        Ok((!record.parked.is_empty()).then_some((version, record)))
    }

    async fn write_operator_record(
        &mut self,
        instance: &str,
        version: u64,
        trigger: Uuid,
        record: Record<P>,
    ) -> Result<(), ProjectionError> {
        let cause = Cause {
            trigger,
            position: 0,
            what: "an operator's retry or eviction".into(),
            header: None,
        };
        let record_id = Self::record_id(trigger);
        self.write_record(instance, version, record_id, &cause, record)
            .await
    }
}

fn failed<P: ProcessManager>(instance: &str, error: serde_json::Error) -> ProjectionError {
    ProjectionError::Store(StoreError::backend(
        format!(
            "move the state of process `{}` instance `{instance}`",
            P::NAME
        ),
        error,
    ))
}
