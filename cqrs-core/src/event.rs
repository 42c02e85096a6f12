//! Domain events: the facts an aggregate records.

use crate::payload::Payload;

/// The persisted identity of one event variant: its name and schema version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventType {
    /// The name stored with the event (`#[event(name = "...")]`, default: the variant name).
    pub name: &'static str,
    /// The schema version stored with the event (`#[event(version = N)]`, default: `1`).
    pub version: u32,
    /// The Rust variant that holds it.
    pub variant: &'static str,
}

/// An enum of the events one aggregate records. Derive it with `#[derive(DomainEvent)]`
/// beside serde's `Serialize` and `Deserialize`.
///
/// Each variant has a persisted name and version, stored beside the payload. The
/// payload is the variant's data alone (serde's representation of its fields), so a
/// Rust variant can be renamed freely as long as its persisted name stays.
///
/// ```
/// use cqrs_core::{DomainEvent, EventType};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize, DomainEvent)]
/// enum AccountEvent {
///     #[event(name = "account.opened", version = 2)]
///     Opened { owner: String },
///     Closed,
/// }
///
/// let event = AccountEvent::Opened { owner: "ada".into() };
/// assert_eq!(event.event_type().name, "account.opened");
/// let payload = event.encode().unwrap();
/// assert_eq!(payload.as_str(), r#"{"owner":"ada"}"#);
/// let back = AccountEvent::decode("account.opened", 2, &payload).unwrap();
/// assert_eq!(back, event);
/// assert_eq!(AccountEvent::Closed.event_type().name, "Closed");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a domain event enum",
    label = "not a domain event",
    note = "derive it on the event enum: `#[derive(Serialize, Deserialize, DomainEvent)]`"
)]
pub trait DomainEvent: Sized + Send + Sync + 'static {
    /// Every event type the enum can hold, in declaration order.
    const EVENT_TYPES: &'static [EventType];

    /// The persisted name and version of this event.
    fn event_type(&self) -> &'static EventType;

    /// The payload to store: the variant's data without the variant name, as JSON text.
    fn encode(&self) -> Result<Payload, EncodeError>;

    /// Rebuilds an event from a stored name, version and payload: straight from the
    /// text into the variant, or, for an older version with upcasters, through each
    /// upcaster first.
    fn decode(name: &str, version: u32, payload: &Payload) -> Result<Self, DecodeError>;

    /// The persisted event names, in declaration order.
    fn event_names() -> impl Iterator<Item = &'static str> {
        Self::EVENT_TYPES.iter().map(|t| t.name)
    }
}

/// An event could not be turned into a payload.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// serde refused the value (a map with non-string keys, a failing `Serialize` impl).
    #[error("event `{event}` could not be serialized")]
    Serialize {
        /// The persisted name of the event.
        event: &'static str,
        /// What serde reported.
        #[source]
        source: serde_json::Error,
    },
    /// The enum's serde representation is not the externally tagged default.
    #[error(
        "event `{event}` did not serialize as a tagged variant; remove `#[serde(tag/untagged/...)]` from the event enum"
    )]
    NotTagged {
        /// The persisted name of the event.
        event: &'static str,
    },
}

/// A stored event could not be turned back into the event enum.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// No variant has this persisted name.
    #[error("unknown event name `{name}` for `{enum_name}`")]
    UnknownName {
        /// The stored name.
        name: String,
        /// The Rust enum asked to hold it.
        enum_name: &'static str,
    },
    /// The stored schema version is newer than the code knows.
    #[error("event `{name}` has version {stored}, newer than version {known} known to this code")]
    NewerVersion {
        /// The stored name.
        name: String,
        /// The stored version.
        stored: u32,
        /// The newest version the code knows.
        known: u32,
    },
    /// An upcaster's input type does not fit the stored payload, or its output does
    /// not serialize.
    #[error("event `{name}`: the upcaster from version {from} cannot read or write the payload")]
    Upcast {
        /// The stored name.
        name: String,
        /// The version the failing upcaster starts from.
        from: u32,
        /// What serde reported.
        #[source]
        source: serde_json::Error,
    },
    /// The payload does not fit the variant's fields.
    #[error("payload of event `{name}` version {version} does not fit the variant")]
    Payload {
        /// The stored name.
        name: String,
        /// The stored version.
        version: u32,
        /// What serde reported.
        #[source]
        source: serde_json::Error,
    },
}

impl DecodeError {
    /// Whether the event is one this code does not know: a name no variant has, or a
    /// version newer than the variant's (written by a newer deployment).
    pub fn is_unknown_event(&self) -> bool {
        matches!(
            self,
            DecodeError::UnknownName { .. } | DecodeError::NewerVersion { .. }
        )
    }
}
