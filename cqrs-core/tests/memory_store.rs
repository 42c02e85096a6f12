//! The in-memory store passes the same conformance suite as the durable stores.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use cqrs_core::InMemoryEventStore;

async fn fresh(_test: &'static str) -> Option<InMemoryEventStore> {
    Some(InMemoryEventStore::new())
}

/// Another process on the same memory: the same log, its own inline views.
async fn another_handle(store: InMemoryEventStore) -> InMemoryEventStore {
    store.another_handle()
}

/// Memory has no disk to fill: the store's fault hook fails its commits instead.
async fn fail_writes(store: InMemoryEventStore, fail: bool) {
    store.fail_commits(fail);
}

cqrs_core::event_store_conformance! {
    fresh: fresh,
    teardown: cqrs_core::conformance::no_teardown,
    another_handle: another_handle,
    fail_writes: fail_writes,
}
