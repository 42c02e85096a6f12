//! The in-memory store passes the same conformance suite as the durable stores.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use cqrs_core::InMemoryEventStore;

async fn fresh(_test: &'static str) -> Option<InMemoryEventStore> {
    Some(InMemoryEventStore::new())
}

cqrs_core::event_store_conformance!(fresh);
