//! Why a command produced no events.

use crate::envelope::EventDecodeError;
use crate::event::EncodeError;
use crate::store::StoreError;
use crate::version::ExpectedVersion;

/// Why a command produced no events.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error + 'static> {
    /// The aggregate refused the command; the error is the aggregate's own, unchanged.
    #[error(transparent)]
    Rejected(E),
    /// Another writer changed the aggregate first.
    #[error(
        "stream `{stream_id}` changed concurrently: expected {expected}, found version {actual}"
    )]
    Conflict {
        /// The aggregate's stream.
        stream_id: String,
        /// What the writer expected.
        expected: ExpectedVersion,
        /// The stream's version.
        actual: u64,
    },
    /// A stored event does not decode.
    #[error(transparent)]
    Decode(#[from] Box<EventDecodeError>),
    /// A new event does not encode.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl<E: std::error::Error + 'static> CommandError<E> {
    /// The aggregate's own error, when it refused the command.
    pub fn rejection(&self) -> Option<&E> {
        match self {
            CommandError::Rejected(error) => Some(error),
            _ => None,
        }
    }

    /// Whether another writer changed the aggregate first.
    pub fn is_conflict(&self) -> bool {
        matches!(self, CommandError::Conflict { .. })
    }

    /// The outcome's name in traces and metrics: `rejected`, `conflict`, `decode`,
    /// `encode`, `unavailable` (worth a retry) or `store`.
    ///
    /// ```
    /// use cqrs_core::CommandError;
    ///
    /// let refused: CommandError<std::io::Error> = CommandError::Rejected(std::io::Error::other("no"));
    /// assert_eq!(refused.outcome(), "rejected");
    /// ```
    pub fn outcome(&self) -> &'static str {
        match self {
            CommandError::Rejected(_) => "rejected",
            CommandError::Conflict { .. } => "conflict",
            CommandError::Decode(_) => "decode",
            CommandError::Encode(_) => "encode",
            CommandError::Store(error) if error.is_transient() => "unavailable",
            CommandError::Store(_) => "store",
        }
    }
}

impl<E: std::error::Error + 'static> From<StoreError> for CommandError<E> {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::WrongExpectedVersion {
                stream_id,
                expected,
                actual,
            } => CommandError::Conflict {
                stream_id,
                expected,
                actual,
            },
            other => CommandError::Store(other),
        }
    }
}
