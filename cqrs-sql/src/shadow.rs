//! Rebuilding a table projection beside the tables that serve, then swapping the
//! new tables in: readers see the old read model until one transaction replaces it.

use std::path::PathBuf;

use cqrs_core::runner::{Progress, ProjectionError, ProjectionRunner};
use cqrs_core::{EventStore, LogFollower, StoreError};
use sqlx::pool::PoolOptions;
use sqlx::{Connection, Database, Decode, Encode, Executor, IntoArguments, Pool, Type};

use crate::target::{
    CHECKPOINTS, SAVE_CHECKPOINT, TableProjection, TableTarget, failed, stored_position,
};

/// Where a rebuild builds the new tables while the old ones serve: a SQLite file
/// of its own, or a PostgreSQL schema of its own in the read database. The
/// projection's `SCHEMA` and handlers run there unchanged (their table names
/// are not qualified); the swap then replaces the live tables, in one transaction
/// with the checkpoint, by ones created from the projection's `SCHEMA` and filled
/// from the shadow's. So a rebuild can also change the tables' columns and
/// indexes.
///
/// ```no_run
/// # async fn example(pool: sqlx::SqlitePool) -> Result<(), sqlx::Error> {
/// use cqrs_sql::ShadowTables;
/// // Beside `read.db`, for its rebuilds:
/// let shadow = ShadowTables::<sqlx::Sqlite>::sqlite_file("read.db.rebuild").await?;
/// # Ok(()) }
/// ```
pub struct ShadowTables<DB: Database> {
    pool: Pool<DB>,
    place: Place,
}

enum Place {
    /// Attached to a live connection as `cqrs_shadow` for the swap.
    SqliteFile(PathBuf),
    /// A schema of the live database.
    PostgresSchema(String),
}

/// The name under which a live SQLite connection sees the shadow file.
const ATTACHED: &str = "cqrs_shadow";

impl Place {
    /// How a live connection names the shadow's tables.
    fn schema(&self) -> &str {
        match self {
            Place::SqliteFile(_) => ATTACHED,
            Place::PostgresSchema(schema) => schema,
        }
    }

    /// The shadow's tables, in the order they were created.
    fn tables(&self) -> String {
        match self {
            Place::SqliteFile(_) => format!(
                "SELECT name FROM {ATTACHED}.sqlite_master
                 WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY rowid"
            ),
            Place::PostgresSchema(schema) => format!(
                "SELECT c.relname::text FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = '{schema}' AND c.relkind = 'r' ORDER BY c.oid"
            ),
        }
    }

    /// The schema a live connection creates unqualified tables in.
    fn live_schema(&self) -> &'static str {
        match self {
            Place::SqliteFile(_) => "SELECT 'main'",
            Place::PostgresSchema(_) => "SELECT current_schema()::text",
        }
    }
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn remove_sqlite_files(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        // Absent files are the usual case.
        let _ = std::fs::remove_file(file);
    }
}

impl<DB> ShadowTables<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    /// A SQLite file of its own (emptied first), e.g. `read.db.rebuild` beside
    /// `read.db`; attached to the live database for the swap, removed after it.
    pub async fn sqlite_file(path: impl Into<PathBuf>) -> Result<Self, sqlx::Error> {
        let path = path.into();
        remove_sqlite_files(&path);
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let pool = PoolOptions::<DB>::new()
            .max_connections(1)
            .connect(&url)
            .await?;
        Ok(ShadowTables {
            pool,
            place: Place::SqliteFile(path),
        })
    }

    /// A PostgreSQL schema of its own in `live`'s database (dropped and created
    /// first, dropped after the swap). `schema` is a plain identifier: ASCII
    /// letters, digits and `_`, at most 63 bytes.
    pub async fn postgres_schema(live: &Pool<DB>, schema: &str) -> Result<Self, StoreError> {
        let plain = schema
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if schema.is_empty() || schema.len() > 63 || !plain {
            return Err(StoreError::InvalidSetting {
                setting: "shadow schema",
                value: schema.to_owned(),
                reason: "use ASCII letters, digits and `_`, at most 63 bytes".into(),
            });
        }
        let creating = |e| StoreError::backend(format!("create the shadow schema `{schema}`"), e);
        for statement in [
            format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
            format!("CREATE SCHEMA {schema}"),
        ] {
            sqlx::query(&statement)
                .execute(live)
                .await
                .map_err(creating)?;
        }
        let set = format!("SET search_path TO {schema}");
        let pool = PoolOptions::<DB>::new()
            .max_connections(2)
            .after_connect(move |conn, _| {
                let set = set.clone();
                Box::pin(async move {
                    sqlx::query(&set).execute(conn).await?;
                    Ok(())
                })
            })
            .connect_with((*live.connect_options()).clone())
            .await
            .map_err(creating)?;
        Ok(ShadowTables {
            pool,
            place: Place::PostgresSchema(schema.to_owned()),
        })
    }

    /// Replaces `live`'s tables of the projection by the shadow's, with the
    /// checkpoint at `position`, in one transaction. The checkpoint is written
    /// first, so a batch of a live worker either commits before the swap or finds
    /// its checkpoint moved and rolls back.
    async fn swap_into(
        &self,
        live: &Pool<DB>,
        name: &str,
        schema: &[&str],
        position: i64,
    ) -> Result<(), ProjectionError> {
        let mut conn = live.acquire().await.map_err(|e| failed("connect", e))?;
        if let Place::SqliteFile(path) = &self.place {
            let attach = format!("ATTACH DATABASE $1 AS {ATTACHED}");
            sqlx::query(&attach)
                .bind(path.to_string_lossy().as_ref())
                .execute(&mut *conn)
                .await
                .map_err(|e| failed("attach the shadow tables", e))?;
        }
        let swapped = self.swap_on(&mut conn, name, schema, position).await;
        if matches!(self.place, Place::SqliteFile(_)) {
            let detach = format!("DETACH DATABASE {ATTACHED}");
            if sqlx::query(&detach).execute(&mut *conn).await.is_err() {
                conn.close_on_drop();
            }
        }
        swapped
    }

    async fn swap_on(
        &self,
        conn: &mut DB::Connection,
        name: &str,
        schema: &[&str],
        position: i64,
    ) -> Result<(), ProjectionError> {
        let live_schema: String = sqlx::query_scalar(self.place.live_schema())
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| failed("find the live schema", e))?;
        let tables: Vec<String> = sqlx::query_scalar(&self.place.tables())
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| failed("list the shadow tables", e))?;
        let tables: Vec<String> = tables
            .into_iter()
            .filter(|t| t != "cqrs_checkpoints")
            .collect();
        let (live_schema, shadow) = (quoted(&live_schema), quoted(self.place.schema()));
        let mut tx = conn.begin().await.map_err(|e| failed("begin", e))?;
        let moving = |e| failed("move the checkpoint to the rebuilt tables", e);
        sqlx::query(CHECKPOINTS)
            .execute(&mut *tx)
            .await
            .map_err(moving)?;
        sqlx::query(SAVE_CHECKPOINT)
            .bind(name)
            .bind(position)
            .execute(&mut *tx)
            .await
            .map_err(moving)?;
        for table in &tables {
            let drop = format!("DROP TABLE IF EXISTS {live_schema}.{}", quoted(table));
            sqlx::query(&drop)
                .execute(&mut *tx)
                .await
                .map_err(|e| failed(&format!("drop the old table `{table}`"), e))?;
        }
        for statement in schema {
            sqlx::query(statement)
                .execute(&mut *tx)
                .await
                .map_err(|e| failed(&format!("create the tables of `{name}`"), e))?;
        }
        for table in &tables {
            let table = quoted(table);
            let copy = format!("INSERT INTO {live_schema}.{table} SELECT * FROM {shadow}.{table}");
            sqlx::query(&copy)
                .execute(&mut *tx)
                .await
                .map_err(|e| failed(&format!("copy the rebuilt table {table}"), e))?;
        }
        tx.commit()
            .await
            .map_err(|e| failed("commit the swap", e))?;
        Ok(())
    }

    /// Removes the shadow: its file, or its schema in `live`'s database.
    async fn remove(self, live: &Pool<DB>) -> Result<(), ProjectionError> {
        self.pool.close().await;
        match &self.place {
            Place::SqliteFile(path) => remove_sqlite_files(path),
            Place::PostgresSchema(schema) => {
                let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                sqlx::query(&drop)
                    .execute(live)
                    .await
                    .map_err(|e| failed("drop the shadow schema", e))?;
            }
        }
        Ok(())
    }
}

impl<P, DB> TableTarget<P, DB>
where
    P: TableProjection<DB>,
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    /// Rebuilds the projection from the whole log into `shadow` while the live
    /// tables keep serving (and a live worker keeps them current), then swaps the
    /// rebuilt tables in with their checkpoint in one transaction and removes the
    /// shadow. Readers never see an empty or half-built read model; a live worker
    /// goes on from the swapped-in checkpoint (a batch of it that raced the swap
    /// fails with [`ProjectionError::CheckpointMoved`] and is read again).
    ///
    /// On PostgreSQL, readers of the live tables wait for the swap's copy (the
    /// old tables are dropped in its transaction); on SQLite they read the old
    /// tables until it commits.
    pub async fn rebuild_in_shadow<S>(
        &self,
        store: S,
        shadow: ShadowTables<DB>,
        progress: impl FnMut(Progress) + Send,
    ) -> Result<Progress, ProjectionError>
    where
        S: EventStore + LogFollower + Clone,
    {
        let target = TableTarget::sharing(shadow.pool.clone(), self.projection.clone());
        let mut runner = ProjectionRunner::new(store, target);
        let built = runner.rebuild(progress).await?;
        drop(runner);
        shadow.pool.close().await;
        let position = stored_position(built.checkpoint)?;
        let swapped = shadow
            .swap_into(&self.pool, P::NAME, P::SCHEMA, position)
            .await;
        let removed = shadow.remove(&self.pool).await;
        swapped?;
        removed?;
        Ok(built)
    }
}
