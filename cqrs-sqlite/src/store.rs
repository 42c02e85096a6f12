//! Opening the store, and the event store traits over SQLite.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cqrs_core::{
    AppendResult, CheckpointStore, EventStore, ExpectedVersion, LogFollower, NewEvent, ReadAll,
    RecordedEvent, Snapshot, SnapshotStore, StoreError, StoredId, StoredView, ViewStore,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};
use tokio::sync::{Mutex, oneshot, watch};
use uuid::Uuid;

use cqrs_core::inline::{DocumentStore, InlineRegistry, InlineViews, StoredDocument};

use crate::error::{backend, is_duplicate_event_id};
use crate::{migrate, row};

/// Rows per `INSERT` statement: 9 parameters each, below SQLite's parameter limit.
const ROWS_PER_INSERT: usize = 500;

/// The embedded event store: one SQLite file (or `:memory:`), nothing else to run.
///
/// The file is opened in WAL mode with `synchronous = FULL`, so a committed append
/// survives a crash or power loss; readers never block the writer. Appends from this
/// process are queued in process and each takes SQLite's write lock
/// (`BEGIN IMMEDIATE`), so other processes writing the same file wait their turn
/// (up to the busy timeout) instead of failing.
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
    pool: SqlitePool,
    /// Held by the append committing a group; the others wait here for their result.
    writer: Mutex<()>,
    /// Appends waiting for the next group (see [`SqliteEventStore`]'s `append`).
    pending: std::sync::Mutex<Vec<Pending>>,
    head: watch::Sender<u64>,
    location: String,
    inline: InlineRegistry,
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
        let head = head_position(&pool).await?;
        Ok(SqliteEventStore {
            inner: Arc::new(Inner {
                pool,
                writer: Mutex::new(()),
                pending: std::sync::Mutex::new(Vec::new()),
                head: watch::channel(head).0,
                location,
                inline: InlineRegistry::default(),
            }),
        })
    }

    /// Where the store lives: its file path, or `:memory:`.
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// The connection pool, for read models kept in the same database.
    pub fn pool(&self) -> &SqlitePool {
        &self.inner.pool
    }

    /// A receiver that sees the head position change after every append from this process.
    pub fn watch_head(&self) -> watch::Receiver<u64> {
        self.inner.head.subscribe()
    }

    /// The schema version this code creates.
    pub fn schema_version() -> i64 {
        migrate::supported_version()
    }
}

async fn head_position(pool: &SqlitePool) -> Result<u64, StoreError> {
    let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM cqrs_events")
        .fetch_one(pool)
        .await
        .map_err(|e| backend("read the head position", e))?;
    Ok(head as u64)
}

/// An append waiting for the next group.
struct Pending {
    stream_id: String,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    reply: oneshot::Sender<Result<AppendResult, StoreError>>,
}

impl SqliteEventStore {
    fn take_pending(&self) -> Vec<Pending> {
        std::mem::take(
            &mut *self
                .inner
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Commits every waiting append in one transaction, each inside a savepoint so a
    /// failing one is undone alone, and answers each.
    async fn commit_group(&self, mut group: Vec<Pending>) {
        // An append whose caller gave up while waiting (its future was dropped) is
        // not written.
        group.retain(|pending| !pending.reply.is_closed());
        if group.is_empty() {
            return;
        }
        let mut tx = match self.inner.pool.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => tx,
            Err(error) => {
                let message = error.to_string();
                for pending in group {
                    let failed = StoreError::backend(
                        format!("begin the append to stream `{}`", pending.stream_id),
                        message.clone(),
                    );
                    let _ = pending.reply.send(Err(failed));
                }
                return;
            }
        };
        let recorded_at = Utc::now();
        let mut answers = Vec::with_capacity(group.len());
        for pending in group {
            let result = self.append_in_group(&mut tx, &pending, recorded_at).await;
            answers.push((pending, result));
        }
        if let Err(error) = tx.commit().await {
            let message = error.to_string();
            for (pending, result) in &mut answers {
                if matches!(result, Ok(appended) if !appended.duplicate) {
                    *result = Err(StoreError::backend(
                        format!("commit the append to stream `{}`", pending.stream_id),
                        message.clone(),
                    ));
                }
            }
        }
        let last = answers
            .iter()
            .filter_map(|(_, result)| result.as_ref().ok())
            .filter_map(|appended| appended.positions.last().copied())
            .max();
        if let Some(last) = last {
            self.inner.head.send_if_modified(|head| {
                let moved = last > *head;
                *head = (*head).max(last);
                moved
            });
        }
        for (pending, result) in answers {
            let _ = pending.reply.send(result);
        }
    }

    /// One append of a group, inside its own savepoint.
    async fn append_in_group(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        pending: &Pending,
        recorded_at: DateTime<Utc>,
    ) -> Result<AppendResult, StoreError> {
        let stream_id = pending.stream_id.as_str();
        let operation = || format!("append to stream `{stream_id}`");
        sqlx::query("SAVEPOINT cqrs_append")
            .execute(&mut **tx)
            .await
            .map_err(|e| backend(operation(), e))?;
        let result = self
            .append_one(
                tx,
                stream_id,
                pending.expected,
                &pending.events,
                recorded_at,
            )
            .await;
        if !matches!(&result, Ok(appended) if !appended.duplicate) {
            sqlx::query("ROLLBACK TO cqrs_append")
                .execute(&mut **tx)
                .await
                .map_err(|e| backend(operation(), e))?;
        }
        sqlx::query("RELEASE cqrs_append")
            .execute(&mut **tx)
            .await
            .map_err(|e| backend(operation(), e))?;
        result
    }

    /// The append itself, inside the group's transaction: check the version, insert,
    /// move the stream, update the inline views.
    async fn append_one(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        stream_id: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
        recorded_at: DateTime<Utc>,
    ) -> Result<AppendResult, StoreError> {
        let operation = || format!("append to stream `{stream_id}`");
        let actual = stream_version(tx, stream_id).await?;
        if !expected.is_satisfied_by(actual) {
            if let Some(earlier) = earlier_append_in(tx, stream_id, events).await? {
                return Ok(earlier);
            }
            return Err(StoreError::WrongExpectedVersion {
                stream_id: stream_id.to_owned(),
                expected,
                actual,
            });
        }
        let count = events.len() as u64;
        let positions = match insert_events(tx, stream_id, actual, events, recorded_at).await {
            Ok(positions) => positions,
            Err(error) if is_duplicate_event_id(&error) => {
                return match earlier_append_in(tx, stream_id, events).await? {
                    Some(earlier) => Ok(earlier),
                    None => Err(backend(operation(), error)),
                };
            }
            Err(error) => return Err(backend(operation(), error)),
        };
        let upsert = sqlx::query(
            "INSERT INTO cqrs_streams (stream_id, version) VALUES (?1, ?2)
             ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version",
        )
        .bind(stream_id)
        .bind((actual + count) as i64);
        upsert
            .execute(&mut **tx)
            .await
            .map_err(|e| backend(operation(), e))?;
        self.update_documents(tx, stream_id, actual, &positions, recorded_at, events)
            .await?;
        Ok(AppendResult {
            stream_version: actual + count,
            positions,
            recorded_at,
            duplicate: false,
        })
    }
}

impl EventStore for SqliteEventStore {
    /// Appends that arrive while another is committing wait and then commit together,
    /// in one transaction and one disk flush (group commit); each keeps its own
    /// version check and fails alone.
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        if events.is_empty() {
            return Err(StoreError::EmptyAppend {
                stream_id: stream_id.to_owned(),
            });
        }
        let (reply, mut outcome) = oneshot::channel();
        self.inner
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Pending {
                stream_id: stream_id.to_owned(),
                expected,
                events,
                reply,
            });
        let _writer = self.inner.writer.lock().await;
        // The group committed while we waited may have held this append.
        if let Ok(result) = outcome.try_recv() {
            return result;
        }
        let group = self.take_pending();
        // Boxed: erases the transaction's lifetimes from this future's type, which
        // rustc cannot otherwise prove `Send` ("Executor is not general enough").
        self.commit_group(group).await;
        outcome.try_recv().unwrap_or_else(|_| {
            Err(StoreError::backend(
                format!("append to stream `{stream_id}`"),
                std::io::Error::other("the append was lost from its group"),
            ))
        })
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "SELECT {} FROM cqrs_events WHERE stream_id = ?1 AND stream_version >= ?2
             ORDER BY stream_version LIMIT ?3",
            row::COLUMNS
        );
        let rows = sqlx::query(&sql)
            .bind(stream_id)
            .bind(from_version as i64)
            .bind(limit(max_count))
            .fetch_all(&self.inner.pool)
            .await
            .map_err(|e| backend(format!("read stream `{stream_id}`"), e))?;
        rows.iter().map(row::decode).collect()
    }

    async fn read_all(&self, query: ReadAll) -> Result<Vec<RecordedEvent>, StoreError> {
        match &query.event_names {
            None => {
                let sql = format!(
                    "SELECT {} FROM cqrs_events WHERE position >= ?1 ORDER BY position LIMIT ?2",
                    row::COLUMNS
                );
                let rows = sqlx::query(&sql)
                    .bind(query.from_position as i64)
                    .bind(limit(query.max_count))
                    .fetch_all(&self.inner.pool)
                    .await
                    .map_err(|e| {
                        backend(format!("read all from position {}", query.from_position), e)
                    })?;
                rows.iter().map(row::decode).collect()
            }
            Some(names) => self.read_all_named(&query, names).await,
        }
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        let mut conn = self
            .inner
            .pool
            .acquire()
            .await
            .map_err(|e| backend(format!("read the version of stream `{stream_id}`"), e))?;
        stream_version(&mut conn, stream_id).await
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        head_position(&self.inner.pool).await
    }

    async fn locate_events(&self, event_ids: &[Uuid]) -> Result<Vec<Option<StoredId>>, StoreError> {
        let mut conn = self
            .inner
            .pool
            .acquire()
            .await
            .map_err(|e| backend("look up event ids", e))?;
        locate_in(&mut conn, event_ids).await
    }
}

/// Where each event id is stored, on one connection (inside a transaction, it sees
/// the transaction's own appends).
async fn locate_in(
    conn: &mut sqlx::SqliteConnection,
    event_ids: &[Uuid],
) -> Result<Vec<Option<StoredId>>, StoreError> {
    let mut stored = Vec::with_capacity(event_ids.len());
    for event_id in event_ids {
        let found: Option<(String, i64, i64, DateTime<Utc>)> = sqlx::query_as(
            "SELECT stream_id, stream_version, position, recorded_at FROM cqrs_events WHERE event_id = ?1",
        )
        .bind(event_id.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| backend(format!("look up event id {event_id}"), e))?;
        stored.push(
            found.map(|(stream_id, version, position, recorded_at)| StoredId {
                stream_id,
                stream_version: version as u64,
                position: position as u64,
                recorded_at,
            }),
        );
    }
    Ok(stored)
}

/// The original result when `events` repeats an earlier append exactly.
async fn earlier_append_in(
    conn: &mut sqlx::SqliteConnection,
    stream_id: &str,
    events: &[NewEvent],
) -> Result<Option<AppendResult>, StoreError> {
    let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
    let stored = locate_in(conn, &ids).await?;
    cqrs_core::earlier_append(stream_id, events, &stored)
}

impl SqliteEventStore {
    /// One index range per name, merged: each range is read in position order from
    /// the `(event_name, position)` index, so a sparse name costs what it returns.
    async fn read_all_named(
        &self,
        query: &ReadAll,
        names: &[String],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "SELECT {} FROM cqrs_events WHERE event_name = ?1 AND position >= ?2
             ORDER BY position LIMIT ?3",
            row::COLUMNS
        );
        let mut merged = Vec::new();
        for name in names {
            let rows = sqlx::query(&sql)
                .bind(name)
                .bind(query.from_position as i64)
                .bind(limit(query.max_count))
                .fetch_all(&self.inner.pool)
                .await
                .map_err(|e| {
                    backend(
                        format!("read `{name}` events from position {}", query.from_position),
                        e,
                    )
                })?;
            for row in &rows {
                merged.push(row::decode(row)?);
            }
        }
        merged.sort_unstable_by_key(|e| e.header.position);
        merged.dedup_by_key(|e| e.header.position);
        merged.truncate(query.max_count);
        Ok(merged)
    }
}

impl SqliteEventStore {
    /// Updates the inline views' documents inside the append's transaction.
    async fn update_documents(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        stream_id: &str,
        version: u64,
        positions: &[u64],
        recorded_at: DateTime<Utc>,
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        let views = self.inner.inline.views_for(events);
        if views.is_empty() {
            return Ok(());
        }
        let recorded =
            cqrs_core::inline::recorded(stream_id, version + 1, positions, recorded_at, events);
        for view in views {
            let operation = || {
                format!(
                    "update inline view `{}` for stream `{stream_id}`",
                    view.name()
                )
            };
            let current: Option<String> =
                sqlx::query_scalar("SELECT state FROM cqrs_documents WHERE view = ?1 AND key = ?2")
                    .bind(view.name())
                    .bind(stream_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(|e| backend(operation(), e))?;
            let current = current
                .map(|c| serde_json::from_str(&c))
                .transpose()
                .map_err(|e| StoreError::backend(operation(), e))?;
            let state = view
                .apply(current, &recorded)
                .map_err(|source| cqrs_core::inline::refused(&*view, stream_id, source))?;
            sqlx::query(
                "INSERT INTO cqrs_documents (view, key, version, position, state) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (view, key) DO UPDATE
                 SET version = excluded.version, position = excluded.position, state = excluded.state",
            )
            .bind(view.name())
            .bind(stream_id)
            .bind((version + events.len() as u64) as i64)
            .bind(positions.last().copied().unwrap_or(0) as i64)
            .bind(state.to_string())
            .execute(&mut **tx)
            .await
            .map_err(|e| backend(operation(), e))?;
        }
        Ok(())
    }
}

async fn stream_version(
    conn: &mut sqlx::SqliteConnection,
    stream_id: &str,
) -> Result<u64, StoreError> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT version FROM cqrs_streams WHERE stream_id = ?1")
            .bind(stream_id)
            .fetch_optional(conn)
            .await
            .map_err(|e| backend(format!("read the version of stream `{stream_id}`"), e))?;
    Ok(version.unwrap_or(0) as u64)
}

async fn insert_events(
    tx: &mut Transaction<'_, Sqlite>,
    stream_id: &str,
    version: u64,
    events: &[NewEvent],
    recorded_at: DateTime<Utc>,
) -> Result<Vec<u64>, sqlx::Error> {
    let mut positions = Vec::with_capacity(events.len());
    for (chunk_index, chunk) in events.chunks(ROWS_PER_INSERT).enumerate() {
        let first_version = version + 1 + (chunk_index * ROWS_PER_INSERT) as u64;
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO cqrs_events (stream_id, stream_version, event_id, event_name, event_version, \
             payload, metadata, recorded_at) ",
        );
        let mut encoded = Vec::with_capacity(chunk.len());
        for event in chunk {
            let metadata = serde_json::to_string(&event.metadata)
                .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            encoded.push((event.payload.to_string(), metadata));
        }
        insert.push_values(
            chunk.iter().zip(encoded).enumerate(),
            |mut row, (i, (event, (payload, metadata)))| {
                row.push_bind(stream_id)
                    .push_bind((first_version + i as u64) as i64)
                    .push_bind(event.event_id.to_string())
                    .push_bind(event.event_name.as_str())
                    .push_bind(i64::from(event.event_version))
                    .push_bind(payload)
                    .push_bind(metadata)
                    .push_bind(recorded_at);
            },
        );
        insert.push(" RETURNING position");
        let rows: Vec<(i64,)> = insert.build_query_as().fetch_all(&mut **tx).await?;
        positions.extend(rows.into_iter().map(|(p,)| p as u64));
    }
    positions.sort_unstable();
    Ok(positions)
}

fn limit(max_count: usize) -> i64 {
    i64::try_from(max_count).unwrap_or(i64::MAX)
}

impl SnapshotStore for SqliteEventStore {
    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cqrs_snapshots (stream_id, version, state, saved_at, state_version)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (stream_id) DO UPDATE
             SET version = excluded.version, state = excluded.state, saved_at = excluded.saved_at,
                 state_version = excluded.state_version",
        )
        .bind(&snapshot.stream_id)
        .bind(snapshot.version as i64)
        .bind(snapshot.state.to_string())
        .bind(Utc::now())
        .bind(i64::from(snapshot.state_version))
        .execute(&self.inner.pool)
        .await
        .map_err(|e| {
            backend(
                format!("save the snapshot of stream `{}`", snapshot.stream_id),
                e,
            )
        })?;
        Ok(())
    }

    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        let row: Option<(i64, String, i64)> = sqlx::query_as(
            "SELECT version, state, state_version FROM cqrs_snapshots WHERE stream_id = ?1",
        )
        .bind(stream_id)
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(|e| backend(format!("load the snapshot of stream `{stream_id}`"), e))?;
        row.map(|(version, state, state_version)| {
            let state = serde_json::from_str(&state).map_err(|e| StoreError::Corrupt {
                position: 0,
                reason: format!("snapshot of stream `{stream_id}`: {e}"),
            })?;
            Ok(Snapshot {
                stream_id: stream_id.to_owned(),
                version: version as u64,
                state_version: u32::try_from(state_version).unwrap_or(0),
                state,
            })
        })
        .transpose()
    }
}

impl CheckpointStore for SqliteEventStore {
    async fn load_checkpoint(&self, name: &str) -> Result<u64, StoreError> {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM cqrs_checkpoints WHERE name = ?1")
                .bind(name)
                .fetch_optional(&self.inner.pool)
                .await
                .map_err(|e| backend(format!("load the checkpoint of `{name}`"), e))?;
        Ok(position.unwrap_or(0) as u64)
    }

    async fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cqrs_checkpoints (name, position, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(position as i64)
        .bind(Utc::now())
        .execute(&self.inner.pool)
        .await
        .map_err(|e| backend(format!("save the checkpoint of `{name}`"), e))?;
        Ok(())
    }
}

impl ViewStore for SqliteEventStore {
    async fn load_view(&self, name: &str) -> Result<Option<StoredView>, StoreError> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT position, state FROM cqrs_views WHERE name = ?1")
                .bind(name)
                .fetch_optional(&self.inner.pool)
                .await
                .map_err(|e| backend(format!("load view `{name}`"), e))?;
        row.map(|(position, state)| {
            let state = serde_json::from_str(&state).map_err(|e| StoreError::Corrupt {
                position: position as u64,
                reason: format!("view `{name}`: {e}"),
            })?;
            Ok(StoredView {
                position: position as u64,
                state,
            })
        })
        .transpose()
    }

    async fn save_view(&self, name: &str, view: StoredView) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cqrs_views (name, position, state, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE
             SET position = excluded.position, state = excluded.state, updated_at = excluded.updated_at
             WHERE excluded.position >= cqrs_views.position",
        )
        .bind(name)
        .bind(view.position as i64)
        .bind(view.state.to_string())
        .bind(Utc::now())
        .execute(&self.inner.pool)
        .await
        .map_err(|e| backend(format!("save view `{name}` at position {}", view.position), e))?;
        Ok(())
    }

    async fn delete_view(&self, name: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM cqrs_views WHERE name = ?1")
            .bind(name)
            .execute(&self.inner.pool)
            .await
            .map_err(|e| backend(format!("delete view `{name}`"), e))?;
        Ok(())
    }
}

/// Appends from this process wake followers at once; appends from other processes
/// writing the same file are found when `timeout` runs out (the polling fallback).
impl LogFollower for SqliteEventStore {
    async fn wait_past(&self, position: u64, timeout: Duration) {
        cqrs_core::wait_past_head(self.watch_head(), position, timeout).await;
    }
}

impl InlineViews for SqliteEventStore {
    fn register_inline(&self, view: impl cqrs_core::inline::InlineView) {
        self.inner.inline.register(view);
    }
}

impl DocumentStore for SqliteEventStore {
    async fn load_document(
        &self,
        view: &str,
        key: &str,
    ) -> Result<Option<StoredDocument>, StoreError> {
        let row: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT version, position, state FROM cqrs_documents WHERE view = ?1 AND key = ?2",
        )
        .bind(view)
        .bind(key)
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(|e| backend(format!("load the `{view}` document of `{key}`"), e))?;
        row.map(|(version, position, state)| {
            let state = serde_json::from_str(&state).map_err(|e| StoreError::Corrupt {
                position: position as u64,
                reason: format!("the `{view}` document of `{key}`: {e}"),
            })?;
            Ok(StoredDocument {
                version: version as u64,
                position: position as u64,
                state,
            })
        })
        .transpose()
    }

    async fn replace_documents(
        &self,
        view: &str,
        documents: Vec<(String, StoredDocument)>,
    ) -> Result<(), StoreError> {
        let operation = || format!("replace the documents of view `{view}`");
        let _writer = self.inner.writer.lock().await;
        let mut tx = self
            .inner
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| backend(operation(), e))?;
        sqlx::query("DELETE FROM cqrs_documents WHERE view = ?1")
            .bind(view)
            .execute(&mut *tx)
            .await
            .map_err(|e| backend(operation(), e))?;
        for (key, document) in documents {
            sqlx::query("INSERT INTO cqrs_documents (view, key, version, position, state) VALUES (?1, ?2, ?3, ?4, ?5)")
                .bind(view)
                .bind(&key)
                .bind(document.version as i64)
                .bind(document.position as i64)
                .bind(document.state.to_string())
                .execute(&mut *tx)
                .await
                .map_err(|e| backend(operation(), e))?;
        }
        tx.commit().await.map_err(|e| backend(operation(), e))
    }
}
