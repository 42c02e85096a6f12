//! Opening the store, and the event store over SQLite.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use cqrs_core::store::kit::{GroupCommit, KitStore, wait_past_head};
use cqrs_core::{LogFollower, StoreError};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::watch;

use crate::append::SqliteWriter;
use crate::error::backend;
use crate::{migrate, read};

/// The embedded event store: one SQLite file (or `:memory:`), nothing else to run.
///
/// The file is opened in WAL mode with `synchronous = FULL`, so a committed append
/// survives a crash or power loss; readers never block the writer. Appends from this
/// process are grouped: every append waiting while a group commits goes into the
/// next one, in one transaction under SQLite's write lock (`BEGIN IMMEDIATE`), so
/// other processes writing the same file wait their turn (up to the busy timeout)
/// instead of failing.
///
/// ```no_run
/// # async fn demo() -> Result<(), cqrs_core::StoreError> {
/// let store = cqrs_sqlite::SqliteEventStore::open("cart.db").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqliteEventStore {
    inner: Arc<Inner>,
}

struct Inner {
    committer: GroupCommit<SqliteWriter>,
    location: String,
}

impl std::fmt::Debug for SqliteEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteEventStore")
            .field("location", &self.inner.location)
            .finish()
    }
}

impl SqliteEventStore {
    /// Opens (creating if needed) the store in a file; `":memory:"` opens a private
    /// in-memory database. Applies any missing schema migrations.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if path == Path::new(":memory:") {
            return Self::open_in_memory().await;
        }
        // SQLite says only "unable to open database file" for a missing directory.
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.is_dir()
        {
            return Err(StoreError::Connection {
                url: path.display().to_string(),
                source: Box::new(std::io::Error::other(format!(
                    "the directory {} does not exist; create it first",
                    parent.display()
                ))),
            });
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Connection {
                url: path.display().to_string(),
                source: Box::new(e),
            })?;
        Self::with_pool(pool, path.display().to_string()).await
    }

    /// A private in-memory store, gone when the last clone is dropped.
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|e| backend("configure an in-memory database", e))?;
        // One connection that never closes: each connection would have its own database.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Connection {
                url: ":memory:".into(),
                source: Box::new(e),
            })?;
        Self::with_pool(pool, ":memory:".into()).await
    }

    async fn with_pool(pool: SqlitePool, location: String) -> Result<Self, StoreError> {
        migrate::migrate(&pool).await?;
        let head = read::head_position(&pool).await?;
        let writer = SqliteWriter {
            pool,
            head: Arc::new(watch::channel(head).0),
        };
        Ok(SqliteEventStore {
            inner: Arc::new(Inner {
                committer: GroupCommit::new(writer),
                location,
            }),
        })
    }

    /// Where the store lives: its file path, or `:memory:`.
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// The connection pool, for read models kept in the same database.
    pub fn pool(&self) -> &SqlitePool {
        &self.inner.committer.backend().pool
    }

    /// A receiver that sees the head position change after every append from this process.
    pub fn watch_head(&self) -> watch::Receiver<u64> {
        self.inner.committer.backend().head.subscribe()
    }

    /// The schema version this code creates.
    pub fn schema_version() -> i64 {
        migrate::supported_version()
    }
}

/// Appends, reads, inline views and documents come from the kit: appends that
/// arrive while another group is committing wait and then commit together, in one
/// transaction and one disk flush (group commit); each keeps its own version check
/// and fails alone.
impl KitStore for SqliteEventStore {
    type Backend = SqliteWriter;

    fn committer(&self) -> &GroupCommit<SqliteWriter> {
        &self.inner.committer
    }
}

/// Appends from this process wake followers at once; appends from other processes
/// writing the same file are found when `timeout` runs out (the polling fallback).
impl LogFollower for SqliteEventStore {
    async fn wait_past(&self, position: u64, timeout: Duration) {
        wait_past_head(self.watch_head(), position, timeout).await;
    }
}
