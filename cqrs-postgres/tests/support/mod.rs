//! Test databases: a fresh schema per test, dropped afterwards.
#![allow(dead_code)]

use cqrs_postgres::{PostgresEventStore, PostgresOptions};

/// The store for one test in its own schema, or `None` (with a notice) when
/// `DATABASE_URL` is unset; with `CQRS_REQUIRE_POSTGRES=1` a missing URL fails.
pub(crate) async fn fresh(test: &'static str) -> Option<PostgresEventStore> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        if std::env::var("CQRS_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
            panic!(
                "CQRS_REQUIRE_POSTGRES=1 but DATABASE_URL is not set: the PostgreSQL test `{test}` cannot run"
            );
        }
        eprintln!("skipped `{test}`: set DATABASE_URL to run the PostgreSQL tests");
        return None;
    };
    // PostgreSQL names stop at 63 bytes: the test's name is in the error messages, not here.
    let schema = format!("cqrs_test_{}", uuid::Uuid::new_v4().simple());
    match PostgresOptions::new(url)
        .schema(schema)
        .max_connections(40)
        .connect()
        .await
    {
        Ok(store) => Some(store),
        Err(error) => panic!("cannot connect for `{test}`: {error} ({error:?})"),
    }
}

/// Drops the test's schema.
pub(crate) async fn drop_schema(store: PostgresEventStore) {
    let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", store.schema());
    if let Err(error) = sqlx::raw_sql(&sql).execute(store.pool()).await {
        eprintln!("could not drop schema {}: {error}", store.schema());
    }
    store.pool().close().await;
}

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
