//! A running projection over PostgreSQL sees a late commit, and misses nothing while
//! two nodes write at once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::time::Duration;

use cqrs_core::conformance::numbered_events;
use cqrs_core::runner::{
    MemoryTarget, ProjectionRunner, ProjectionStatus, RunState, RunnerOptions, read_view,
};
use cqrs_core::{DomainEvent, EventHeader, EventStore, ExpectedVersion, Projection};
use cqrs_postgres::PostgresEventStore;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, DomainEvent)]
enum LogEvent {
    N { n: u64 },
    Late {},
}

/// Every position it was handed, in order.
#[derive(Debug, Default, Projection)]
#[projection(event = LogEvent, handles(N, Late))]
struct Seen {
    positions: Vec<u64>,
}

impl Seen {
    fn on_n(&mut self, header: &EventHeader, _: u64) {
        self.positions.push(header.position);
    }

    fn on_late(&mut self, header: &EventHeader) {
        self.positions.push(header.position);
    }
}

/// Runs `runner` in a task until the returned sender fires: its status, the sender
/// and the task.
fn follow(
    mut runner: ProjectionRunner<PostgresEventStore, MemoryTarget<Seen>>,
) -> (
    tokio::sync::watch::Receiver<ProjectionStatus>,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let status = runner.watch_status();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        runner
            .run_until(async {
                let _ = stopped.await;
            })
            .await
    });
    (status, stop, running)
}

/// An append takes position 2 and commits late; another takes 3 and commits at once.
/// The projection, following the log the whole time, stops before 2 until it
/// commits, then sees 2 and 3: none missed, none twice.
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_running_projection_sees_a_late_commit_and_misses_nothing() {
    let Some(store) = support::fresh("projection_late_commit").await else {
        return;
    };
    store
        .append(
            "first",
            ExpectedVersion::NoStream,
            numbered_events("N", 0, 1),
        )
        .await
        .unwrap();

    let target = MemoryTarget::<Seen>::new();
    let seen = target.view();
    let runner = ProjectionRunner::new(store.clone(), target).with_options(RunnerOptions {
        poll_interval: Duration::from_millis(20),
        ..RunnerOptions::default()
    });
    let (mut status, stop, running) = follow(runner);
    status
        .wait_for(|s| s.state == RunState::Live && s.checkpoint == 1)
        .await
        .unwrap();

    let late = support::append_held_open(&store).await;
    let early = tokio::spawn({
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
    assert_eq!(early.await.unwrap().unwrap().positions, [3]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        read_view(&seen, |s| s.positions.clone()),
        [1],
        "nothing past the open append is seen"
    );
    assert_eq!(
        status.borrow().checkpoint,
        1,
        "the checkpoint does not pass the open append"
    );

    late.commit().await.unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| s.checkpoint == 3),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(read_view(&seen, |s| s.positions.clone()), [1, 2, 3]);
    let _ = stop.send(());
    running.await.unwrap();
    support::drop_schema(store).await;
}

/// A second node on the same schema: its own connections and committer, as a second
/// process has.
async fn another_node(
    store: &cqrs_postgres::PostgresEventStore,
) -> cqrs_postgres::PostgresEventStore {
    let url = cqrs_postgres::testing::database_url("another_node").unwrap();
    cqrs_postgres::PostgresOptions::new(url)
        .schema(store.schema())
        .connect()
        .await
        .unwrap()
}

/// Two nodes append at once (4 writers each, appends of 1 to 3 events) while a
/// projection on a third follows the log: it is handed every position exactly once,
/// in order, none skipped while the nodes' commits interleave.
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_projection_following_two_writing_nodes_misses_nothing() {
    let Some(store) = support::fresh("projection_two_nodes").await else {
        return;
    };
    let nodes = [another_node(&store).await, another_node(&store).await];
    let target = MemoryTarget::<Seen>::new();
    let seen = target.view();
    let runner = ProjectionRunner::new(store.clone(), target).with_options(RunnerOptions {
        poll_interval: Duration::from_millis(20),
        batch_size: 7,
        ..RunnerOptions::default()
    });
    let (mut status, stop, running) = follow(runner);
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let node = nodes[writer % 2].clone();
            tokio::spawn(async move {
                let stream = format!("writer-{writer}");
                let mut version = 0u64;
                for round in 0..40u64 {
                    let count = round % 3 + 1;
                    node.append(
                        &stream,
                        ExpectedVersion::Exact(version),
                        numbered_events("N", version, count),
                    )
                    .await
                    .unwrap();
                    version += count;
                }
                version
            })
        })
        .collect();
    let mut written = 0;
    for writer in writers {
        written += writer.await.unwrap();
    }
    assert_eq!(store.head_position().await.unwrap(), written);
    tokio::time::timeout(
        Duration::from_secs(30),
        status.wait_for(|s| s.checkpoint == written),
    )
    .await
    .unwrap()
    .unwrap();
    let positions = read_view(&seen, |s| s.positions.clone());
    assert_eq!(positions, (1..=written).collect::<Vec<_>>());
    let _ = stop.send(());
    running.await.unwrap();
    drop(nodes);
    support::drop_schema(store).await;
}

/// The fence has a candidate left from a call that an open append held back; the
/// append ends, and many more commit. The next `head_position` covers all of them,
/// not just the old candidate (which settles during the call).
#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn head_position_covers_every_commit_before_it_even_with_an_old_candidate() {
    let Some(store) = support::fresh("projection_old_candidate").await else {
        return;
    };
    let writer = another_node(&store).await;
    let late = support::append_held_open(&store).await;
    writer
        .append(
            "first",
            ExpectedVersion::NoStream,
            numbered_events("N", 0, 1),
        )
        .await
        .unwrap();
    // Held back by the open append (after its patience): the candidate stays.
    let held = store.head_position().await.unwrap();
    late.rollback().await.unwrap();
    for n in 0..40u64 {
        writer
            .append(
                "more",
                ExpectedVersion::Exact(n),
                numbered_events("N", n, 1),
            )
            .await
            .unwrap();
    }
    let visible: i64 = sqlx::query_scalar("SELECT max(position) FROM cqrs_events")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let head = store.head_position().await.unwrap();
    assert!(held < u64::try_from(visible).unwrap(), "{held} {visible}");
    assert_eq!(
        head,
        u64::try_from(visible).unwrap(),
        "held back at {held} before"
    );
    support::drop_schema(store).await;
}
