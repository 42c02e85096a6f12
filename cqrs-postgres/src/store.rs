//! Connecting, and the event store traits over PostgreSQL.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cqrs_core::{
    AppendResult, CheckpointStore, EventStore, ExpectedVersion, LogFollower, NewEvent, ReadAll,
    RecordedEvent, Snapshot, SnapshotStore, StoreError, StoredId, StoredView, ViewStore,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool};
use tokio::sync::watch;
use uuid::Uuid;

use cqrs_core::inline::{DocumentStore, InlineRegistry, InlineView, InlineViews, StoredDocument};

use crate::boxed;
use crate::columns::{self, EventColumns};
use crate::error::{append_failed, backend, is_duplicate_event_id};
use crate::group_commit::{Committer, Outcome, Request};
use crate::{follow, migrate, row, url};

/// The event store for servers and for several application nodes sharing one database.
///
/// ```no_run
/// # async fn demo() -> Result<(), cqrs_core::StoreError> {
/// let store = cqrs_postgres::PostgresEventStore::connect("postgres://postgres@127.0.0.1/app").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresEventStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    schema: String,
    channel: String,
    url: String,
    /// The newest head position heard of through `LISTEN`.
    head: watch::Sender<u64>,
    listening: AtomicBool,
    inline: InlineRegistry,
    /// Groups concurrent appends into one statement (see `group_commit`); started
    /// on the first append, restarted if its runtime went away.
    committer: std::sync::Mutex<Option<Committer>>,
}

impl std::fmt::Debug for PostgresEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresEventStore")
            .field("url", &self.inner.url)
            .field("schema", &self.inner.schema)
            .finish()
    }
}

/// Options for [`PostgresEventStore`]: the schema its tables live in and the pool size.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    url: String,
    schema: String,
    max_connections: u32,
    connect_timeout: Duration,
}

impl PostgresOptions {
    /// Options for this connection URL: schema `public`, 10 connections.
    pub fn new(url: impl Into<String>) -> Self {
        PostgresOptions {
            url: url.into(),
            schema: "public".into(),
            max_connections: 10,
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// Keeps the store's tables in this schema (created if missing).
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// The most connections the pool opens.
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max;
        self
    }

    /// How long to wait for a connection before failing.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Connects, creates the schema if needed and applies missing migrations.
    pub async fn connect(self) -> Result<PostgresEventStore, StoreError> {
        let redacted = url::redact(&self.url);
        let connection_error = |source: sqlx::Error| StoreError::Connection {
            url: redacted.clone(),
            source: Box::new(source),
        };
        let options = PgConnectOptions::from_str(&self.url).map_err(connection_error)?;
        let schema = quote_identifier(&self.schema);
        let set_path = format!("SET search_path TO {schema}");
        let pool = PgPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(self.connect_timeout)
            .after_connect(move |conn, _| {
                let set_path = set_path.clone();
                Box::pin(async move {
                    conn.execute(set_path.as_str()).await?;
                    Ok(())
                })
            })
            .connect_lazy_with(options);
        // Connect once now, so a wrong URL fails here with the address named.
        let mut conn = pool.acquire().await.map_err(connection_error)?;
        sqlx::raw_sql(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .execute(&mut *conn)
            .await
            .map_err(|e| backend(format!("create schema {schema}"), e))?;
        let channel: String = sqlx::query_scalar("SELECT 'cqrs_' || left(md5($1), 24)")
            .bind(&self.schema)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| backend("name the notification channel", e))?;
        drop(conn);
        migrate::migrate(&pool).await?;
        Ok(PostgresEventStore {
            inner: Arc::new(Inner {
                pool,
                schema: self.schema,
                channel,
                url: redacted,
                head: watch::channel(0).0,
                listening: AtomicBool::new(false),
                inline: InlineRegistry::default(),
                committer: std::sync::Mutex::new(None),
            }),
        })
    }
}

impl PostgresEventStore {
    /// Connects with default [`PostgresOptions`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        PostgresOptions::new(url).connect().await
    }

    /// The connection pool (its connections use the store's schema), for read models
    /// kept in the same database.
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// The schema the store's tables live in.
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }

    /// The `LISTEN` channel notified with the new head position after each append.
    pub fn notification_channel(&self) -> &str {
        &self.inner.channel
    }

    /// The schema version this code creates.
    pub fn schema_version() -> i64 {
        migrate::supported_version()
    }

    /// The original result when `events` repeats an earlier append exactly.
    async fn earlier_append(
        &self,
        stream_id: &str,
        events: &[NewEvent],
    ) -> Result<Option<AppendResult>, StoreError> {
        let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
        let stored = self.locate_events(&ids).await?;
        cqrs_core::earlier_append(stream_id, events, &stored)
    }
}

/// Double-quotes an identifier for SQL.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The part of the append statement that checks and moves the stream's version; it
/// returns the new version, or no row when the expectation does not hold.
fn stream_update(expected: ExpectedVersion) -> &'static str {
    match expected {
        ExpectedVersion::Any => {
            "INSERT INTO cqrs_streams (stream_id, version) VALUES ($1, $7)
             ON CONFLICT (stream_id) DO UPDATE SET version = cqrs_streams.version + EXCLUDED.version
             RETURNING version"
        }
        ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => {
            "INSERT INTO cqrs_streams (stream_id, version) VALUES ($1, $7)
             ON CONFLICT (stream_id) DO NOTHING
             RETURNING version"
        }
        ExpectedVersion::StreamExists => {
            "UPDATE cqrs_streams SET version = version + $7 WHERE stream_id = $1 RETURNING version"
        }
        ExpectedVersion::Exact(_) => {
            "UPDATE cqrs_streams SET version = version + $7 WHERE stream_id = $1 AND version = $8
             RETURNING version"
        }
    }
}

impl PostgresEventStore {
    /// Queues the append for the committer, which writes it with the other appends
    /// waiting at the same moment. `Err(events)` when it must be appended alone.
    async fn append_grouped(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Result<AppendResult, Arc<Vec<NewEvent>>>, StoreError> {
        let metadata = columns::encode_metadata(stream_id, &events)?;
        let events = Arc::new(events);
        let (reply, outcome) = tokio::sync::oneshot::channel();
        let request = Request {
            stream_id: stream_id.to_owned(),
            expected,
            events: events.clone(),
            metadata,
            reply,
        };
        if !self.queue(request) {
            return Ok(Err(events));
        }
        // A committer that went away mid-group may or may not have committed: the
        // single append that follows is idempotent by event id, so either way is safe.
        let Ok(outcome) = outcome.await else {
            return Ok(Err(events));
        };
        match outcome {
            Outcome::Placed(rows) => Ok(Ok(columns::appended(rows))),
            Outcome::NotPlaced => match self.not_placed(stream_id, &events).await? {
                Ok(earlier) => Ok(Ok(earlier)),
                // Moved between the group's check and ours: let a single append decide.
                Err(actual) if expected.is_satisfied_by(actual) => Ok(Err(events)),
                Err(actual) => Err(StoreError::WrongExpectedVersion {
                    stream_id: stream_id.to_owned(),
                    expected,
                    actual,
                }),
            },
            Outcome::AppendAlone => Ok(Err(events)),
        }
    }

    /// Why an append's expectation failed: `Ok` with the original result when the
    /// append repeats an earlier one, or `Err` with the stream's version now.
    async fn not_placed(
        &self,
        stream_id: &str,
        events: &[NewEvent],
    ) -> Result<Result<AppendResult, u64>, StoreError> {
        if let Some(earlier) = self.earlier_append(stream_id, events).await? {
            return Ok(Ok(earlier));
        }
        Ok(Err(self.stream_version(stream_id).await?))
    }

    /// Hands a request to the committer, starting one if needed; `false` when none
    /// can run (no Tokio runtime here).
    fn queue(&self, request: Request) -> bool {
        let mut committer = self
            .inner
            .committer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let request = match committer.as_ref() {
            Some(running) => match running.send(request) {
                Ok(()) => return true,
                Err(request) => *request,
            },
            None => request,
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return false;
        }
        let started = Committer::start(self.inner.pool.clone());
        let sent = started.send(request).is_ok();
        *committer = Some(started);
        sent
    }

    /// One statement, so one round trip: check and move the stream's version, take
    /// positions from the log head (whose row lock orders appends), insert the events.
    async fn append_alone(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<AppendResult, StoreError> {
        let count = events.len() as i64;
        let metadata = columns::encode_metadata(stream_id, events)?;
        let mut columns = EventColumns::default();
        columns.push(events, &metadata);
        let sql = format!(
            "WITH stream AS ({}),
             head AS (
                 UPDATE cqrs_log_head SET position = cqrs_log_head.position + $7 FROM stream
                 RETURNING cqrs_log_head.position AS last
             )
             INSERT INTO cqrs_events
                 (position, stream_id, stream_version, event_id, event_name, event_version, payload, metadata)
             SELECT head.last - $7 + e.ord, $1, stream.version - $7 + e.ord, e.id, e.name, e.ver, e.payload, e.meta
             FROM stream, head,
                  unnest($2::uuid[], $3::text[], $4::int4[], $5::jsonb[], $6::jsonb[])
                      WITH ORDINALITY AS e(id, name, ver, payload, meta, ord)
             RETURNING position, stream_version, recorded_at",
            stream_update(expected)
        );
        let exact = match expected {
            ExpectedVersion::Exact(version) => version as i64,
            _ => 0,
        };
        let query = sqlx::query_as::<_, (i64, i64, DateTime<Utc>)>(&sql)
            .bind(stream_id)
            .bind(&columns.ids)
            .bind(&columns.names)
            .bind(&columns.versions)
            .bind(&columns.payloads)
            .bind(&columns.metadata)
            .bind(count)
            .bind(exact);
        let views = self.inner.inline.views_for(events);
        let inserted = if views.is_empty() {
            query.fetch_all(&self.inner.pool).await
        } else {
            // With inline views the append and their documents share one transaction.
            let mut tx = boxed(self.inner.pool.begin())
                .await
                .map_err(|e| append_failed(stream_id, e))?;
            let rows = boxed(query.fetch_all(&mut *tx)).await;
            if let Ok(rows) = &rows
                && let Some(first) = rows.first()
            {
                let version = rows.iter().map(|r| r.1).min().unwrap_or(first.1) as u64 - 1;
                let mut positions: Vec<u64> = rows.iter().map(|r| r.0 as u64).collect();
                positions.sort_unstable();
                update_documents(
                    &mut tx, &views, stream_id, version, &positions, first.2, events,
                )
                .await?;
                boxed(tx.commit())
                    .await
                    .map_err(|e| append_failed(stream_id, e))?;
            }
            rows
        };
        match inserted {
            Ok(rows) if !rows.is_empty() => Ok(columns::appended(rows)),
            Ok(_) => match self.not_placed(stream_id, events).await? {
                Ok(earlier) => Ok(earlier),
                Err(actual) => Err(StoreError::WrongExpectedVersion {
                    stream_id: stream_id.to_owned(),
                    expected,
                    actual,
                }),
            },
            Err(error) if is_duplicate_event_id(&error) => {
                match self.earlier_append(stream_id, events).await? {
                    Some(earlier) => Ok(earlier),
                    None => Err(append_failed(stream_id, error)),
                }
            }
            Err(error) => Err(append_failed(stream_id, error)),
        }
    }
}

impl EventStore for PostgresEventStore {
    /// Appends with the appends waiting at the same moment, in one statement and one
    /// transaction (see the crate docs); with inline views, or when the group's
    /// statement fails, in a statement of its own.
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
        if !self.inner.inline.views_for(&events).is_empty() {
            return self.append_alone(stream_id, expected, &events).await;
        }
        match self.append_grouped(stream_id, expected, events).await? {
            Ok(result) => Ok(result),
            Err(events) => self.append_alone(stream_id, expected, &events).await,
        }
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "SELECT {} FROM cqrs_events WHERE stream_id = $1 AND stream_version >= $2
             ORDER BY stream_version LIMIT $3",
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
        let operation = || format!("read all from position {}", query.from_position);
        let rows = match &query.event_names {
            None => {
                let sql = format!(
                    "SELECT {} FROM cqrs_events WHERE position >= $1 ORDER BY position LIMIT $2",
                    row::COLUMNS
                );
                sqlx::query(&sql)
                    .bind(query.from_position as i64)
                    .bind(limit(query.max_count))
                    .fetch_all(&self.inner.pool)
                    .await
            }
            Some(names) => {
                // One index-ordered range per name, each stopped at the page size, then
                // merged (migration 0005 says why a function): `event_name = ANY(...)`
                // would make PostgreSQL collect and sort every matching event after
                // the checkpoint for every page.
                let sql = format!(
                    "SELECT {} FROM cqrs_read_named($3::text[], $1, $2)",
                    row::COLUMNS
                );
                sqlx::query(&sql)
                    .bind(query.from_position as i64)
                    .bind(limit(query.max_count))
                    .bind(names)
                    .fetch_all(&self.inner.pool)
                    .await
            }
        }
        .map_err(|e| backend(operation(), e))?;
        rows.iter().map(row::decode).collect()
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT version FROM cqrs_streams WHERE stream_id = $1")
                .bind(stream_id)
                .fetch_optional(&self.inner.pool)
                .await
                .map_err(|e| backend(format!("read the version of stream `{stream_id}`"), e))?;
        Ok(version.unwrap_or(0) as u64)
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        let head: i64 = sqlx::query_scalar("SELECT position FROM cqrs_log_head")
            .fetch_one(&self.inner.pool)
            .await
            .map_err(|e| backend("read the head position", e))?;
        Ok(head as u64)
    }

    async fn locate_events(&self, event_ids: &[Uuid]) -> Result<Vec<Option<StoredId>>, StoreError> {
        let stored: Vec<(Uuid, String, i64, i64, DateTime<Utc>)> = sqlx::query_as(
            "SELECT event_id, stream_id, stream_version, position, recorded_at
             FROM cqrs_events WHERE event_id = ANY($1)",
        )
        .bind(event_ids)
        .fetch_all(&self.inner.pool)
        .await
        .map_err(|e| backend(format!("look up {} event ids", event_ids.len()), e))?;
        Ok(event_ids
            .iter()
            .map(|id| {
                stored.iter().find(|s| s.0 == *id).map(|s| StoredId {
                    stream_id: s.1.clone(),
                    stream_version: s.2 as u64,
                    position: s.3 as u64,
                    recorded_at: s.4,
                })
            })
            .collect())
    }
}

fn limit(max_count: usize) -> i64 {
    i64::try_from(max_count).unwrap_or(i64::MAX)
}

impl SnapshotStore for PostgresEventStore {
    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cqrs_snapshots (stream_id, version, state, state_version)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (stream_id) DO UPDATE
             SET version = EXCLUDED.version, state = EXCLUDED.state, saved_at = now(),
                 state_version = EXCLUDED.state_version",
        )
        .bind(&snapshot.stream_id)
        .bind(snapshot.version as i64)
        .bind(&snapshot.state)
        .bind(i32::try_from(snapshot.state_version).unwrap_or(i32::MAX))
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
        let row: Option<(i64, serde_json::Value, i32)> = sqlx::query_as(
            "SELECT version, state, state_version FROM cqrs_snapshots WHERE stream_id = $1",
        )
        .bind(stream_id)
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(|e| backend(format!("load the snapshot of stream `{stream_id}`"), e))?;
        Ok(row.map(|(version, state, state_version)| Snapshot {
            stream_id: stream_id.to_owned(),
            version: version as u64,
            state_version: u32::try_from(state_version).unwrap_or(0),
            state,
        }))
    }
}

impl CheckpointStore for PostgresEventStore {
    async fn load_checkpoint(&self, name: &str) -> Result<u64, StoreError> {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM cqrs_checkpoints WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.inner.pool)
                .await
                .map_err(|e| backend(format!("load the checkpoint of `{name}`"), e))?;
        Ok(position.unwrap_or(0) as u64)
    }

    async fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cqrs_checkpoints (name, position) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()",
        )
        .bind(name)
        .bind(position as i64)
        .execute(&self.inner.pool)
        .await
        .map_err(|e| backend(format!("save the checkpoint of `{name}`"), e))?;
        Ok(())
    }
}

impl ViewStore for PostgresEventStore {
    async fn load_view(&self, name: &str) -> Result<Option<StoredView>, StoreError> {
        let row: Option<(i64, serde_json::Value)> =
            sqlx::query_as("SELECT position, state FROM cqrs_views WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.inner.pool)
                .await
                .map_err(|e| backend(format!("load view `{name}`"), e))?;
        Ok(row.map(|(position, state)| StoredView {
            position: position as u64,
            state,
        }))
    }

    async fn save_view(&self, name: &str, view: StoredView) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cqrs_views (name, position, state) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE
             SET position = EXCLUDED.position, state = EXCLUDED.state, updated_at = now()
             WHERE EXCLUDED.position >= cqrs_views.position",
        )
        .bind(name)
        .bind(view.position as i64)
        .bind(&view.state)
        .execute(&self.inner.pool)
        .await
        .map_err(|e| {
            backend(
                format!("save view `{name}` at position {}", view.position),
                e,
            )
        })?;
        Ok(())
    }

    async fn delete_view(&self, name: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM cqrs_views WHERE name = $1")
            .bind(name)
            .execute(&self.inner.pool)
            .await
            .map_err(|e| backend(format!("delete view `{name}`"), e))?;
        Ok(())
    }
}

/// Woken by `LISTEN/NOTIFY` when any node's append commits; `timeout` is the polling
/// fallback for a missed notification.
impl LogFollower for PostgresEventStore {
    async fn wait_past(&self, position: u64, timeout: Duration) {
        if !self.inner.listening.swap(true, Ordering::SeqCst) {
            tokio::spawn(follow::listen(
                self.inner.pool.clone(),
                self.inner.channel.clone(),
                self.inner.head.clone(),
                Arc::downgrade(&self.inner),
            ));
        }
        cqrs_core::wait_past_head(self.inner.head.subscribe(), position, timeout).await;
    }
}

/// Updates the inline views' documents inside the append's transaction.
async fn update_documents(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    views: &[Arc<dyn InlineView>],
    stream_id: &str,
    version: u64,
    positions: &[u64],
    recorded_at: DateTime<Utc>,
    events: &[NewEvent],
) -> Result<(), StoreError> {
    let recorded =
        cqrs_core::inline::recorded(stream_id, version + 1, positions, recorded_at, events);
    for view in views {
        let operation = || {
            format!(
                "update inline view `{}` for stream `{stream_id}`",
                view.name()
            )
        };
        let current: Option<serde_json::Value> = boxed(
            sqlx::query_scalar("SELECT state FROM cqrs_documents WHERE view = $1 AND key = $2")
                .bind(view.name())
                .bind(stream_id)
                .fetch_optional(&mut **tx),
        )
        .await
        .map_err(|e| backend(operation(), e))?;
        let state = view
            .apply(current, &recorded)
            .map_err(|source| cqrs_core::inline::refused(&**view, stream_id, source))?;
        boxed(
            sqlx::query(
                "INSERT INTO cqrs_documents (view, key, version, position, state) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (view, key) DO UPDATE
                 SET version = EXCLUDED.version, position = EXCLUDED.position, state = EXCLUDED.state",
            )
            .bind(view.name())
            .bind(stream_id)
            .bind((version + events.len() as u64) as i64)
            .bind(positions.last().copied().unwrap_or(0) as i64)
            .bind(&state)
            .execute(&mut **tx),
        )
        .await
        .map_err(|e| backend(operation(), e))?;
    }
    Ok(())
}

impl InlineViews for PostgresEventStore {
    fn register_inline(&self, view: impl InlineView) {
        self.inner.inline.register(view);
    }
}

impl DocumentStore for PostgresEventStore {
    async fn load_document(
        &self,
        view: &str,
        key: &str,
    ) -> Result<Option<StoredDocument>, StoreError> {
        let row: Option<(i64, i64, serde_json::Value)> = sqlx::query_as(
            "SELECT version, position, state FROM cqrs_documents WHERE view = $1 AND key = $2",
        )
        .bind(view)
        .bind(key)
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(|e| backend(format!("load the `{view}` document of `{key}`"), e))?;
        Ok(row.map(|(version, position, state)| StoredDocument {
            version: version as u64,
            position: position as u64,
            state,
        }))
    }

    async fn replace_documents(
        &self,
        view: &str,
        documents: Vec<(String, StoredDocument)>,
    ) -> Result<(), StoreError> {
        let operation = || format!("replace the documents of view `{view}`");
        let mut keys = Vec::with_capacity(documents.len());
        let mut versions = Vec::with_capacity(documents.len());
        let mut positions = Vec::with_capacity(documents.len());
        let mut states = Vec::with_capacity(documents.len());
        for (key, document) in documents {
            keys.push(key);
            versions.push(document.version as i64);
            positions.push(document.position as i64);
            states.push(document.state);
        }
        let mut tx = boxed(self.inner.pool.begin())
            .await
            .map_err(|e| backend(operation(), e))?;
        boxed(
            sqlx::query("DELETE FROM cqrs_documents WHERE view = $1")
                .bind(view)
                .execute(&mut *tx),
        )
        .await
        .map_err(|e| backend(operation(), e))?;
        boxed(
            sqlx::query(
                "INSERT INTO cqrs_documents (view, key, version, position, state)
                 SELECT $1, k, v, p, s FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::jsonb[]) AS d(k, v, p, s)",
            )
            .bind(view)
            .bind(&keys)
            .bind(&versions)
            .bind(&positions)
            .bind(&states)
            .execute(&mut *tx),
        )
        .await
        .map_err(|e| backend(operation(), e))?;
        boxed(tx.commit())
            .await
            .map_err(|e| backend(operation(), e))
    }
}
