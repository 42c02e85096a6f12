//! Test databases: a fresh schema per test, dropped afterwards.
#![allow(dead_code)]

use cqrs_postgres::PostgresEventStore;

pub(crate) use cqrs_postgres::testing::{drop_schema, fresh_store as fresh};

/// An append done as the store does it (the stream's row first, then a position from
/// the sequence; one `Late` event in stream `late`), inside a transaction left open:
/// commit it to finish.
pub(crate) async fn append_held_open(
    store: &PostgresEventStore,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut late = store.pool().begin().await.unwrap();
    sqlx::query(
        "WITH stream AS (INSERT INTO cqrs_streams (stream_id, version) VALUES ('late', 1) RETURNING version)
         INSERT INTO cqrs_events (position, stream_id, stream_version, event_id, event_name, event_version, payload, metadata)
         SELECT nextval('cqrs_positions'), 'late', stream.version, gen_random_uuid(), 'Late', 1, '{}', '{\"timestamp\":\"2026-11-26T00:00:00Z\"}' FROM stream",
    )
    .execute(&mut *late)
    .await
    .unwrap();
    late
}
