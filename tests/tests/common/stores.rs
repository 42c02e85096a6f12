//! One store of each kind per test: in memory, a SQLite file, a PostgreSQL schema.

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

pub(crate) use cqrs_postgres::testing::{drop_schema as drop_postgres, fresh_store as postgres};

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

            #[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
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
