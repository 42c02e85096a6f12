//! sqlx errors as store errors that say what was being done.

use cqrs_core::StoreError;

pub(crate) fn backend(operation: impl Into<String>, source: sqlx::Error) -> StoreError {
    if is_transient(&source) {
        StoreError::unavailable(operation, source)
    } else {
        StoreError::backend(operation, source)
    }
}

/// Faults that may pass: the database busy or locked, the disk full or failing, a
/// file that cannot be opened now, the pool exhausted.
fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => {
            // Primary result codes (the low byte of extended ones): BUSY 5,
            // LOCKED 6, IOERR 10, FULL 13, CANTOPEN 14.
            let primary = db
                .code()
                .and_then(|c| c.parse::<i64>().ok())
                .map(|c| c & 0xff);
            matches!(primary, Some(5 | 6 | 10 | 13 | 14))
        }
        _ => false,
    }
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
