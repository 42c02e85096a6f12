//! Test databases: a fresh schema per test, dropped afterwards.
#![allow(dead_code)]

use cqrs_postgres::PostgresEventStore;

pub(crate) use cqrs_postgres::testing::{drop_schema, fresh_store as fresh};

/// An append done as the store does it (position from the log head, one `Late`
/// event in stream `late`), inside a transaction left open: commit it to finish.
pub(crate) async fn append_held_open(
    store: &PostgresEventStore,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut late = store.pool().begin().await.unwrap();
    sqlx::query(
        "WITH head AS (UPDATE cqrs_log_head SET position = position + 1 RETURNING position)
         INSERT INTO cqrs_events (position, stream_id, stream_version, event_id, event_name, event_version, payload, metadata)
         SELECT head.position, 'late', 1, gen_random_uuid(), 'Late', 1, '{}', '{\"timestamp\":\"2026-11-26T00:00:00Z\"}' FROM head",
    )
    .execute(&mut *late)
    .await
    .unwrap();
    late
}
