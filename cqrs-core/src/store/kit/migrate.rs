//! Versioned schema migrations: which ones a database still needs, and the runner
//! every store uses to apply them.

use std::future::Future;

use crate::store::StoreError;

/// One schema migration of a store: `(version, description, SQL)`, versions from 1
/// in order.
pub type Migration = (i64, &'static str, &'static str);

/// The migrations a database at schema version `current` still needs, in order.
///
/// A database newer than the newest migration this code knows is
/// [`StoreError::SchemaTooNew`]: newer code wrote it, and this code must not touch it.
///
/// ```
/// use cqrs_core::store::kit::{Migration, pending_migrations};
///
/// const MIGRATIONS: &[Migration] = &[(1, "log", "CREATE ..."), (2, "views", "CREATE ...")];
/// assert_eq!(pending_migrations(MIGRATIONS, 1).unwrap().len(), 1);
/// assert!(pending_migrations(MIGRATIONS, 3).is_err());
/// ```
pub fn pending_migrations(
    migrations: &[Migration],
    current: i64,
) -> Result<&[Migration], StoreError> {
    let supported = migrations.last().map_or(0, |m| m.0);
    if current > supported {
        return Err(StoreError::SchemaTooNew {
            found: current,
            supported,
        });
    }
    let first_pending = migrations.partition_point(|m| m.0 <= current);
    Ok(&migrations[first_pending..])
}

/// A transaction that holds the store's migration lock, in the store's dialect.
///
/// The futures need not be `Send` in the trait (sqlx's multi-statement scripts are
/// not provably so behind a generic bound); a store's migration is `Send` when its
/// implementation is.
pub trait MigrationTx: Send {
    /// The error the database reports.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The schema version recorded, creating the table that records it if needed.
    fn schema_version(&mut self) -> impl Future<Output = Result<i64, StoreError>>;

    /// Runs a migration's SQL and records its version.
    fn apply(
        &mut self,
        migration: &Migration,
    ) -> impl Future<Output = Result<(), Self::Error>>;
}

/// Applies the migrations the database lacks, in order, inside `tx`; the caller
/// commits. A failure names the migration.
pub async fn run_migrations<T: MigrationTx>(
    tx: &mut T,
    migrations: &[Migration],
) -> Result<(), StoreError> {
    let current = tx.schema_version().await?;
    for migration in pending_migrations(migrations, current)? {
        tx.apply(migration)
            .await
            .map_err(|source| StoreError::Migration {
                version: migration.0,
                description: migration.1.to_owned(),
                source: Box::new(source),
            })?;
    }
    Ok(())
}
