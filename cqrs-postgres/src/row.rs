//! Rows of `cqrs_events` as recorded events.

use chrono::{DateTime, Utc};
use cqrs_core::{EventHeader, Metadata, RecordedEvent, StoreError};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use uuid::Uuid;

/// The columns every read selects, in the order [`decode`] expects.
pub(crate) const COLUMNS: &str = "position, stream_id, stream_version, event_id, event_name, \
     event_version, payload, metadata, recorded_at";

pub(crate) fn decode(row: &PgRow) -> Result<RecordedEvent, StoreError> {
    let position: i64 = row.try_get(0).map_err(column("position", 0))?;
    let position = position as u64;
    let stream_version: i64 = row.try_get(2).map_err(column("stream_version", position))?;
    let event_version: i32 = row.try_get(5).map_err(column("event_version", position))?;
    // Straight from the JSONB bytes into `Metadata`, without a `Value` in between.
    let metadata: Json<Metadata> = row.try_get(7).map_err(column("metadata", position))?;
    Ok(RecordedEvent {
        header: EventHeader {
            stream_id: row.try_get(1).map_err(column("stream_id", position))?,
            stream_version: stream_version as u64,
            position,
            event_id: row
                .try_get::<Uuid, _>(3)
                .map_err(column("event_id", position))?,
            event_name: row.try_get(4).map_err(column("event_name", position))?,
            event_version: u32::try_from(event_version).map_err(|e| StoreError::Corrupt {
                position,
                reason: format!("event version {event_version}: {e}"),
            })?,
            recorded_at: row
                .try_get::<DateTime<Utc>, _>(8)
                .map_err(column("recorded_at", position))?,
            metadata: metadata.0,
        },
        payload: row.try_get(6).map_err(column("payload", position))?,
    })
}

fn column(name: &'static str, position: u64) -> impl Fn(sqlx::Error) -> StoreError {
    move |error| StoreError::Corrupt {
        position,
        reason: format!("column `{name}`: {error}"),
    }
}
