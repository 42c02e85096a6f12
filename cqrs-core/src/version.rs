//! Stream versions, global positions and the expected-version check.

use std::fmt;

/// What a writer expects a stream's version to be when it appends.
///
/// A stream's version is the number of events in it: `0` for a stream that does
/// not exist, `1` after its first event. The store compares the expectation with
/// the stream's current version inside the same transaction as the append, so two
/// writers holding the same expectation cannot both win.
///
/// ```
/// use cqrs_core::ExpectedVersion;
///
/// assert!(ExpectedVersion::Exact(3).is_satisfied_by(3));
/// assert!(!ExpectedVersion::NoStream.is_satisfied_by(1));
/// assert!(ExpectedVersion::StreamExists.is_satisfied_by(7));
/// assert!(ExpectedVersion::Any.is_satisfied_by(0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ExpectedVersion {
    /// Append whatever the stream's version is.
    Any,
    /// The stream must not exist yet (version `0`).
    NoStream,
    /// The stream must already hold at least one event.
    StreamExists,
    /// The stream must be at exactly this version.
    Exact(u64),
}

impl ExpectedVersion {
    /// Whether a stream currently at `actual` satisfies this expectation.
    pub fn is_satisfied_by(self, actual: u64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual == 0,
            ExpectedVersion::StreamExists => actual > 0,
            ExpectedVersion::Exact(expected) => actual == expected,
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any version"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::StreamExists => f.write_str("an existing stream"),
            ExpectedVersion::Exact(version) => write!(f, "version {version}"),
        }
    }
}
