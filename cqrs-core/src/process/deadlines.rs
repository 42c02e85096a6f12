//! Deadlines: which are pending per instance, learnt from the instance records when
//! a worker starts, and fired when due, each once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::target::{Cause, ProcessTarget, RECORD, Record, Work, decode_record};
use super::{CommandBus, ProcessManager};
use crate::runner::ProjectionError;
use crate::store::{EventStore, ReadAll, ViewStore};

impl<P, S, B> ProcessTarget<P, S, B>
where
    P: ProcessManager,
    S: EventStore + ViewStore,
    B: CommandBus<P::Command>,
{
    /// Fires every deadline that is due.
    pub(super) async fn fire_due_deadlines(&mut self) -> Result<(), ProjectionError> {
        if self.deadlines.is_none() {
            let records = self.latest_records().await?;
            self.parked_counts = records
                .iter()
                .map(|(instance, record)| (instance.clone(), record.parked.len()))
                .collect();
            let deadlines = records
                .into_iter()
                .map(|(instance, record)| (instance, pending_deadlines(&record)))
                .collect();
            self.deadlines = Some(deadlines);
        }
        let now = Utc::now();
        let due: Vec<(String, String, DateTime<Utc>)> = self
            .deadlines
            .iter()
            .flatten()
            .flat_map(|(instance, pending)| {
                pending
                    .iter()
                    .filter(|(_, at)| *at <= now)
                    .map(|(name, at)| (instance.clone(), name.clone(), *at))
            })
            .collect();
        for (instance, name, at) in due {
            let key = format!("{}/{instance}/{name}/{}", P::NAME, at.to_rfc3339());
            let cause = Cause {
                trigger: Uuid::new_v5(&Uuid::NAMESPACE_OID, key.as_bytes()),
                position: 0,
                what: format!("deadline `{name}` due {at}"),
                header: None,
            };
            self.step(&instance, false, cause, Work::Deadline(&name, at))
                .await?;
        }
        Ok(())
    }

    /// The last record of every instance.
    pub(super) async fn latest_records(
        &self,
    ) -> Result<BTreeMap<String, Record<P>>, ProjectionError> {
        let prefix = Self::instance_stream("");
        let mut records = BTreeMap::new();
        let mut from = 1;
        loop {
            let query = ReadAll::from_position(from).limit(1_000).only([RECORD]);
            let page = self.store.read_all(query).await?;
            let Some(last) = page.last().map(|e| e.header.position) else {
                return Ok(records);
            };
            for recorded in page {
                if let Some(instance) = recorded.header.stream_id.strip_prefix(&prefix) {
                    records.insert(instance.to_owned(), decode_record(&recorded)?);
                }
            }
            from = last + 1;
        }
    }
}

/// Each instance's pending deadlines.
pub(super) type Deadlines = BTreeMap<String, Vec<(String, DateTime<Utc>)>>;

/// The deadlines of an instance that may fire: none when it is done or waits for an
/// operator.
pub(super) fn pending_deadlines<P: ProcessManager>(
    record: &Record<P>,
) -> Vec<(String, DateTime<Utc>)> {
    if record.done || !record.parked.is_empty() {
        Vec::new()
    } else {
        record.state.deadlines()
    }
}
