//! Events as the column arrays an append statement binds.

use chrono::{DateTime, Utc};
use cqrs_core::{AppendResult, NewEvent, StoreError};
use uuid::Uuid;

/// The columns of the events of one or more appends, borrowed from them.
#[derive(Default)]
pub(crate) struct EventColumns<'a> {
    pub(crate) ids: Vec<Uuid>,
    pub(crate) names: Vec<&'a str>,
    pub(crate) versions: Vec<i32>,
    pub(crate) payloads: Vec<&'a serde_json::Value>,
    pub(crate) metadata: Vec<&'a serde_json::Value>,
}

impl<'a> EventColumns<'a> {
    /// Adds one append's events, with their metadata encoded by [`encode_metadata`].
    pub(crate) fn push(&mut self, events: &'a [NewEvent], metadata: &'a [serde_json::Value]) {
        for (event, metadata) in events.iter().zip(metadata) {
            self.ids.push(event.event_id);
            self.names.push(&event.event_name);
            self.versions
                .push(i32::try_from(event.event_version).unwrap_or(i32::MAX));
            self.payloads.push(&event.payload);
            self.metadata.push(metadata);
        }
    }
}

/// Each event's metadata as JSON, before anything is sent.
pub(crate) fn encode_metadata(
    stream_id: &str,
    events: &[NewEvent],
) -> Result<Vec<serde_json::Value>, StoreError> {
    events
        .iter()
        .map(|event| {
            serde_json::to_value(&event.metadata).map_err(|e| {
                StoreError::backend(
                    format!("encode the metadata of an event for `{stream_id}`"),
                    e,
                )
            })
        })
        .collect()
}

/// The result of an append from its inserted rows: (position, stream version,
/// recorded at), in any order; `rows` is not empty.
pub(crate) fn appended(mut rows: Vec<(i64, i64, DateTime<Utc>)>) -> AppendResult {
    rows.sort_unstable_by_key(|row| row.0);
    AppendResult {
        stream_version: rows.iter().map(|r| r.1).max().unwrap_or(0) as u64,
        positions: rows.iter().map(|r| r.0 as u64).collect(),
        recorded_at: rows.first().map_or_else(Utc::now, |row| row.2),
        duplicate: false,
    }
}
