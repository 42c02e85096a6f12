use uuid::Uuid;

use crate::version::ExpectedVersion;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Optimistic concurrency: the stream was not at the expected version.
    #[error("stream `{stream_id}`: expected {expected}, but it is at version {actual}")]
    WrongExpectedVersion {
        /// The stream appended to.
        stream_id: String,
        /// What the writer expected.
        expected: ExpectedVersion,
        /// The stream's version when the append was tried (`0`: no stream).
        actual: u64,
    },
    /// Some, but not all, of an append's event ids are already stored, or they are
    /// stored in another stream: the append is neither new nor a retry.
    #[error(
        "event id {event_id} is already stored in stream `{existing_stream}` and cannot be appended to `{stream_id}` again"
    )]
    DuplicateEventId {
        /// The id already stored.
        event_id: Uuid,
        /// The stream appended to.
        stream_id: String,
        /// The stream that holds the id.
        existing_stream: String,
    },
    /// An append with no events.
    #[error("append to stream `{stream_id}` has no events")]
    EmptyAppend {
        /// The stream appended to.
        stream_id: String,
    },
    /// The append holds text no store can keep (the character U+0000 in the stream
    /// id, an event name, a payload or metadata); refused the same way by every
    /// store, before anything is written.
    #[error("append to stream `{stream_id:?}` refused: {reason}")]
    Unstorable {
        /// The stream appended to (quoted with escapes: it may hold the character).
        stream_id: String,
        /// What cannot be stored, and where.
        reason: String,
    },
    /// The stream's version would pass `u64::MAX`; nothing was written.
    #[error("stream `{stream_id}` is at version {version} and cannot take more events")]
    VersionOverflow {
        /// The stream appended to.
        stream_id: String,
        /// Its version.
        version: u64,
    },
    /// A store was configured with something it cannot use (a name too long, ...).
    #[error("{setting} `{value}` cannot be used: {reason}")]
    InvalidSetting {
        /// What was set: `schema`, ...
        setting: &'static str,
        /// The value given.
        value: String,
        /// Why it is refused, and what to do instead.
        reason: String,
    },
    /// An inline view refused the append; nothing was written.
    #[error("inline view `{view}` refused the append to stream `{stream_id}`")]
    InlineView {
        /// The view.
        view: String,
        /// The stream appended to.
        stream_id: String,
        /// What its handler reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database could not be reached.
    #[error("cannot connect to {url}")]
    Connection {
        /// The address, with any password removed.
        url: String,
        /// What the driver reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A schema migration failed.
    #[error("migration {version} ({description}) failed")]
    Migration {
        /// The migration's number.
        version: i64,
        /// What it does.
        description: String,
        /// What the database reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database holds a schema newer than this code.
    #[error(
        "the database schema is at version {found}, newer than version {supported} this code knows; upgrade the application"
    )]
    SchemaTooNew {
        /// The schema version found.
        found: i64,
        /// The newest version this code knows.
        supported: i64,
    },
    /// A stored row that cannot be read back (a corrupt metadata column).
    #[error("stored event at position {position} is corrupt: {reason}")]
    Corrupt {
        /// The event's global position.
        position: u64,
        /// What is wrong.
        reason: String,
    },
    /// The database could not do it now but may soon: a lost connection, a lock held
    /// too long, a full disk, a server shutting down. Nothing was written (or, for a
    /// commit whose answer was lost, an append retried with the same event ids is
    /// recognised). Try again later.
    #[error("{operation} failed for now; try again")]
    Unavailable {
        /// What the store was doing, with the stream or position involved.
        operation: String,
        /// What the driver reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Any other database failure, with what was being done.
    #[error("{operation} failed")]
    Backend {
        /// What the store was doing, with the stream or position involved.
        operation: String,
        /// What the driver reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// Whether this is an optimistic-concurrency conflict.
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::WrongExpectedVersion { .. })
    }

    /// Whether trying again later may succeed ([`StoreError::Unavailable`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }

    /// Wraps a driver error that trying again later may cure.
    pub fn unavailable(
        operation: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError::Unavailable {
            operation: operation.into(),
            source: source.into(),
        }
    }

    /// Wraps a driver error with what was being done.
    pub fn backend(
        operation: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError::Backend {
            operation: operation.into(),
            source: source.into(),
        }
    }
}
