//! Rows of `cqrs_events` as recorded events.

use cqrs_core::store::kit::{EventRow, corrupt_column};
use cqrs_core::{Payload, RecordedEvent, SmolStr, StoreError};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// The columns every read selects, in the order [`decode`] expects.
pub(crate) const COLUMNS: &str = "position, stream_id, stream_version, event_id, event_name, \
     event_version, payload, metadata, recorded_at";

/// SQLite keeps ids and JSON as text: parsed here, the rest checked by the kit.
pub(crate) fn decode(row: &SqliteRow) -> Result<RecordedEvent, StoreError> {
    let position: i64 = row.try_get(0).map_err(corrupt_column("position", 0))?;
    let at = u64::try_from(position).unwrap_or(0);
    let event_id: &str = row.try_get(3).map_err(corrupt_column("event_id", at))?;
    let payload: &str = row.try_get(6).map_err(corrupt_column("payload", at))?;
    let metadata: &str = row.try_get(7).map_err(corrupt_column("metadata", at))?;
    EventRow {
        position,
        stream_id: row
            .try_get::<&str, _>(1)
            .map(SmolStr::new)
            .map_err(corrupt_column("stream_id", at))?,
        stream_version: row
            .try_get(2)
            .map_err(corrupt_column("stream_version", at))?,
        event_id: event_id.parse().map_err(corrupt_column("event_id", at))?,
        event_name: row
            .try_get::<&str, _>(4)
            .map(SmolStr::new)
            .map_err(corrupt_column("event_name", at))?,
        event_version: row
            .try_get(5)
            .map_err(corrupt_column("event_version", at))?,
        // Kept as the text stored: a payload that is not JSON fails where it is
        // decoded, with an error naming the event.
        payload: Payload::from_stored(payload),
        metadata: serde_json::from_str(metadata).map_err(corrupt_column("metadata", at))?,
        recorded_at: row.try_get(8).map_err(corrupt_column("recorded_at", at))?,
    }
    .into_recorded()
}
