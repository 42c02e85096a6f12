//! The NATS headers a relayed event carries, and the event header read back from
//! them. Every field of [`EventHeader`] travels, so a consumer decodes the payload
//! (upcasting included) exactly as a reader of the log does.

use async_nats::HeaderMap;
use cqrs_core::{EventHeader, Metadata, Payload, RecordedEvent};
use smol_str::SmolStr;
use uuid::Uuid;

/// `Nats-Msg-Id`: the event id, so JetStream's duplicate window drops a republish.
pub const MESSAGE_ID: &str = "Nats-Msg-Id";
/// The event's id.
pub const EVENT_ID: &str = "Cqrs-Event-Id";
/// The stream (aggregate instance) the event belongs to, percent-escaped.
pub const STREAM_ID: &str = "Cqrs-Stream-Id";
/// The event's version within its stream.
pub const STREAM_VERSION: &str = "Cqrs-Stream-Version";
/// The event's position in the source's global log.
pub const POSITION: &str = "Cqrs-Position";
/// The persisted event name, percent-escaped.
pub const EVENT_NAME: &str = "Cqrs-Event-Name";
/// The persisted schema version (what upcasters start from).
pub const EVENT_VERSION: &str = "Cqrs-Event-Version";
/// When the source store committed the event (RFC 3339).
pub const RECORDED_AT: &str = "Cqrs-Recorded-At";
/// When the command was decided (RFC 3339).
pub const TIMESTAMP: &str = "Cqrs-Timestamp";
/// The correlation id, when there is one.
pub const CORRELATION_ID: &str = "Cqrs-Correlation-Id";
/// The causation id, when there is one.
pub const CAUSATION_ID: &str = "Cqrs-Causation-Id";
/// Application-defined metadata as one JSON object, when there is any.
pub const METADATA: &str = "Cqrs-Metadata";

/// Why a message does not read back as an event.
#[derive(Debug, thiserror::Error)]
#[error("JetStream message {sequence} is not a relayed event: {reason}")]
pub struct MessageError {
    /// The message's sequence in its JetStream stream.
    pub sequence: u64,
    /// What is missing or malformed.
    pub reason: String,
}

/// Header values cannot hold line breaks: `%`, control characters and
/// non-ASCII bytes are written as `%XX`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte == b'%' || !(0x20..0x7f).contains(&byte) {
            out.push_str(&format!("%{byte:02X}"));
        } else {
            out.push(char::from(byte));
        }
    }
    out
}

fn unescape(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = tail.get(2..)?;
        } else {
            bytes.push(first);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// The headers the relay sends with an event (`Nats-Msg-Id` and the
/// `Cqrs-*` headers above; [`recorded_event`] reads them back).
///
/// ```
/// # use cqrs_core::{EventHeader, Metadata};
/// let header = EventHeader {
///     stream_id: "cart-alice".into(),
///     stream_version: 3,
///     position: 42,
///     event_id: uuid::Uuid::new_v4(),
///     event_name: "cart.item_added".into(),
///     event_version: 1,
///     recorded_at: chrono::Utc::now(),
///     metadata: Metadata::default(),
/// };
/// let headers = cqrs_nats::headers::to_headers(&header);
/// assert_eq!(headers.get("Cqrs-Position").map(|v| v.as_str()), Some("42"));
/// let back = cqrs_nats::headers::recorded_event(1, Some(&headers), b"{}").unwrap();
/// assert_eq!(back.header, header);
/// ```
pub fn to_headers(header: &EventHeader) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let id = header.event_id.to_string();
    headers.insert(MESSAGE_ID, id.as_str());
    headers.insert(EVENT_ID, id);
    headers.insert(STREAM_ID, escape(&header.stream_id));
    headers.insert(STREAM_VERSION, header.stream_version.to_string());
    headers.insert(POSITION, header.position.to_string());
    headers.insert(EVENT_NAME, escape(&header.event_name));
    headers.insert(EVENT_VERSION, header.event_version.to_string());
    headers.insert(RECORDED_AT, header.recorded_at.to_rfc3339());
    let metadata = &header.metadata;
    headers.insert(TIMESTAMP, metadata.timestamp.to_rfc3339());
    if let Some(id) = metadata.correlation_id {
        headers.insert(CORRELATION_ID, id.to_string());
    }
    if let Some(id) = metadata.causation_id {
        headers.insert(CAUSATION_ID, id.to_string());
    }
    if !metadata.extra.is_empty() {
        // A map of JSON values always serializes; an empty object is never sent.
        let extra = serde_json::to_string(&metadata.extra).unwrap_or_default();
        headers.insert(METADATA, escape(&extra));
    }
    headers
}

/// The event a relayed message carries: its header from the NATS headers, its
/// payload as the source store held it.
///
/// ```
/// let error = cqrs_nats::headers::recorded_event(7, None, b"{}").unwrap_err();
/// assert_eq!(error.to_string(), "JetStream message 7 is not a relayed event: it has no headers");
/// ```
pub fn recorded_event(
    sequence: u64,
    headers: Option<&HeaderMap>,
    payload: &[u8],
) -> Result<RecordedEvent, MessageError> {
    let header = from_headers(sequence, headers)?;
    let fail = |reason: String| MessageError { sequence, reason };
    let text = std::str::from_utf8(payload).map_err(|_| fail("its payload is not UTF-8".into()))?;
    let payload =
        Payload::from_json(text).map_err(|e| fail(format!("its payload is not JSON: {e}")))?;
    Ok(RecordedEvent { header, payload })
}

/// The event header a relayed message carries.
pub(crate) fn from_headers(
    sequence: u64,
    headers: Option<&HeaderMap>,
) -> Result<EventHeader, MessageError> {
    let fail = |reason: String| MessageError { sequence, reason };
    let headers = headers.ok_or_else(|| fail("it has no headers".into()))?;
    let text = |name: &str| {
        headers
            .get(name)
            .map(|v| v.as_str().to_owned())
            .ok_or_else(|| fail(format!("header `{name}` is missing")))
    };
    let parse = |name: &str, value: String| fail(format!("header `{name}` is `{value}`"));
    let escaped = |name: &str| {
        let value = text(name)?;
        unescape(&value).ok_or_else(|| parse(name, value))
    };
    let number = |name: &str| {
        let value = text(name)?;
        value.parse::<u64>().map_err(|_| parse(name, value))
    };
    let time = |name: &str| {
        let value = text(name)?;
        chrono::DateTime::parse_from_rfc3339(&value)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| parse(name, value))
    };
    let uuid = |name: &str| {
        let value = text(name)?;
        Uuid::parse_str(&value).map_err(|_| parse(name, value))
    };
    let optional_uuid = |name: &str| match headers.get(name) {
        None => Ok(None),
        Some(_) => uuid(name).map(Some),
    };
    let extra = match headers.get(METADATA) {
        None => Default::default(),
        Some(_) => {
            let value = escaped(METADATA)?;
            serde_json::from_str(&value).map_err(|_| parse(METADATA, value))?
        }
    };
    let event_version = number(EVENT_VERSION)?;
    Ok(EventHeader {
        stream_id: SmolStr::from(escaped(STREAM_ID)?),
        stream_version: number(STREAM_VERSION)?,
        position: number(POSITION)?,
        event_id: uuid(EVENT_ID)?,
        event_name: SmolStr::from(escaped(EVENT_NAME)?),
        event_version: u32::try_from(event_version)
            .map_err(|_| parse(EVENT_VERSION, event_version.to_string()))?,
        recorded_at: time(RECORDED_AT)?,
        metadata: Metadata {
            correlation_id: optional_uuid(CORRELATION_ID)?,
            causation_id: optional_uuid(CAUSATION_ID)?,
            timestamp: time(TIMESTAMP)?,
            extra,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips_what_headers_cannot_hold() {
        for text in ["cart-1", "a%b", "line\r\nbreak", "naïve ✓", ""] {
            let escaped = escape(text);
            assert!(
                escaped.bytes().all(|b| (0x20..0x7f).contains(&b)),
                "{escaped}"
            );
            assert_eq!(unescape(&escaped).as_deref(), Some(text));
        }
        assert_eq!(unescape("%4"), None);
        assert_eq!(unescape("%zz"), None);
    }
}
