//! The event store: what every store promises ([`Store`] and the traits it joins),
//! the in-memory store, and, in [`kit`], the logic every store shares.
//!
//! A store crate implements the dialect only (its SQL, its connection handling); the
//! append itself (contract checks, the expected-version check, idempotency by event
//! id, inline views), group commit and the migration runner come from [`kit`], so
//! every store behaves the same and the conformance suite proves it.

mod contract;
mod error;
pub mod kit;
mod memory;
mod streams;

pub use contract::{
    AppendResult, DocumentStore, EventStore, InlineViews, Leases, LogFollower, ReadAll, Snapshot,
    SnapshotStore, Store, StoredId, StoredView, ViewStore,
};
pub use error::StoreError;
pub use memory::{InMemoryEventStore, MemoryLease};
pub use streams::{ListStreams, StreamSummary};
