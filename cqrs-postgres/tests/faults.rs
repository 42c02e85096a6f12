//! Faults of a live PostgreSQL store: its connections terminated under load.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::Duration;

use cqrs_core::conformance::numbered_events;
use cqrs_core::{EventStore, ExpectedVersion};
use cqrs_postgres::PostgresOptions;

/// The store's connections terminated again and again while 8 writers append: a
/// failed append says the fault may pass (`Unavailable`), never something else; an
/// acknowledged one is stored; a failed one is stored whole or not at all (its
/// commit may have happened before its answer was lost); afterwards every append
/// works.
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_survive_connections_killed_mid_load() {
    let Some(url) = cqrs_postgres::testing::database_url("killed_connections") else {
        return;
    };
    let name = format!("cqrs_fault_{}", uuid::Uuid::new_v4().simple());
    let store = PostgresOptions::new(&url)
        .schema(cqrs_postgres::testing::unique_schema("cqrs_killed"))
        .application_name(&name)
        .connect()
        .await
        .unwrap();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                for n in 0..40u64 {
                    let stream = format!("w{w}-{n}");
                    let result = store
                        .append(
                            &stream,
                            ExpectedVersion::NoStream,
                            numbered_events("N", 0, 2),
                        )
                        .await;
                    if let Err(error) = &result {
                        assert!(error.is_transient(), "{stream}: {error:?}");
                    }
                    outcomes.push((stream, result.is_ok()));
                }
                outcomes
            })
        })
        .collect();
    let killer = sqlx::PgPool::connect(&url).await.unwrap();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(&name)
        .execute(&killer)
        .await
        .unwrap();
    }
    let mut failed = 0;
    for writer in writers {
        for (stream, acknowledged) in writer.await.unwrap() {
            let version = store.stream_version(&stream).await.unwrap();
            if acknowledged {
                assert_eq!(version, 2, "{stream} was acknowledged");
            } else {
                failed += 1;
                assert!(version == 0 || version == 2, "{stream} holds {version}");
            }
        }
    }
    eprintln!("{failed} of 320 appends failed while connections were killed");
    for n in 0..16 {
        store
            .append(
                &format!("after-{n}"),
                ExpectedVersion::NoStream,
                numbered_events("N", 0, 1),
            )
            .await
            .unwrap();
    }
    killer.close().await;
    cqrs_postgres::testing::drop_schema(store).await;
}
