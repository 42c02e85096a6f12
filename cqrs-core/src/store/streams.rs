//! Listing the streams a store holds: for operators' pages and tools.

/// Which streams to list: those whose id starts with `prefix`, in id order, after
/// `after` (exclusive; `None` from the first), at most `limit`.
///
/// ```
/// use cqrs_core::ListStreams;
///
/// let first_page = ListStreams::with_prefix("cart-").limit(50);
/// let next_page = first_page.clone().after("cart-bob");
/// assert_eq!(next_page.after.as_deref(), Some("cart-bob"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListStreams {
    /// The ids' common beginning (`""`: every stream).
    pub prefix: String,
    /// The last id of the page before (exclusive).
    pub after: Option<String>,
    /// At most this many.
    pub limit: usize,
}

impl ListStreams {
    /// Streams whose id starts with `prefix`, 100 at a time.
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        ListStreams {
            prefix: prefix.into(),
            after: None,
            limit: 100,
        }
    }

    /// At most `limit` streams.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Only streams after `stream_id`, for the next page.
    pub fn after(mut self, stream_id: impl Into<String>) -> Self {
        self.after = Some(stream_id.into());
        self
    }

    /// Whether `stream_id` is in the list (ignoring `limit`): the one definition
    /// every store follows.
    pub fn matches(&self, stream_id: &str) -> bool {
        stream_id.starts_with(&self.prefix)
            && self.after.as_deref().is_none_or(|after| stream_id > after)
    }
}

/// One stream and its version (its number of events).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StreamSummary {
    /// The stream's id.
    pub stream_id: String,
    /// Its version.
    pub version: u64,
}
