//! Events as the column arrays an append statement binds.

use cqrs_core::{NewEvent, StoreError};
use uuid::Uuid;

/// The columns of the events of one or more appends, borrowed from them. Payloads
/// and metadata go as text, cast to `json` by the statement.
#[derive(Default)]
pub(crate) struct EventColumns<'a> {
    pub(crate) ids: Vec<Uuid>,
    pub(crate) names: Vec<&'a str>,
    pub(crate) versions: Vec<i64>,
    pub(crate) payloads: Vec<&'a str>,
    pub(crate) metadata: Vec<&'a str>,
}

impl<'a> EventColumns<'a> {
    /// Adds one append's events, with their metadata encoded by [`encode_metadata`].
    pub(crate) fn push(&mut self, events: &'a [NewEvent], metadata: &'a [String]) {
        for (event, metadata) in events.iter().zip(metadata) {
            self.ids.push(event.event_id);
            self.names.push(&event.event_name);
            self.versions.push(i64::from(event.event_version));
            self.payloads.push(event.payload.as_str());
            self.metadata.push(metadata);
        }
    }
}

/// Each event's metadata as JSON text, before anything is sent.
pub(crate) fn encode_metadata(
    stream_id: &str,
    events: &[NewEvent],
) -> Result<Vec<String>, StoreError> {
    events
        .iter()
        .map(|event| {
            serde_json::to_string(&event.metadata).map_err(|e| {
                StoreError::backend(
                    format!("encode the metadata of an event for `{stream_id}`"),
                    e,
                )
            })
        })
        .collect()
}
