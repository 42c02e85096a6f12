//! Catch-up projections: filtering, checkpoints, failures that are never skipped, rebuilds.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use cqrs_core::runner::{
    DocumentTarget, MemoryTarget, ProjectionRunner, RunState, RunnerOptions, read_view,
};
use cqrs_core::{
    DomainEvent, EventHeader, EventStore, ExpectedVersion, InMemoryEventStore, LogFollower,
    Metadata, NewEvent, Projection, ReadAll, RecordedEvent, StoreError, ViewStore,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
enum ShopEvent {
    Viewed { sku: String },
    Bought { sku: String, quantity: u32 },
}

/// Set by a test to make `Sales` fail on a product, as a broken handler would.
static REFUSE_DURIAN: AtomicBool = AtomicBool::new(false);

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(name = "sales", event = ShopEvent, handles(Bought))]
struct Sales {
    units: u64,
    orders: u64,
}

impl Sales {
    fn on_bought(&mut self, _: &EventHeader, sku: String, quantity: u32) -> Result<(), String> {
        if sku == "durian" && REFUSE_DURIAN.load(Ordering::SeqCst) {
            return Err("durians are not sold here".into());
        }
        self.units += u64::from(quantity);
        self.orders += 1;
        Ok(())
    }
}

fn event(e: &ShopEvent) -> NewEvent {
    NewEvent::from_event(e, Metadata::default()).unwrap()
}

async fn append(store: &InMemoryEventStore, stream: &str, events: &[ShopEvent]) {
    store
        .append(
            stream,
            ExpectedVersion::Any,
            events.iter().map(event).collect(),
        )
        .await
        .unwrap();
}

/// Counts what the store hands out, to show a filtered projection reads only its events.
#[derive(Clone)]
struct Counting {
    inner: InMemoryEventStore,
    handed_out: Arc<AtomicU64>,
}

impl EventStore for Counting {
    async fn append(
        &self,
        s: &str,
        e: ExpectedVersion,
        v: Vec<NewEvent>,
    ) -> Result<cqrs_core::AppendResult, StoreError> {
        self.inner.append(s, e, v).await
    }
    async fn read_stream(
        &self,
        s: &str,
        f: u64,
        m: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(s, f, m).await
    }
    async fn read_all(&self, query: ReadAll) -> Result<Vec<RecordedEvent>, StoreError> {
        let page = self.inner.read_all(query).await?;
        self.handed_out
            .fetch_add(page.len() as u64, Ordering::SeqCst);
        Ok(page)
    }
    async fn stream_version(&self, s: &str) -> Result<u64, StoreError> {
        self.inner.stream_version(s).await
    }
    async fn head_position(&self) -> Result<u64, StoreError> {
        self.inner.head_position().await
    }
    async fn list_streams(
        &self,
        query: cqrs_core::ListStreams,
    ) -> Result<Vec<cqrs_core::StreamSummary>, StoreError> {
        self.inner.list_streams(query).await
    }
    async fn locate_events(
        &self,
        ids: &[cqrs_core::Uuid],
    ) -> Result<Vec<Option<cqrs_core::StoredId>>, StoreError> {
        self.inner.locate_events(ids).await
    }
}

impl LogFollower for Counting {
    async fn wait_past(&self, position: u64, timeout: Duration) {
        self.inner.wait_past(position, timeout).await
    }
}

#[tokio::test]
async fn a_projection_reads_only_the_events_it_handles() {
    let store = InMemoryEventStore::new();
    for n in 0..1_000 {
        append(
            &store,
            "shop",
            &[ShopEvent::Viewed {
                sku: format!("p{n}"),
            }],
        )
        .await;
        if n % 100 == 0 {
            append(
                &store,
                "shop",
                &[ShopEvent::Bought {
                    sku: format!("p{n}"),
                    quantity: 2,
                }],
            )
            .await;
        }
    }
    let counting = Counting {
        inner: store,
        handed_out: Arc::default(),
    };
    let target = MemoryTarget::<Sales>::new();
    let view = target.view();
    let mut runner = ProjectionRunner::new(counting.clone(), target);
    let progress = runner.catch_up().await.unwrap();
    assert_eq!(read_view(&view, |s| (s.units, s.orders)), (20, 10));
    assert_eq!(
        counting.handed_out.load(Ordering::SeqCst),
        10,
        "only the 10 `Bought` events are read"
    );
    assert_eq!(
        progress.checkpoint, 1_010,
        "the checkpoint moves to the head, past events it does not handle"
    );
    assert_eq!(runner.status().lag, 0);
}

#[tokio::test]
async fn a_document_view_and_its_checkpoint_survive_a_restart_together() {
    let store = InMemoryEventStore::new();
    append(
        &store,
        "a",
        &[ShopEvent::Bought {
            sku: "apple".into(),
            quantity: 3,
        }],
    )
    .await;
    let mut first = ProjectionRunner::new(
        store.clone(),
        DocumentTarget::<Sales, _>::new(store.clone()),
    );
    first.catch_up().await.unwrap();
    let saved = store.load_view("sales").await.unwrap().unwrap();
    assert_eq!(saved.position, 1);
    assert_eq!(saved.state, serde_json::json!({ "units": 3, "orders": 1 }));

    append(
        &store,
        "b",
        &[ShopEvent::Bought {
            sku: "pear".into(),
            quantity: 1,
        }],
    )
    .await;
    let target = DocumentTarget::<Sales, _>::new(store.clone());
    let view = target.view();
    let mut restarted = ProjectionRunner::new(store.clone(), target);
    let progress = restarted.catch_up().await.unwrap();
    assert_eq!(progress.from, 1, "resumes from the saved checkpoint");
    assert_eq!(progress.events, 1, "handles only what came after it");
    assert_eq!(
        read_view(&view, |s| s.clone()),
        Sales {
            units: 4,
            orders: 2
        }
    );
}

/// A failing event stops the projection at that event, is retried with backoff and
/// shown in the status, and is handled (not skipped) once the fault is gone. With a
/// document view, nothing of the failed batch was kept, so nothing is applied twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_event_stops_the_projection_and_is_retried_never_skipped() {
    let store = InMemoryEventStore::new();
    append(
        &store,
        "s-1",
        &[ShopEvent::Bought {
            sku: "apple".into(),
            quantity: 1,
        }],
    )
    .await;
    append(
        &store,
        "s-2",
        &[ShopEvent::Bought {
            sku: "durian".into(),
            quantity: 5,
        }],
    )
    .await;
    append(
        &store,
        "s-3",
        &[ShopEvent::Bought {
            sku: "pear".into(),
            quantity: 2,
        }],
    )
    .await;
    REFUSE_DURIAN.store(true, Ordering::SeqCst);

    let target = DocumentTarget::<Sales, _>::new(store.clone());
    let view = target.view();
    let options = RunnerOptions {
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(80),
        ..RunnerOptions::default()
    };
    let mut runner = ProjectionRunner::new(store.clone(), target).with_options(options);
    let error = runner.catch_up().await.unwrap_err();
    let message = cqrs_core::runner::error_chain(&error);
    assert!(
        message.contains("position 2") && message.contains("`s-2`") && message.contains("Bought"),
        "{message}"
    );
    assert!(message.contains("durians are not sold here"), "{message}");
    assert_eq!(
        read_view(&view, |s| s.units),
        0,
        "nothing of the failed batch is kept"
    );

    let mut status = runner.watch_status();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        runner
            .run_until(async {
                let _ = stopped.await;
            })
            .await;
        runner
    });
    status
        .wait_for(|s| matches!(&s.state, RunState::Retrying { attempt, error, .. } if *attempt >= 2 && error.contains("position 2")))
        .await
        .unwrap();
    assert_eq!(
        store.load_view("sales").await.unwrap(),
        None,
        "the checkpoint stays before the failing event"
    );

    REFUSE_DURIAN.store(false, Ordering::SeqCst);
    status
        .wait_for(|s| s.state == RunState::Live && s.checkpoint == 3)
        .await
        .unwrap();
    assert_eq!(
        read_view(&view, |s| s.clone()),
        Sales {
            units: 8,
            orders: 3
        },
        "each event counted once"
    );
    let _ = stop.send(());
    let runner = running.await.unwrap();
    assert_eq!(runner.status().state, RunState::Stopped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_projection_follows_new_events() {
    let store = InMemoryEventStore::new();
    let target = MemoryTarget::<Sales>::new();
    let view = target.view();
    let mut runner = ProjectionRunner::new(store.clone(), target).with_options(RunnerOptions {
        poll_interval: Duration::from_secs(30),
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
        .wait_for(|s| s.state == RunState::Live)
        .await
        .unwrap();
    for n in 1..=5u32 {
        append(
            &store,
            "live",
            &[ShopEvent::Bought {
                sku: "fig".into(),
                quantity: n,
            }],
        )
        .await;
    }
    // Woken by the append, not by the 30 s poll.
    tokio::time::timeout(
        Duration::from_secs(5),
        status.wait_for(|s| s.checkpoint == 5),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(read_view(&view, |s| s.units), 15);
    let _ = stop.send(());
    running.await.unwrap();
}

#[tokio::test]
async fn a_rebuild_replays_everything_and_reports_progress() {
    let store = InMemoryEventStore::new();
    for n in 0..25u32 {
        append(
            &store,
            "s",
            &[ShopEvent::Bought {
                sku: "kiwi".into(),
                quantity: n,
            }],
        )
        .await;
    }
    let target = DocumentTarget::<Sales, _>::new(store.clone());
    let view = target.view();
    let mut runner = ProjectionRunner::new(store.clone(), target).with_options(RunnerOptions {
        batch_size: 10,
        ..RunnerOptions::default()
    });
    runner.catch_up().await.unwrap();
    // A view saved wrongly (a bug since fixed): a rebuild starts it again from nothing.
    store
        .save_view(
            "sales",
            cqrs_core::StoredView {
                position: 25,
                state: serde_json::json!({ "units": 1, "orders": 1 }),
            },
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    let done = runner
        .rebuild(|p| seen.push((p.checkpoint, p.events, p.fraction())))
        .await
        .unwrap();
    assert_eq!(seen, [(10, 10, 0.4), (20, 20, 0.8), (25, 25, 1.0)]);
    assert_eq!(done.events, 25);
    assert_eq!(
        read_view(&view, |s| s.clone()),
        Sales {
            units: (0..25).sum(),
            orders: 25
        }
    );
    assert_eq!(
        store.load_view("sales").await.unwrap().unwrap().position,
        25
    );
}
