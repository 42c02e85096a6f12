//! What only a file can show: durability across reopen, two processes, migrations.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::path::PathBuf;

use cqrs_core::conformance::numbered_events;
use cqrs_core::{EventStore, ExpectedVersion, ReadAll, StoreError};
use cqrs_sqlite::SqliteEventStore;
use futures_util::FutureExt;

/// A fresh file for one test, removed when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new(test: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("cqrs-sqlite-{test}-{}.db", std::process::id()));
        let db = TempDb(path);
        db.remove();
        db
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.remove();
    }
}

#[tokio::test]
async fn events_survive_closing_and_reopening_the_file() {
    let db = TempDb::new("reopen");
    let store = SqliteEventStore::open(&db.0).await.unwrap();
    store
        .append("s", ExpectedVersion::NoStream, numbered_events("N", 0, 3))
        .await
        .unwrap();
    store.pool().close().await;
    drop(store);

    let reopened = SqliteEventStore::open(&db.0).await.unwrap();
    assert_eq!(reopened.stream_version("s").await.unwrap(), 3);
    assert_eq!(reopened.head_position().await.unwrap(), 3);
    let result = reopened
        .append("s", ExpectedVersion::Exact(3), numbered_events("N", 3, 1))
        .await
        .unwrap();
    assert_eq!(result.positions, [4]);
}

#[tokio::test]
async fn the_file_is_in_wal_mode_with_full_sync() {
    let db = TempDb::new("pragmas");
    let store = SqliteEventStore::open(&db.0).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous = FULL");
}

/// Two stores on one file stand for two processes: each append is checked under
/// SQLite's write lock, so exactly one of two racing appends wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_file_one_append_wins() {
    let db = TempDb::new("two_processes");
    let first = SqliteEventStore::open(&db.0).await.unwrap();
    let second = SqliteEventStore::open(&db.0).await.unwrap();
    for round in 0..20u64 {
        let stream = format!("race-{round}");
        let (a, b) = tokio::join!(
            first.append(
                &stream,
                ExpectedVersion::NoStream,
                numbered_events("A", 0, 2)
            ),
            second.append(
                &stream,
                ExpectedVersion::NoStream,
                numbered_events("B", 0, 3)
            ),
        );
        let conflicts = [&a, &b]
            .iter()
            .filter(|r| matches!(r, Err(StoreError::WrongExpectedVersion { .. })))
            .count();
        assert_eq!(conflicts, 1, "round {round}: {a:?} / {b:?}");
    }
    let all = first
        .read_all(ReadAll::from_position(1).limit(1_000))
        .await
        .unwrap();
    assert!(
        all.windows(2)
            .all(|w| w[1].header.position == w[0].header.position + 1)
    );
}

#[tokio::test]
async fn a_schema_newer_than_the_code_is_refused() {
    let db = TempDb::new("too_new");
    let store = SqliteEventStore::open(&db.0).await.unwrap();
    sqlx::query("INSERT INTO cqrs_migrations (version, description, applied_at) VALUES (999, 'future', 'now')")
        .execute(store.pool())
        .await
        .unwrap();
    store.pool().close().await;
    match SqliteEventStore::open(&db.0).await {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!(found, 999);
            assert_eq!(supported, SqliteEventStore::schema_version());
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[tokio::test]
async fn memory_databases_are_private_and_work() {
    let a = SqliteEventStore::open(":memory:").await.unwrap();
    let b = SqliteEventStore::open_in_memory().await.unwrap();
    a.append("s", ExpectedVersion::NoStream, numbered_events("N", 0, 2))
        .await
        .unwrap();
    assert_eq!(a.read_stream("s", 1, 10).await.unwrap().len(), 2);
    assert_eq!(b.stream_version("s").await.unwrap(), 0);
}

#[tokio::test]
async fn a_file_that_cannot_be_opened_is_named_in_the_error() {
    let error = SqliteEventStore::open("/nonexistent-dir/cart.db")
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Connection { .. }), "{error:?}");
    assert!(
        error.to_string().contains("/nonexistent-dir/cart.db"),
        "{error}"
    );
    let cause = std::error::Error::source(&error).map(ToString::to_string);
    assert!(
        cause
            .as_deref()
            .is_some_and(|c| c.contains("directory /nonexistent-dir does not exist")),
        "{cause:?}"
    );
}

#[tokio::test]
async fn a_corrupt_row_is_an_error_naming_its_position() {
    let store = SqliteEventStore::open_in_memory().await.unwrap();
    store
        .append("s", ExpectedVersion::NoStream, numbered_events("N", 0, 2))
        .await
        .unwrap();
    sqlx::query("UPDATE cqrs_events SET metadata = '{not json' WHERE position = 2")
        .execute(store.pool())
        .await
        .unwrap();
    let error = store.read_stream("s", 1, 10).await.unwrap_err();
    assert!(
        matches!(error, StoreError::Corrupt { position: 2, .. }),
        "{error:?}"
    );
}

#[derive(Debug, serde::Serialize, serde::Deserialize, cqrs_core::DomainEvent)]
enum Numbered {
    N { n: u64 },
}

/// A payload is handed out as the text stored and decoded where it is used: text
/// that is not JSON fails there, naming the event.
#[tokio::test]
async fn a_corrupt_payload_fails_to_decode_naming_its_event() {
    let store = SqliteEventStore::open_in_memory().await.unwrap();
    store
        .append("s", ExpectedVersion::NoStream, numbered_events("N", 0, 2))
        .await
        .unwrap();
    sqlx::query("UPDATE cqrs_events SET payload = '{not json' WHERE position = 2")
        .execute(store.pool())
        .await
        .unwrap();
    let mut read = store.read_stream("s", 1, 10).await.unwrap().into_iter();
    let first = read.next().unwrap().decode::<Numbered>().unwrap();
    assert!(matches!(first.event, Numbered::N { n: 0 }));
    let error = read.next().unwrap().decode::<Numbered>().unwrap_err();
    assert_eq!((error.position, error.stream_version), (2, 2));
    assert_eq!(
        (error.stream_id.as_str(), error.event_name.as_str()),
        ("s", "N")
    );
    assert!(matches!(
        error.source,
        cqrs_core::DecodeError::Payload { .. }
    ));
}

#[tokio::test]
async fn appends_move_the_watched_head() {
    let store = SqliteEventStore::open_in_memory().await.unwrap();
    let mut head = store.watch_head();
    store
        .append("s", ExpectedVersion::NoStream, numbered_events("N", 0, 2))
        .await
        .unwrap();
    head.changed().await.unwrap();
    assert_eq!(*head.borrow(), 2);
}

/// An append whose caller gives up while it waits for the writer is not written
/// later by another append's group.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_abandoned_waiting_append_is_never_written() {
    let db = TempDb::new("abandoned");
    let store = SqliteEventStore::open(&db.0).await.unwrap();
    // Another process holds the write lock, so this process's appends queue up.
    let other = SqliteEventStore::open(&db.0).await.unwrap();
    let mut blocker = other.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("SELECT 1")
        .execute(&mut *blocker)
        .await
        .unwrap();

    let leader = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .append(
                    "first",
                    ExpectedVersion::NoStream,
                    numbered_events("F", 1, 1),
                )
                .await
        }
    });
    // The leader's group is committing (waiting for the lock) once the committer
    // holds a connection of this store's pool.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.pool().size() as usize == store.pool().num_idle() {
        assert!(
            std::time::Instant::now() < deadline,
            "the leader never began"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    // Queued behind it (one poll puts it in the queue), then given up.
    let mut abandoned = Box::pin(store.append(
        "abandoned",
        ExpectedVersion::NoStream,
        numbered_events("A", 1, 1),
    ));
    assert!((&mut abandoned).now_or_never().is_none(), "it must wait");
    drop(abandoned);

    blocker.rollback().await.unwrap();
    leader.await.unwrap().unwrap();
    store
        .append(
            "last",
            ExpectedVersion::NoStream,
            numbered_events("L", 1, 1),
        )
        .await
        .unwrap();
    assert_eq!(store.stream_version("first").await.unwrap(), 1);
    assert_eq!(store.stream_version("last").await.unwrap(), 1);
    assert_eq!(store.stream_version("abandoned").await.unwrap(), 0);
}

/// Opening (and migrating) can run in a spawned task: its future is `Send`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_can_open_inside_a_spawned_task() {
    let db = TempDb::new("spawned_open");
    let path = db.0.clone();
    let store = tokio::spawn(async move { SqliteEventStore::open(path).await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.head_position().await.unwrap(), 0);
}
