//! Versioned schema migrations, applied when the store connects.

use cqrs_core::StoreError;
use cqrs_core::store::kit::{Migration, migration_failed, pending_migrations};
use sqlx::{Executor, PgPool};

use crate::error::backend;

/// Every migration this code knows, in order.
const MIGRATIONS: &[Migration] = &[
    (
        1,
        "create the event log",
        include_str!("../migrations/0001_create_event_log.sql"),
    ),
    (
        2,
        "create the views table",
        include_str!("../migrations/0002_create_views.sql"),
    ),
    (
        3,
        "create the inline documents table",
        include_str!("../migrations/0003_create_documents.sql"),
    ),
    (
        4,
        "record the state version of snapshots",
        include_str!("../migrations/0004_snapshot_state_version.sql"),
    ),
    (
        5,
        "read pages filtered by event name through a function with its own planner setting",
        include_str!("../migrations/0005_read_named_function.sql"),
    ),
    (
        6,
        "hold every u32 event version",
        include_str!("../migrations/0006_event_version_bigint.sql"),
    ),
    (
        7,
        "keep payloads and metadata as JSON text",
        include_str!("../migrations/0007_payload_as_json_text.sql"),
    ),
    (
        8,
        "take positions from a sequence; readers stop at a fence",
        include_str!("../migrations/0008_positions_from_a_sequence.sql"),
    ),
];

/// Serialises migrations between processes starting at the same time.
const MIGRATION_LOCK: i64 = 0x6371_7273_6d69_6772; // "cqrsmigr"

/// Applies the migrations the schema lacks, in one transaction, under an advisory lock.
pub(crate) async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let mut tx = pool
        .begin()
        .await
        .map_err(|e| backend("begin the migration transaction", e))?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(|e| backend("lock the schema to migrate it", e))?;
    (&mut *tx)
        .execute(
            "CREATE TABLE IF NOT EXISTS cqrs_migrations (
                version     BIGINT PRIMARY KEY,
                description TEXT NOT NULL,
                applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await
        .map_err(|e| backend("create the migrations table", e))?;
    let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM cqrs_migrations")
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| backend("read the schema version", e))?;
    for migration in pending_migrations(MIGRATIONS, current)? {
        let &(version, description, sql) = migration;
        // A plain string goes by the simple protocol: every statement of the script
        // runs. (`Executor::execute` returns a boxed future, which keeps `connect`
        // provably `Send`; `raw_sql` does not.)
        (&mut *tx)
            .execute(sql)
            .await
            .map_err(|e| migration_failed(migration, e))?;
        sqlx::query("INSERT INTO cqrs_migrations (version, description) VALUES ($1, $2)")
            .bind(version)
            .bind(description)
            .execute(&mut *tx)
            .await
            .map_err(|e| migration_failed(migration, e))?;
    }
    tx.commit()
        .await
        .map_err(|e| backend("commit the migrations", e))
}

/// The newest schema version this code knows.
pub(crate) fn supported_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// On a read-only replica: the schema must be there, at the version this code knows.
pub(crate) async fn check_replica(
    conn: &mut sqlx::PgConnection,
    schema: &str,
) -> Result<(), StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM cqrs_migrations")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| {
                backend(
                    format!("read the schema version of `{schema}` on the replica (has it replayed the primary's schema yet?)"),
                    e,
                )
            })?;
    let found = found.unwrap_or(0);
    let supported = supported_version();
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    if found < supported {
        return Err(StoreError::backend(
            format!("use schema `{schema}` on the replica"),
            format!(
                "it is at version {found}, this code needs {supported}: connect to the primary once to migrate it, and let the replica replay"
            ),
        ));
    }
    Ok(())
}
