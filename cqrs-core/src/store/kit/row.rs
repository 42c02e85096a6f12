//! A stored event's columns as a store reads them, checked into a recorded event.

use chrono::{DateTime, Utc};
use smol_str::SmolStr;
use uuid::Uuid;

use crate::envelope::{EventHeader, RecordedEvent};
use crate::metadata::Metadata;
use crate::store::{StoreError, StreamSummary};

/// The columns of one stored event, as the database types hold them.
#[derive(Debug, Clone)]
pub struct EventRow {
    /// `position`.
    pub position: i64,
    /// `stream_id`.
    pub stream_id: SmolStr,
    /// `stream_version`.
    pub stream_version: i64,
    /// `event_id`.
    pub event_id: Uuid,
    /// `event_name`.
    pub event_name: SmolStr,
    /// `event_version`.
    pub event_version: i64,
    /// `payload`, as the JSON text stored.
    pub payload: crate::Payload,
    /// `metadata`.
    pub metadata: Metadata,
    /// `recorded_at`.
    pub recorded_at: DateTime<Utc>,
}

impl EventRow {
    /// The recorded event; a number out of its type's range is
    /// [`StoreError::Corrupt`], naming the position.
    pub fn into_recorded(self) -> Result<RecordedEvent, StoreError> {
        let position = unsigned(self.position, "position", 0)?;
        Ok(RecordedEvent {
            header: EventHeader {
                stream_id: self.stream_id,
                stream_version: unsigned(self.stream_version, "stream_version", position)?,
                position,
                event_id: self.event_id,
                event_name: self.event_name,
                event_version: u32::try_from(self.event_version).map_err(|e| {
                    corrupt_column("event_version", position)(format!(
                        "{}: {e}",
                        self.event_version
                    ))
                })?,
                recorded_at: self.recorded_at,
                metadata: self.metadata,
            },
            payload: self.payload,
        })
    }
}

/// A version, position or count as stored (a signed 64-bit column), checked: a
/// negative one is [`StoreError::Corrupt`] naming the column.
///
/// ```
/// use cqrs_core::store::kit::stored_number;
/// assert_eq!(stored_number(7, "version").unwrap(), 7);
/// assert!(stored_number(-1, "version").is_err());
/// ```
pub fn stored_number(value: i64, column: &'static str) -> Result<u64, StoreError> {
    unsigned(value, column, 0)
}

/// Rows of `(stream_id, version)` as a store reads them for
/// [`EventStore::list_streams`](crate::EventStore::list_streams).
///
/// ```
/// let streams = cqrs_core::store::kit::stream_summaries(vec![("cart-1".into(), 3)]).unwrap();
/// assert_eq!((streams[0].stream_id.as_str(), streams[0].version), ("cart-1", 3));
/// ```
pub fn stream_summaries(rows: Vec<(String, i64)>) -> Result<Vec<StreamSummary>, StoreError> {
    rows.into_iter()
        .map(|(stream_id, version)| {
            Ok(StreamSummary {
                stream_id,
                version: stored_number(version, "version")?,
            })
        })
        .collect()
}

fn unsigned(value: i64, column: &'static str, position: u64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|e| corrupt_column(column, position)(format!("{value}: {e}")))
}

/// The error for a column of the event at `position` that cannot be read.
///
/// ```
/// let error = cqrs_core::store::kit::corrupt_column("payload", 7)("not JSON");
/// assert_eq!(error.to_string(), "stored event at position 7 is corrupt: column `payload`: not JSON");
/// ```
pub fn corrupt_column<E: std::fmt::Display>(
    column: &'static str,
    position: u64,
) -> impl Fn(E) -> StoreError {
    move |error| StoreError::Corrupt {
        position,
        reason: format!("column `{column}`: {error}"),
    }
}
