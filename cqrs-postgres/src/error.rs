//! sqlx errors as store errors that say what was being done.

use cqrs_core::StoreError;

pub(crate) fn backend(operation: impl Into<String>, source: sqlx::Error) -> StoreError {
    if is_transient(&source) {
        StoreError::unavailable(operation, source)
    } else {
        StoreError::backend(operation, source)
    }
}

/// Faults that may pass: a lost or refused connection, the pool exhausted, a server
/// shutting down or out of resources (disk full), a serialization failure.
fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") // connection exception
                || code.starts_with("53") // insufficient resources
                || code.starts_with("57P") // operator intervention
                || code == "40001" // serialization failure
                || code == "40P01" // deadlock detected
        }),
        _ => false,
    }
}

/// Whether the error is a unique-constraint violation on the event id.
pub(crate) fn is_duplicate_event_id(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.is_unique_violation() && db.constraint() == Some("cqrs_events_event_id_key")
        }
        _ => false,
    }
}
