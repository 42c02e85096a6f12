//! Versioned schema migrations, applied when the store opens.

use chrono::Utc;
use cqrs_core::{Migration, StoreError, pending_migrations};
use sqlx::SqlitePool;

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
];

/// Applies the migrations the database lacks, each in its own transaction, holding
/// SQLite's write lock so two processes opening the same file cannot both migrate.
pub(crate) async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|e| backend("lock the database to migrate it", e))?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS cqrs_migrations (
            version     INTEGER PRIMARY KEY,
            description TEXT NOT NULL,
            applied_at  TEXT NOT NULL
        )",
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| backend("create the migrations table", e))?;
    let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM cqrs_migrations")
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| backend("read the schema version", e))?;
    for &(version, description, sql) in pending_migrations(MIGRATIONS, current)? {
        let failed = |source: sqlx::Error| StoreError::Migration {
            version,
            description: description.to_owned(),
            source: Box::new(source),
        };
        sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(failed)?;
        sqlx::query(
            "INSERT INTO cqrs_migrations (version, description, applied_at) VALUES (?, ?, ?)",
        )
        .bind(version)
        .bind(description)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
    }
    tx.commit()
        .await
        .map_err(|e| backend("commit the migrations", e))
}

/// The newest schema version this code knows.
pub(crate) fn supported_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}
