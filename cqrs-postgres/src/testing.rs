//! Test databases (feature `testing`): each test gets a schema of its own on the
//! database named by `DATABASE_URL`, dropped afterwards, so tests run in parallel
//! without colliding.
//!
//! Without `DATABASE_URL` a test skips with a printed notice; with
//! `CQRS_REQUIRE_POSTGRES=1` (set by CI) a missing URL fails it instead, so the
//! PostgreSQL tests can never skip silently there.
//!
//! ```no_run
//! # async fn demo() {
//! let Some(store) = cqrs_postgres::testing::fresh_store("my_test").await else {
//!     return; // no database configured: skipped, with a notice
//! };
//! // ... the test ...
//! cqrs_postgres::testing::drop_schema(store).await;
//! # }
//! ```

use crate::{PostgresEventStore, PostgresOptions};

/// The variable that turns a skipped PostgreSQL test into a failure.
pub const REQUIRE_POSTGRES: &str = "CQRS_REQUIRE_POSTGRES";

/// The test database's URL from `DATABASE_URL`: `None`, with a notice naming `test`,
/// when it is unset.
///
/// # Panics
///
/// When `DATABASE_URL` is unset and `CQRS_REQUIRE_POSTGRES=1`.
pub fn database_url(test: &str) -> Option<String> {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        return Some(url);
    }
    if std::env::var(REQUIRE_POSTGRES).is_ok_and(|v| v == "1") {
        panic!(
            "{REQUIRE_POSTGRES}=1 but DATABASE_URL is not set: `{test}` cannot run on PostgreSQL"
        );
    }
    eprintln!("skipped `{test}` on PostgreSQL: set DATABASE_URL to run it");
    None
}

/// A schema name no other test uses: `prefix` and a random suffix, within
/// PostgreSQL's 63-byte limit for a short prefix.
pub fn unique_schema(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// A store in a fresh schema (created and migrated), or `None` when the test skips
/// (see [`database_url`]).
///
/// # Panics
///
/// When the database cannot be reached: a test cannot go on without it.
pub async fn fresh_store(test: &str) -> Option<PostgresEventStore> {
    let url = database_url(test)?;
    match PostgresOptions::new(url)
        .schema(unique_schema("cqrs_test"))
        .max_connections(40)
        .connect()
        .await
    {
        Ok(store) => Some(store),
        Err(error) => panic!("cannot connect for `{test}`: {error} ({error:?})"),
    }
}

/// Drops the store's schema with everything in it and closes its pool; a failure is
/// printed, not raised (the test's own outcome matters more).
pub async fn drop_schema(store: PostgresEventStore) {
    let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", store.schema());
    if let Err(error) = sqlx::raw_sql(&sql).execute(store.pool()).await {
        eprintln!("could not drop schema {}: {error}", store.schema());
    }
    store.pool().close().await;
}
