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
