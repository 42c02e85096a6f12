//! Which schema migrations a database still needs, for store implementations.

use super::StoreError;

/// One schema migration of a store: `(version, description, SQL)`, versions from 1
/// in order.
pub type Migration = (i64, &'static str, &'static str);

/// The migrations a database at schema version `current` still needs, in order.
///
/// A database newer than the newest migration this code knows is
/// [`StoreError::SchemaTooNew`]: newer code wrote it, and this code must not touch it.
///
/// ```
/// use cqrs_core::pending_migrations;
///
/// const MIGRATIONS: &[cqrs_core::Migration] = &[(1, "log", "CREATE ..."), (2, "views", "CREATE ...")];
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
