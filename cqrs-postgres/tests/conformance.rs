//! The PostgreSQL store passes the shared conformance suite, each test in its own schema.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use cqrs_postgres::{PostgresEventStore, PostgresOptions};
use sqlx::Executor;

/// Another node on the same database: a store connected to the same schema.
async fn another_handle(store: PostgresEventStore) -> PostgresEventStore {
    let url = cqrs_postgres::testing::database_url("another_handle").unwrap();
    PostgresOptions::new(url)
        .schema(store.schema())
        .max_connections(10)
        .connect()
        .await
        .unwrap()
}

/// A commit the database refuses, for real: a deferred constraint trigger on the
/// event log raises when the appending transaction commits.
async fn fail_writes(store: PostgresEventStore, fail: bool) {
    let sql = if fail {
        "CREATE OR REPLACE FUNCTION cqrs_test_refuse_commit() RETURNS trigger
         LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$;
         CREATE CONSTRAINT TRIGGER cqrs_test_refuse_commit AFTER INSERT ON cqrs_events
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cqrs_test_refuse_commit();"
    } else {
        "DROP TRIGGER cqrs_test_refuse_commit ON cqrs_events;"
    };
    store.pool().execute(sql).await.unwrap();
}

cqrs_core::event_store_conformance! {
    #[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
    fresh: support::fresh,
    teardown: support::drop_schema,
    another_handle: another_handle,
    fail_writes: fail_writes,
}
