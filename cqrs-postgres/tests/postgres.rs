//! What only PostgreSQL can show: late commits, several nodes, errors, migrations.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::sync::Arc;
use std::time::Duration;

use cqrs_core::conformance::{new_event, numbered_events};
use cqrs_core::{EventStore, ExpectedVersion, ReadAll, StoreError};
use cqrs_postgres::{PostgresEventStore, PostgresOptions};
use futures_util::FutureExt;
use serde_json::json;
use sqlx::Connection;
use tokio::sync::Mutex;

/// Runs a test body with a fresh store, dropping its schema afterwards.
macro_rules! with_store {
    ($test:literal, |$store:ident| $body:block) => {{
        let Some($store) = support::fresh($test).await else {
            return;
        };
        let outcome = {
            let $store = $store.clone();
            futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
                async move { $body },
            ))
            .await
        };
        support::drop_schema($store).await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }};
}

fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_default()
}

/// An append that takes its position and then waits before committing, while a
/// second append and a reader run: the second append takes the next position and
/// commits at once (appends do not wait for each other), and the reader never sees a
/// position before all lower positions are visible.
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_commit_in_position_order_while_a_reader_reads() {
    with_store!("late_commit", |store| {
        store
            .append(
                "warm-up",
                ExpectedVersion::NoStream,
                numbered_events("N", 0, 1),
            )
            .await
            .unwrap();

        // A reader that follows the log the whole time, like a catch-up projection.
        let seen = Arc::new(Mutex::new(Vec::<u64>::new()));
        let reading = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let reader = tokio::spawn({
            let (store, seen, reading) = (store.clone(), seen.clone(), reading.clone());
            async move {
                let mut from = 1;
                while reading.load(std::sync::atomic::Ordering::SeqCst) {
                    let page = store.read_all(ReadAll::from_position(from)).await.unwrap();
                    if let Some(last) = page.last() {
                        from = last.header.position + 1;
                    }
                    seen.lock()
                        .await
                        .extend(page.iter().map(|e| e.header.position));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        });

        // The reader has the warm-up (and so a fence at 1) before A starts.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while seen.lock().await.is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "the reader saw nothing"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Writer A: the store's own append statement, inside a transaction held open.
        let late = support::append_held_open(&store).await;

        // Writer B starts after A took its position.
        let writer_b = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .append(
                        "early",
                        ExpectedVersion::NoStream,
                        numbered_events("N", 1, 1),
                    )
                    .await
            }
        });
        let b = writer_b.await.unwrap().unwrap();
        assert_eq!(b.positions, [3], "B's position comes after A's");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            *seen.lock().await,
            [1],
            "B committed, but nothing past the open A is read while A is open"
        );
        assert_eq!(
            store.head_position().await.unwrap(),
            1,
            "the head waits for A"
        );

        late.commit().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        reading.store(false, std::sync::atomic::Ordering::SeqCst);
        reader.await.unwrap();

        let all: Vec<u64> = store
            .read_all(ReadAll::from_position(1))
            .await
            .unwrap()
            .iter()
            .map(|e| e.header.position)
            .collect();
        assert_eq!(all, [1, 2, 3]);
        assert_eq!(
            *seen.lock().await,
            all,
            "the reader saw every event, once, in order"
        );
    });
}

/// Two nodes (separate pools) race on one stream: exactly one append wins.
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_with_the_same_expectation_one_wins() {
    with_store!("two_nodes", |store| {
        let other = PostgresOptions::new(url())
            .schema(store.schema())
            .connect()
            .await
            .unwrap();
        for round in 0..20u64 {
            let stream = format!("race-{round}");
            let (a, b) = tokio::join!(
                store.append(
                    &stream,
                    ExpectedVersion::NoStream,
                    numbered_events("A", 0, 2)
                ),
                other.append(
                    &stream,
                    ExpectedVersion::NoStream,
                    numbered_events("B", 0, 3)
                ),
            );
            let conflicts = [&a, &b]
                .iter()
                .filter(|r| matches!(r, Err(StoreError::WrongExpectedVersion { .. })))
                .count();
            assert_eq!(conflicts, 1, "round {round}: {a:?} / {b:?}");
            let version = store.stream_version(&stream).await.unwrap();
            assert!(version == 2 || version == 3);
            assert_eq!(
                store.read_stream(&stream, 1, 10).await.unwrap().len() as u64,
                version
            );
        }
        other.pool().close().await;
    });
}

#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test]
async fn a_schema_newer_than_the_code_is_refused() {
    with_store!("too_new", |store| {
        sqlx::query(
            "INSERT INTO cqrs_migrations (version, description) VALUES (999, 'from the future')",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let error = PostgresOptions::new(url())
            .schema(store.schema())
            .connect()
            .await
            .unwrap_err();
        match error {
            StoreError::SchemaTooNew { found, supported } => {
                assert_eq!(found, 999);
                assert_eq!(supported, PostgresEventStore::schema_version());
            }
            other => panic!("expected SchemaTooNew, got {other:?}"),
        }
    });
}

#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_starting_together_migrate_once() {
    with_store!("migrate_once", |store| {
        let connects = (0..4).map(|_| PostgresOptions::new(url()).schema(store.schema()).connect());
        for node in futures_util::future::join_all(connects).await {
            node.unwrap().pool().close().await;
        }
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM cqrs_migrations")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(applied, PostgresEventStore::schema_version());
    });
}

#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test]
async fn a_refused_connection_names_the_url_without_its_password() {
    if support::fresh("refused_probe")
        .await
        .map(|s| tokio::spawn(support::drop_schema(s)))
        .is_none()
    {
        return;
    }
    let error = PostgresOptions::new("postgres://ada:hunter2@127.0.0.1:1/app")
        .connect_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, StoreError::Connection { .. }), "{error:?}");
    assert!(
        message.contains("postgres://ada:***@127.0.0.1:1/app"),
        "{message}"
    );
    assert!(
        !format!("{error:?}").contains("hunter2"),
        "the password leaked: {error:?}"
    );
    let cause = std::error::Error::source(&error).map(ToString::to_string);
    assert!(
        cause.as_deref().is_some_and(|c| c.contains("refused")),
        "the cause is named: {cause:?}"
    );
}

/// A server that takes connections and never answers (a hung database, a firewall
/// that swallows packets) fails the start after the connect timeout, saying so.
#[tokio::test]
async fn a_server_that_never_answers_fails_the_start_naming_the_wait() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let connecting =
        PostgresOptions::new(format!("postgres://postgres@127.0.0.1:{port}/app")).connect();
    let error = tokio::time::timeout(Duration::from_secs(60), connecting)
        .await
        .expect("connect gave up by itself")
        .unwrap_err();
    held.abort();
    assert!(matches!(error, StoreError::Connection { .. }), "{error:?}");
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
    let cause = std::error::Error::source(&error).map(ToString::to_string);
    assert!(
        cause
            .as_deref()
            .is_some_and(|c| c.contains("did not answer within 2000 ms")),
        "the default wait is 2 s, and named: {cause:?}"
    );
}

/// A URL of another database is refused before anything is tried.
#[tokio::test]
async fn a_url_of_another_database_is_refused() {
    let error = PostgresOptions::new("mysql://root@127.0.0.1:3306/app")
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::InvalidSetting { setting: "url", .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("postgres://"), "{error}");
}

#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test]
async fn appends_notify_listeners_when_they_commit() {
    with_store!("notify", |store| {
        let mut listener = sqlx::postgres::PgListener::connect(&url()).await.unwrap();
        listener.listen(store.notification_channel()).await.unwrap();
        store
            .append("s", ExpectedVersion::NoStream, numbered_events("N", 0, 3))
            .await
            .unwrap();
        let notification = tokio::time::timeout(Duration::from_secs(5), listener.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(notification.payload(), "3");
        let _ = listener.unlisten_all().await;
    });
}

#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test]
async fn a_corrupt_metadata_row_is_an_error_naming_its_position() {
    with_store!("corrupt", |store| {
        store
            .append("s", ExpectedVersion::NoStream, numbered_events("N", 0, 2))
            .await
            .unwrap();
        let mut conn = sqlx::PgConnection::connect(&url()).await.unwrap();
        sqlx::raw_sql(&format!(
            "UPDATE \"{}\".cqrs_events SET metadata = '[1]' WHERE position = 2",
            store.schema()
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        let error = store.read_stream("s", 1, 10).await.unwrap_err();
        assert!(
            matches!(error, StoreError::Corrupt { position: 2, .. }),
            "{error:?}"
        );
    });
}

/// An event PostgreSQL refuses fails only its own append when it arrives in a burst
/// with others (which the store commits as one group); the rest commit, and the log
/// holds their events once, in order (the failed one's positions stay unused). The
/// conformance suite's `a_burst_of_appends_fails_only_its_bad_members` covers stale
/// expectations and repeated ids.
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payload_refused_in_a_group_fails_alone() {
    with_store!("a_payload_refused_in_a_group_fails_alone", |store| {
        // A row PostgreSQL refuses that no contract check catches: the group's one
        // statement fails as a whole.
        sqlx::query(
            "ALTER TABLE cqrs_events ADD CONSTRAINT test_refuses CHECK (event_name <> 'Bad')",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let tasks: Vec<_> = (0..32)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let events = if n == 13 {
                        vec![new_event("Bad", json!({}))]
                    } else {
                        numbered_events("G", 1, 2)
                    };
                    store
                        .append(&format!("s{n}"), ExpectedVersion::NoStream, events)
                        .await
                })
            })
            .collect();
        let mut committed = 0;
        for (n, task) in tasks.into_iter().enumerate() {
            let outcome = task.await.unwrap();
            if n == 13 {
                assert!(outcome.is_err(), "{outcome:?}");
            } else {
                assert_eq!(outcome.unwrap().stream_version, 2);
                committed += 1;
            }
        }
        assert_eq!(committed, 31);
        let all = store
            .read_all(ReadAll::from_position(1).limit(1_000))
            .await
            .unwrap();
        let positions: Vec<u64> = all.iter().map(|e| e.header.position).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        assert_eq!(positions.len(), 31 * 2);
    });
}

/// An append whose caller gives up while it waits for its group is not written.
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_abandoned_waiting_append_is_never_written() {
    with_store!("an_abandoned_waiting_append_is_never_written", |store| {
        // Another session holds stream `first`'s row, so the first group waits to
        // commit and the next append to that stream queues behind it.
        let mut blocker = store.pool().begin().await.unwrap();
        sqlx::query("INSERT INTO cqrs_streams (stream_id, version) VALUES ('first', 0)")
            .execute(&mut *blocker)
            .await
            .unwrap();
        let leader = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .append(
                        "first",
                        ExpectedVersion::NoStream,
                        numbered_events("F", 1, 1),
                    )
                    .await
            }
        });
        // The leader's group is committing once the committer holds a connection
        // (the blocker's is the other one in use).
        let pool = store.pool().clone();
        wait_until(move || pool.size() as usize - pool.num_idle() >= 2).await;
        // Queued behind it (one poll puts it in the queue), then given up.
        let mut abandoned =
            Box::pin(store.append("first", ExpectedVersion::Any, numbered_events("A", 1, 1)));
        assert!((&mut abandoned).now_or_never().is_none(), "it must wait");
        drop(abandoned);
        blocker.rollback().await.unwrap();
        leader.await.unwrap().unwrap();
        store
            .append(
                "last",
                ExpectedVersion::NoStream,
                numbered_events("L", 1, 1),
            )
            .await
            .unwrap();
        assert_eq!(
            store.stream_version("first").await.unwrap(),
            1,
            "only the leader's event: the abandoned append was not written"
        );
        assert_eq!(store.stream_version("last").await.unwrap(), 1);
    });
}

/// Polls a condition every millisecond; fails the test after 10 s.
async fn wait_until(condition: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "the condition never held"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// A schema name PostgreSQL would cut short is refused with the name in the error,
/// instead of a store that works in a schema of another name.
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test]
async fn a_schema_name_too_long_for_postgres_is_refused() {
    let Some(url) = cqrs_postgres::testing::database_url("a_schema_name_too_long") else {
        return;
    };
    let name = format!("tenant_{}", "x".repeat(57));
    assert_eq!(name.len(), 64);
    match cqrs_postgres::PostgresOptions::new(url)
        .schema(&name)
        .connect()
        .await
    {
        Err(error @ StoreError::InvalidSetting { .. }) => {
            assert!(error.to_string().contains(&name), "{error}");
            assert!(error.to_string().contains("63 bytes"), "{error}");
        }
        other => panic!("expected the schema name to be refused, got {other:?}"),
    }
}

/// Connecting (and migrating) can run in a spawned task: its future is `Send`.
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_can_connect_inside_a_spawned_task() {
    let Some(url) = cqrs_postgres::testing::database_url("connect_inside_a_task") else {
        return;
    };
    let schema = cqrs_postgres::testing::unique_schema("cqrs_spawned");
    let store = tokio::spawn(PostgresOptions::new(url).schema(schema).connect())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.head_position().await.unwrap(), 0);
    support::drop_schema(store).await;
}
