//! Events on their way into the store and on their way out of it.

use chrono::{DateTime, Utc};
use smol_str::SmolStr;
use uuid::Uuid;

use crate::event::{DecodeError, DomainEvent, EncodeError};
use crate::metadata::Metadata;
use crate::payload::Payload;

/// An event ready to be appended: serialized, with its id and metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Unique id. Appending an event whose id is already stored is idempotent.
    pub event_id: Uuid,
    /// Persisted event name.
    pub event_name: String,
    /// Persisted schema version.
    pub event_version: u32,
    /// The variant's data, as JSON text.
    pub payload: Payload,
    /// Correlation, causation, time and application values.
    pub metadata: Metadata,
}

impl NewEvent {
    /// An event from its stored parts, with a fresh id and default metadata: for
    /// imports, migrations and tests that write events as another version of the
    /// code stored them.
    ///
    /// ```
    /// let old = cqrs_core::NewEvent::new("cart.item_added", 1, serde_json::json!({ "sku": "apple" }));
    /// assert_eq!((old.event_name.as_str(), old.event_version), ("cart.item_added", 1));
    /// ```
    pub fn new(name: impl Into<String>, version: u32, payload: impl Into<Payload>) -> Self {
        NewEvent {
            event_id: Uuid::new_v4(),
            event_name: name.into(),
            event_version: version,
            payload: payload.into(),
            metadata: Metadata::default(),
        }
    }

    /// Serializes a domain event with a fresh id.
    pub fn from_event<E: DomainEvent>(event: &E, metadata: Metadata) -> Result<Self, EncodeError> {
        let event_type = event.event_type();
        Ok(NewEvent {
            event_id: Uuid::new_v4(),
            event_name: event_type.name.to_owned(),
            event_version: event_type.version,
            payload: event.encode()?,
            metadata,
        })
    }
}

/// Where and when a stored event was recorded, and what it is.
///
/// The stream id and event name are [`SmolStr`]s: a short one is kept inline and a
/// long one shared, so handing a header out costs no allocation. They compare with
/// `&str` and dereference to `str`.
///
/// ```
/// # use cqrs_core::{EventHeader, Metadata, SmolStr};
/// let header = EventHeader {
///     stream_id: SmolStr::new("cart-42"),
///     stream_version: 1,
///     position: 7,
///     event_id: cqrs_core::Uuid::new_v4(),
///     event_name: SmolStr::new("cart.item_added"),
///     event_version: 1,
///     recorded_at: chrono::Utc::now(),
///     metadata: Metadata::default(),
/// };
/// assert_eq!(header.stream_id, "cart-42");
/// assert!(header.event_name.starts_with("cart."));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EventHeader {
    /// The stream the event belongs to (for aggregates: `"{type}-{id}"`).
    pub stream_id: SmolStr,
    /// The event's version within its stream, from `1`.
    pub stream_version: u64,
    /// The event's position in the store's global log, from `1`; only grows.
    pub position: u64,
    /// The event's unique id.
    pub event_id: Uuid,
    /// Persisted event name.
    pub event_name: SmolStr,
    /// Persisted schema version.
    pub event_version: u32,
    /// When the store committed the event.
    pub recorded_at: DateTime<Utc>,
    /// Correlation, causation, time and application values.
    pub metadata: Metadata,
}

/// A stored event as the store returns it: header and serialized payload.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    /// Where, when and what.
    pub header: EventHeader,
    /// The variant's data, as the store holds it.
    pub payload: Payload,
}

/// A stored event decoded into the application's event enum.
#[derive(Debug, Clone, PartialEq)]
pub struct EventEnvelope<E> {
    /// Where, when and what.
    pub header: EventHeader,
    /// The event.
    pub event: E,
}

/// A stored event whose payload does not decode into the event enum.
///
/// Names everything needed to find the row: stream, version, event name and position.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot decode event `{event_name}` (version {event_version}) at stream `{stream_id}` version {stream_version}, position {position}"
)]
pub struct EventDecodeError {
    /// The stream holding the event.
    pub stream_id: String,
    /// The event's version in its stream.
    pub stream_version: u64,
    /// The event's global position.
    pub position: u64,
    /// The persisted name.
    pub event_name: String,
    /// The persisted schema version.
    pub event_version: u32,
    /// What went wrong.
    #[source]
    pub source: DecodeError,
}

impl EventHeader {
    /// Decodes this event's payload into `E`; an error names the event by this header.
    pub fn decode_payload<E: DomainEvent>(
        &self,
        payload: &Payload,
    ) -> Result<E, Box<EventDecodeError>> {
        E::decode(&self.event_name, self.event_version, payload).map_err(|source| {
            Box::new(EventDecodeError {
                stream_id: self.stream_id.to_string(),
                stream_version: self.stream_version,
                position: self.position,
                event_name: self.event_name.to_string(),
                event_version: self.event_version,
                source,
            })
        })
    }
}

impl RecordedEvent {
    /// Decodes the payload into `E`, keeping the header.
    pub fn decode<E: DomainEvent>(self) -> Result<EventEnvelope<E>, Box<EventDecodeError>> {
        let RecordedEvent { header, payload } = self;
        let event = header.decode_payload(&payload)?;
        Ok(EventEnvelope { header, event })
    }
}
