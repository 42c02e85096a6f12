//! The checks every append passes before any store touches its storage.

use std::collections::HashSet;

use crate::envelope::NewEvent;
use crate::store::StoreError;

/// Refuses an append that no store may write: no events, one event id twice, or
/// text holding U+0000 (PostgreSQL cannot keep it in `TEXT` or `JSONB`; every store
/// refuses it, so an application sees the same answer on each).
///
/// ```
/// use cqrs_core::NewEvent;
/// use cqrs_core::store::kit::check_append;
///
/// let event = NewEvent::new("Opened", 1, serde_json::Value::Null);
/// assert!(check_append("account-1", &[event.clone()]).is_ok());
/// assert!(check_append("account-1", &[event.clone(), event]).is_err());
/// assert!(check_append("account-1", &[]).is_err());
/// let nul = NewEvent::new("Opened", 1, serde_json::json!({ "owner": "a\u{0}b" }));
/// assert!(check_append("account-1", &[nul]).is_err());
/// ```
pub fn check_append(stream_id: &str, events: &[NewEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Err(StoreError::EmptyAppend {
            stream_id: stream_id.to_owned(),
        });
    }
    let unstorable = |reason: String| StoreError::Unstorable {
        stream_id: stream_id.to_owned(),
        reason,
    };
    if stream_id.contains('\0') {
        return Err(unstorable(
            "the stream id holds the character U+0000".into(),
        ));
    }
    for (index, event) in events.iter().enumerate() {
        let at = || format!("event {index} (`{:?}`)", event.event_name);
        if event.event_name.contains('\0') {
            return Err(unstorable(format!("the name of {} holds U+0000", at())));
        }
        if text_holds_nul(event.payload.as_str()) {
            return Err(unstorable(format!("the payload of {} holds U+0000", at())));
        }
        if event
            .metadata
            .extra
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value))
        {
            return Err(unstorable(format!("the metadata of {} holds U+0000", at())));
        }
    }
    // Most appends hold one or a few events: compare pairwise, without a set.
    let repeated = |index: usize, event: &NewEvent| {
        if events.len() <= 16 {
            events[..index].iter().any(|e| e.event_id == event.event_id)
        } else {
            false
        }
    };
    let mut seen = HashSet::with_capacity(if events.len() > 16 { events.len() } else { 0 });
    for (index, event) in events.iter().enumerate() {
        if repeated(index, event) || (events.len() > 16 && !seen.insert(event.event_id)) {
            return Err(StoreError::DuplicateEventId {
                event_id: event.event_id,
                stream_id: stream_id.to_owned(),
                existing_stream: stream_id.to_owned(),
            });
        }
    }
    Ok(())
}

/// Whether JSON text holds U+0000: the escape `\u0000` where its backslash is not
/// itself escaped (or the raw character, which no JSON text should hold).
fn text_holds_nul(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find("\\u0000") {
        let at = from + found;
        let backslashes_before = bytes[..at]
            .iter()
            .rev()
            .take_while(|b| **b == b'\\')
            .count();
        if backslashes_before % 2 == 0 {
            return true;
        }
        from = at + 1;
    }
    text.contains('\0')
}

/// Whether a string or a key anywhere in the value holds U+0000.
fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(fields) => fields
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

/// The stream's version after appending `count` events at `version`, or the error
/// naming the stream when it would pass `u64::MAX`.
pub(crate) fn version_after(
    stream_id: &str,
    version: u64,
    count: usize,
) -> Result<u64, StoreError> {
    u64::try_from(count)
        .ok()
        .and_then(|count| version.checked_add(count))
        .ok_or_else(|| StoreError::VersionOverflow {
            stream_id: stream_id.to_owned(),
            version,
        })
}

#[cfg(test)]
mod tests {
    use super::text_holds_nul;

    #[test]
    fn only_an_unescaped_nul_escape_counts() {
        let cases = [
            (r#"{"a":"x\u0000"}"#, true),
            (r#"{"a\u0000":1}"#, true),
            (r#"{"a":"\\\u0000"}"#, true),
            (r#"{"a":"\\u0000"}"#, false),
            (r#"{"a":"\\\\u0000"}"#, false),
            (r#"{"a":"\u0001"}"#, false),
            (r#"{"a":"u0000"}"#, false),
        ];
        for (text, holds) in cases {
            assert_eq!(text_holds_nul(text), holds, "{text}");
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(super::holds_nul(&value), holds, "{text} as a value");
        }
    }
}
