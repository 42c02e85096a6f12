//! sqlx errors as store errors that say what was being done.

use cqrs_core::StoreError;

pub(crate) fn backend(operation: impl Into<String>, source: sqlx::Error) -> StoreError {
    StoreError::backend(operation, source)
}

/// Whether the error is a unique-constraint violation on the event id.
pub(crate) fn is_duplicate_event_id(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.is_unique_violation() && db.message().contains("cqrs_events.event_id")
        }
        _ => false,
    }
}
