//! sqlx errors as store errors that say what was being done.

use cqrs_core::StoreError;

pub(crate) fn backend(operation: impl Into<String>, source: sqlx::Error) -> StoreError {
    StoreError::backend(operation, source)
}

/// An append error, with the one refusal users can act on spelled out.
pub(crate) fn append_failed(stream_id: &str, source: sqlx::Error) -> StoreError {
    let nul = matches!(&source, sqlx::Error::Database(db) if db.code().as_deref() == Some("22P05"));
    let operation = if nul {
        format!(
            "append to stream `{stream_id}`: a payload or metadata string holds U+0000, which PostgreSQL JSONB cannot store"
        )
    } else {
        format!("append to stream `{stream_id}`")
    };
    StoreError::backend(operation, source)
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
