//! The SQLite store passes the shared conformance suite, each test in its own file.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use cqrs_sqlite::SqliteEventStore;
use sqlx::{Executor, Row};

async fn fresh(test: &'static str) -> Option<SqliteEventStore> {
    let dir = std::env::temp_dir().join(format!("cqrs-sqlite-conformance-{}", std::process::id()));
    if let Err(error) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {error}", dir.display());
    }
    let path = dir.join(format!("{test}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    match SqliteEventStore::open(&path).await {
        Ok(store) => Some(store),
        Err(error) => panic!("cannot open {}: {error}", path.display()),
    }
}

async fn remove_files(store: SqliteEventStore) {
    store.pool().close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", store.location()));
    }
}

/// Another process on the same file: a store opened on it again.
async fn another_handle(store: SqliteEventStore) -> SqliteEventStore {
    SqliteEventStore::open(store.location()).await.unwrap()
}

/// A full disk, for real: SQLite's `max_page_count` set to the file's current size
/// on every connection of the pool, so a write that needs a new page fails with
/// "database or disk is full"; lifted again by a large limit.
async fn fail_writes(store: SqliteEventStore, full: bool) {
    let pool = store.pool();
    let mut connections = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        connections.push(pool.acquire().await.unwrap());
    }
    for conn in &mut connections {
        let pages = conn.fetch_one("PRAGMA page_count").await.unwrap();
        let limit = if full {
            pages.get::<i64, _>(0)
        } else {
            1 << 30
        };
        let set = format!("PRAGMA max_page_count = {limit}");
        conn.execute(set.as_str()).await.unwrap();
    }
}

cqrs_core::event_store_conformance! {
    fresh: fresh,
    teardown: remove_files,
    another_handle: another_handle,
    fail_writes: fail_writes,
}
