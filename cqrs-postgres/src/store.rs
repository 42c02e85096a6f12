//! Connecting, and the event store traits over PostgreSQL.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cqrs_core::store::kit::{GroupCommit, KitStore, wait_past_head};
use cqrs_core::{LogFollower, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool};
use tokio::sync::watch;

use crate::append::PgWriter;
use crate::error::backend;
use crate::notify::Notifier;
use crate::{follow, migrate, url};

/// PostgreSQL's longest identifier, in bytes; longer names are cut short by the server.
const MAX_IDENTIFIER_BYTES: usize = 63;

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
    /// Groups concurrent appends (see the crate docs); owns the pool.
    committer: GroupCommit<PgWriter>,
    schema: String,
    channel: String,
    url: String,
    /// The newest head position heard of through `LISTEN`.
    head: watch::Sender<u64>,
    listening: AtomicBool,
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
    application_name: Option<String>,
    /// Read only: a streaming replica of the primary's database.
    replica: bool,
}

impl PostgresOptions {
    /// Options for this connection URL: schema `public`, 10 connections, 2 s to
    /// connect.
    pub fn new(url: impl Into<String>) -> Self {
        PostgresOptions {
            url: url.into(),
            schema: "public".into(),
            max_connections: 10,
            connect_timeout: Duration::from_secs(2),
            application_name: None,
            replica: false,
        }
    }

    /// Connects to a read-only streaming replica of the primary's database: for
    /// reads (streams, the log, views and documents), which may lag the primary by
    /// the replica's replay delay; every write fails. The schema is neither created
    /// nor migrated (the primary does that, and the replica replays it): `connect`
    /// fails when the replica has not yet replayed the schema this code needs.
    /// Compare [`head_position`](cqrs_core::EventStore::head_position) with a
    /// position a write answered to read your own writes.
    pub fn replica(mut self) -> Self {
        self.replica = true;
        self
    }

    /// Names the store's connections (`application_name`), so operators can find
    /// them in `pg_stat_activity`. Default: what the URL says, else none.
    pub fn application_name(mut self, name: impl Into<String>) -> Self {
        self.application_name = Some(name.into());
        self
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

    /// How long opening a connection may take (default 2 s): [`connect`](Self::connect)
    /// fails after it with the cause, so a service whose database cannot be reached
    /// stops at once instead of hanging. Waiting for a free connection of the pool
    /// under load is allowed at least 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Connects, creates the schema if needed and applies missing migrations.
    ///
    /// A schema name longer than PostgreSQL's 63 bytes is refused
    /// ([`StoreError::InvalidSetting`]): the server would cut it short, and the store
    /// would work in a schema of another name.
    pub async fn connect(self) -> Result<PostgresEventStore, StoreError> {
        if self.schema.is_empty() || self.schema.len() > MAX_IDENTIFIER_BYTES {
            return Err(StoreError::InvalidSetting {
                setting: "schema",
                value: self.schema,
                reason: format!(
                    "PostgreSQL names are 1 to {MAX_IDENTIFIER_BYTES} bytes; choose a shorter schema name"
                ),
            });
        }
        let redacted = url::redact(&self.url);
        let connection_error = |source: sqlx::Error| StoreError::Connection {
            url: redacted.clone(),
            source: Box::new(source),
        };
        let scheme = self.url.split("://").next().unwrap_or_default();
        if !matches!(scheme, "postgres" | "postgresql") {
            return Err(StoreError::InvalidSetting {
                setting: "url",
                value: redacted,
                reason: "a PostgreSQL URL starts with `postgres://` or `postgresql://`".into(),
            });
        }
        let mut options = PgConnectOptions::from_str(&self.url).map_err(connection_error)?;
        if let Some(name) = &self.application_name {
            options = options.application_name(name);
        }
        // One direct attempt first: a pool retries until its timeout and then says
        // only "pool timed out"; this names the real cause (refused, unknown host,
        // authentication) at once.
        let timeout = self.connect_timeout;
        let probe = tokio::time::timeout(
            timeout,
            <sqlx::postgres::PgConnection as sqlx::Connection>::connect_with(&options),
        )
        .await
        .map_err(|_| {
            sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "the server did not answer within {} ms",
                    timeout.as_millis()
                ),
            ))
        })
        .and_then(|connected| connected)
        .map_err(connection_error)?;
        let _ = sqlx::Connection::close(probe).await;
        let schema = quote_identifier(&self.schema);
        let set_path = format!("SET search_path TO {schema}");
        let pool = PgPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(self.connect_timeout.max(Duration::from_secs(10)))
            // No ping before each use: it costs a round trip per read and append,
            // and a connection that died is found by the statement itself, which
            // fails as `StoreError::Unavailable` (worth a retry) and is dropped.
            .test_before_acquire(false)
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
        if self.replica {
            let channel = String::new();
            migrate::check_replica(&mut conn, &self.schema).await?;
            drop(conn);
            return Ok(PostgresEventStore {
                inner: Arc::new(Inner {
                    committer: GroupCommit::new(PgWriter {
                        pool,
                        fence: None,
                        notifier: None,
                    }),
                    schema: self.schema,
                    channel,
                    url: redacted,
                    head: watch::channel(0).0,
                    listening: AtomicBool::new(true),
                }),
            });
        }
        let create = format!("CREATE SCHEMA IF NOT EXISTS {schema}");
        (&mut *conn)
            .execute(create.as_str())
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
                committer: GroupCommit::new(PgWriter {
                    pool,
                    fence: Some(Arc::default()),
                    notifier: Some(Arc::new(Notifier::new(&channel))),
                }),
                schema: self.schema,
                channel,
                url: redacted,
                head: watch::channel(0).0,
                listening: AtomicBool::new(false),
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
        &self.inner.committer.backend().pool
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
}

/// Double-quotes an identifier for SQL.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Appends, reads, inline views and documents come from the kit: appends waiting at
/// the same moment go together, without inline views in one statement, otherwise
/// in one transaction (see the crate docs).
impl KitStore for PostgresEventStore {
    type Backend = PgWriter;

    fn committer(&self) -> &GroupCommit<PgWriter> {
        &self.inner.committer
    }
}

/// Woken by `LISTEN/NOTIFY` when any node's append commits; `timeout` is the polling
/// fallback for a missed notification.
impl LogFollower for PostgresEventStore {
    async fn wait_past(&self, position: u64, timeout: Duration) {
        if !self.inner.listening.swap(true, Ordering::SeqCst) {
            tokio::spawn(follow::listen(
                self.pool().clone(),
                self.inner.channel.clone(),
                self.inner.head.clone(),
                Arc::downgrade(&self.inner),
            ));
        }
        wait_past_head(self.inner.head.subscribe(), position, timeout).await;
    }
}
