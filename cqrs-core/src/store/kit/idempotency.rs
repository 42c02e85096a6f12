//! Idempotent appends: telling a retry of an earlier append from a clash of ids.

use chrono::Utc;

use crate::envelope::NewEvent;
use crate::store::{AppendResult, StoreError, StoredId};

/// Decides what an append whose ids may already be stored is, for store implementations.
///
/// `stored[i]` says where `events[i]`'s id is stored, if anywhere. No id stored:
/// `Ok(None)`, a new append. Every id stored, in `stream_id`, at consecutive
/// versions: `Ok(Some(original result))`, a retry to answer without writing.
/// Anything else is [`StoreError::DuplicateEventId`] naming the first offending id.
pub fn earlier_append(
    stream_id: &str,
    events: &[NewEvent],
    stored: &[Option<StoredId>],
) -> Result<Option<AppendResult>, StoreError> {
    let Some(first) = stored.iter().position(Option::is_some) else {
        return Ok(None);
    };
    let clash = |index: usize, existing_stream: &str| StoreError::DuplicateEventId {
        event_id: events[index].event_id,
        stream_id: stream_id.to_owned(),
        existing_stream: existing_stream.to_owned(),
    };
    let mut positions = Vec::with_capacity(stored.len());
    let mut previous: Option<u64> = None;
    for (index, found) in stored.iter().enumerate() {
        let Some(found) = found else {
            let existing = stored[first]
                .as_ref()
                .map_or(stream_id, |s| s.stream_id.as_str());
            return Err(clash(first, existing));
        };
        if found.stream_id != stream_id || previous.is_some_and(|v| found.stream_version != v + 1) {
            return Err(clash(index, &found.stream_id));
        }
        previous = Some(found.stream_version);
        positions.push(found.position);
    }
    Ok(Some(AppendResult {
        stream_version: previous.unwrap_or(0),
        positions,
        recorded_at: stored[first]
            .as_ref()
            .map_or_else(Utc::now, |s| s.recorded_at),
        duplicate: true,
    }))
}
