//! A running projection over PostgreSQL sees a late commit, and misses nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::time::Duration;

use cqrs_core::conformance::numbered_events;
use cqrs_core::runner::{MemoryTarget, ProjectionRunner, RunState, RunnerOptions, read_view};
use cqrs_core::{DomainEvent, EventHeader, EventStore, ExpectedVersion, Projection};
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

/// An append takes position 2 and commits late; another append waits behind it.
/// The projection, following the log the whole time, sees 1, 2, 3: none missed,
/// none twice.
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
    let mut runner = ProjectionRunner::new(store.clone(), target).with_options(RunnerOptions {
        poll_interval: Duration::from_millis(20),
        ..RunnerOptions::default()
    });
    let mut status = runner.watch_status();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        runner
            .run_until(async {
                let _ = stopped.await;
            })
            .await
    });
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
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        read_view(&seen, |s| s.positions.clone()),
        [1],
        "nothing uncommitted is seen"
    );
    assert_eq!(
        status.borrow().checkpoint,
        1,
        "the checkpoint does not pass the open append"
    );

    late.commit().await.unwrap();
    early.await.unwrap().unwrap();
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
