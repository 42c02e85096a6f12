//! Recently used aggregates, kept in memory between commands.

use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use lru::LruCache;

use super::Replayed;
use crate::aggregate::Aggregate;

/// A bounded map from stream id to the aggregate's state and version.
///
/// A command takes its aggregate out and puts the new state back after its append,
/// so two commands on one aggregate at once never share a state: the second finds
/// nothing and replays from the store.
pub(super) struct AggregateCache<A: Aggregate> {
    entries: Mutex<LruCache<String, Replayed<A>>>,
    capacity: usize,
}

impl<A: Aggregate> AggregateCache<A> {
    /// A cache of `capacity` aggregates; `None` for a capacity of zero.
    pub(super) fn new(capacity: usize) -> Option<Self> {
        let bound = NonZeroUsize::new(capacity)?;
        Some(AggregateCache {
            entries: Mutex::new(LruCache::new(bound)),
            capacity,
        })
    }

    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(super) fn take(&self, stream_id: &str) -> Option<Replayed<A>> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop(stream_id)
    }

    pub(super) fn put(&self, stream_id: &str, replayed: Replayed<A>) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .put(stream_id.to_owned(), replayed);
    }
}
