//! Versioned schema migrations: which ones a database still needs, and how a failed
//! one is reported. Each store applies them in its dialect, inside one transaction
//! that holds its migration lock.

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

/// The error for a migration that failed, naming it.
///
/// ```
/// let error = cqrs_core::store::kit::migration_failed(&(2, "views", ""), std::io::Error::other("no"));
/// assert_eq!(error.to_string(), "migration 2 (views) failed");
/// ```
pub fn migration_failed(
    migration: &Migration,
    source: impl std::error::Error + Send + Sync + 'static,
) -> StoreError {
    StoreError::Migration {
        version: migration.0,
        description: migration.1.to_owned(),
        source: Box::new(source),
    }
}
