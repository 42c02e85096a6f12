//! An event's data as the store keeps it: JSON text, shared.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// An event's data as JSON text, the bytes a store keeps.
///
/// Cloning copies a pointer, not the text: the in-memory store hands the same
/// payload to every reader, and an event decodes straight from the text into its
/// variant, without a `serde_json::Value` in between.
///
/// ```
/// use cqrs_core::Payload;
/// use serde_json::json;
///
/// let payload = Payload::from_json(r#"{"sku":"apple","quantity":2}"#).unwrap();
/// assert_eq!(payload.as_str(), r#"{"sku":"apple","quantity":2}"#);
/// assert_eq!(payload, json!({ "quantity": 2, "sku": "apple" }));
/// assert_eq!(payload, Payload::from(json!({ "quantity": 2, "sku": "apple" })));
///
/// #[derive(serde::Deserialize)]
/// struct Line { sku: String, quantity: u32 }
/// let line: Line = payload.decode().unwrap();
/// assert_eq!((line.sku.as_str(), line.quantity), ("apple", 2));
///
/// assert!(Payload::from_json("{ not json").is_err());
/// ```
#[derive(Clone)]
pub struct Payload(Arc<str>);

impl Payload {
    /// A payload from JSON text, checked to be one JSON value.
    pub fn from_json(text: impl Into<String>) -> Result<Self, serde_json::Error> {
        let text = text.into();
        serde_json::from_str::<serde::de::IgnoredAny>(&text)?;
        Ok(Payload(text.into()))
    }

    /// A payload from text a store read back from a column that only ever holds what
    /// it was given as a payload. Not checked here: text that is not JSON fails where
    /// it is decoded, with an error naming the event.
    pub fn from_stored(text: impl Into<Arc<str>>) -> Self {
        Payload(text.into())
    }

    /// A payload from serializer output that is JSON by construction.
    pub(crate) fn from_encoded(bytes: Vec<u8>) -> Result<Self, std::string::FromUtf8Error> {
        String::from_utf8(bytes).map(|text| Payload(text.into()))
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Deserializes the text into `T`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// The payload as a `serde_json::Value`, for code that edits JSON (upcasters,
    /// imports, tests).
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        self.decode()
    }
}

impl From<Value> for Payload {
    fn from(value: Value) -> Self {
        Payload::from(&value)
    }
}

impl From<&Value> for Payload {
    fn from(value: &Value) -> Self {
        // Writing a `Value` cannot fail: its map keys are strings.
        Payload(value.to_string().into())
    }
}

/// Equal when the texts are equal or hold equal JSON values (key order and spacing
/// may differ between stores).
impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 || matches!((self.to_value(), other.to_value()), (Ok(a), Ok(b)) if a == b)
    }
}

/// Equal when the text holds this JSON value.
impl PartialEq<Value> for Payload {
    fn eq(&self, other: &Value) -> bool {
        self.to_value().is_ok_and(|value| value == *other)
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Written as the JSON value it holds, not as a string.
impl serde::Serialize for Payload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &serde_json::value::RawValue =
            serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// Read from any JSON value.
impl<'de> serde::Deserialize<'de> for Payload {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        Ok(Payload(String::from(Box::<str>::from(raw)).into()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Payload;

    #[test]
    fn a_payload_is_written_inside_other_json_as_its_value() {
        let payload = Payload::from(json!({ "a": [1, 2] }));
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Holder {
            payload: Payload,
        }
        let text = serde_json::to_string(&Holder { payload }).unwrap();
        assert_eq!(text, r#"{"payload":{"a":[1,2]}}"#);
        let back: Holder = serde_json::from_str(&text).unwrap();
        assert_eq!(back.payload.as_str(), r#"{"a":[1,2]}"#);
    }

    #[test]
    fn equality_is_by_json_value() {
        let a = Payload::from_json(r#"{"a":1,"b":2}"#).unwrap();
        let b = Payload::from_json(r#"{ "b": 2, "a": 1 }"#).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, Payload::from(json!({ "a": 1 })));
        assert_ne!(
            Payload::from_stored("not json"),
            Payload::from_stored("not json either")
        );
    }
}
