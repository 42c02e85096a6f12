//! Rows of `cqrs_events` as recorded events.

use cqrs_core::store::kit::{EventRow, corrupt_column};
use cqrs_core::{Metadata, Payload, RecordedEvent, SmolStr, StoreError};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;

/// The columns every read selects, in the order [`decode`] expects.
/// The payload comes as the text stored (a `json` column, see the crate docs).
pub(crate) const COLUMNS: &str = "position, stream_id, stream_version, event_id, event_name, \
     event_version, payload::text, metadata, recorded_at";

/// PostgreSQL keeps ids as `uuid` and JSON as `json`: read as such, the rest checked
/// by the kit.
pub(crate) fn decode(row: &PgRow) -> Result<RecordedEvent, StoreError> {
    let position: i64 = row.try_get(0).map_err(corrupt_column("position", 0))?;
    let at = u64::try_from(position).unwrap_or(0);
    // Straight from the stored text into `Metadata`, without a `Value` in between.
    let metadata: Json<Metadata> = row.try_get(7).map_err(corrupt_column("metadata", at))?;
    EventRow {
        position,
        stream_id: row
            .try_get::<&str, _>(1)
            .map(SmolStr::new)
            .map_err(corrupt_column("stream_id", at))?,
        stream_version: row
            .try_get(2)
            .map_err(corrupt_column("stream_version", at))?,
        event_id: row.try_get(3).map_err(corrupt_column("event_id", at))?,
        event_name: row
            .try_get::<&str, _>(4)
            .map(SmolStr::new)
            .map_err(corrupt_column("event_name", at))?,
        event_version: row
            .try_get(5)
            .map_err(corrupt_column("event_version", at))?,
        payload: Payload::from_stored(
            row.try_get::<&str, _>(6)
                .map_err(corrupt_column("payload", at))?,
        ),
        metadata: metadata.0,
        recorded_at: row.try_get(8).map_err(corrupt_column("recorded_at", at))?,
    }
    .into_recorded()
}
