//! The SQLite store passes the shared conformance suite, each test in its own file.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use cqrs_sqlite::SqliteEventStore;

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

cqrs_core::event_store_conformance!(fresh, remove_files);
