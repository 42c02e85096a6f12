//! One store of each kind per test: in memory, a SQLite file, a PostgreSQL schema.

use cqrs_postgres::{PostgresEventStore, PostgresOptions};
use cqrs_sqlite::SqliteEventStore;

/// A SQLite database file of its own, deleted (with its WAL files) when dropped.
pub(crate) struct SqliteFile {
    pub(crate) store: SqliteEventStore,
    path: std::path::PathBuf,
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

pub(crate) async fn sqlite(test: &str) -> SqliteFile {
    let path =
        std::env::temp_dir().join(format!("cqrs-{test}-{}.db", uuid::Uuid::new_v4().simple()));
    let store = SqliteEventStore::open(&path).await.unwrap();
    SqliteFile { store, path }
}

/// A store in a fresh schema, or `None` (with a notice) when `DATABASE_URL` is
/// unset; with `CQRS_REQUIRE_POSTGRES=1` a missing URL fails the test.
pub(crate) async fn postgres(test: &str) -> Option<PostgresEventStore> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        if std::env::var("CQRS_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
            panic!("CQRS_REQUIRE_POSTGRES=1 but DATABASE_URL is not set: `{test}` cannot run");
        }
        eprintln!("skipped `{test}` on PostgreSQL: set DATABASE_URL to run it");
        return None;
    };
    let schema = format!("cqrs_test_{}", uuid::Uuid::new_v4().simple());
    let store = PostgresOptions::new(url)
        .schema(schema)
        .max_connections(20)
        .connect()
        .await
        .unwrap_or_else(|error| panic!("cannot connect for `{test}`: {error}"));
    Some(store)
}

pub(crate) async fn drop_postgres(store: PostgresEventStore) {
    let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", store.schema());
    if let Err(error) = sqlx::raw_sql(&sql).execute(store.pool()).await {
        eprintln!("could not drop schema {}: {error}", store.schema());
    }
    store.pool().close().await;
}

/// Writes one `#[tokio::test]` per store for a check generic over the store.
macro_rules! on_every_store {
    ($($check:ident),* $(,)?) => {$(
        mod $check {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn memory() {
                super::$check(cqrs_core::InMemoryEventStore::new()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let file = crate::stores::sqlite(stringify!($check)).await;
                super::$check(file.store.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(store) = crate::stores::postgres(stringify!($check)).await else {
                    return;
                };
                super::$check(store.clone()).await;
                crate::stores::drop_postgres(store).await;
            }
        }
    )*};
}
pub(crate) use on_every_store;
