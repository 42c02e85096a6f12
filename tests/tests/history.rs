//! Living with a long history, on every store: old event versions read through
//! upcasters, snapshots, idempotent command ids, conflict retry, metadata that
//! flows into reactions, time travel, and events newer than the code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/basket.rs"]
mod basket;
#[path = "common/stores.rs"]
mod stores;

use std::collections::BTreeMap;
use std::sync::Arc;

use basket::{
    Basket, BasketCommand, BasketError, BasketEvent, Revenue, TolerantRevenue, add, append_raw,
};
use cqrs_core::runner::{MemoryTarget, ProjectionError, ProjectionRunner, read_view};
use cqrs_core::{
    AsOf, DomainEvent, EventStore, ExecuteOptions, ExpectedVersion, LogFollower, Metadata,
    NewEvent, ReadAll, Repository, RetryPolicy, SnapshotStore, Uuid,
};
use serde_json::json;
use stores::on_every_store;

/// What every check needs from a store.
trait Store: EventStore + SnapshotStore + LogFollower + Clone {}
impl<S: EventStore + SnapshotStore + LogFollower + Clone> Store for S {}

// ---- The checks ---------------------------------------------------------------

/// v1 and v2 events of one name, stored by older code, load through the v3 enum:
/// into the aggregate and into a projection alike.
async fn old_versions_load_through_upcasters<S: Store>(store: S) {
    append_raw(
        &store,
        "basket-1",
        "basket.item_added",
        1,
        json!({ "sku": "apple" }),
    )
    .await;
    let v2 = json!({ "sku": "pear", "quantity": 3, "price": 1.25 });
    append_raw(&store, "basket-1", "basket.item_added", 2, v2).await;
    let baskets = Repository::<Basket, _>::new(store.clone());
    baskets.execute("1", add("kiwi", 2, 40)).await.unwrap();

    let basket = baskets.load("1").await.unwrap();
    assert_eq!(basket.version, 3);
    let expected: BTreeMap<String, (u32, u64)> = [
        ("apple".to_owned(), (1, 0)),
        ("pear".to_owned(), (3, 125)),
        ("kiwi".to_owned(), (2, 40)),
    ]
    .into();
    assert_eq!(basket.state.lines, expected);

    let stored = store.read_stream("basket-1", 1, 10).await.unwrap();
    let versions: Vec<u32> = stored.iter().map(|e| e.header.event_version).collect();
    assert_eq!(
        versions,
        [1, 2, 3],
        "upcasting reads old events, never rewrites them"
    );

    let target = MemoryTarget::<Revenue>::new();
    let view = target.view();
    ProjectionRunner::new(store, target)
        .catch_up()
        .await
        .unwrap();
    let revenue = read_view(&view, |r| r.cents.clone());
    assert_eq!(
        revenue,
        [
            ("apple".into(), 0),
            ("kiwi".into(), 80),
            ("pear".into(), 375)
        ]
        .into()
    );
}

/// A v2 payload the upcaster cannot read is an error naming the event, the
/// upcaster's version and the event's position.
async fn a_payload_an_upcaster_cannot_read_names_the_event<S: Store>(store: S) {
    append_raw(
        &store,
        "basket-9",
        "basket.item_added",
        2,
        json!({ "sku": "x" }),
    )
    .await;
    let error = Repository::<Basket, _>::new(store)
        .load("9")
        .await
        .unwrap_err();
    let message = cqrs_core::runner::error_chain(&error);
    assert!(
        message.contains("`basket.item_added` (version 2)"),
        "{message}"
    );
    assert!(message.contains("position 1"), "{message}");
    assert!(message.contains("upcaster from version 2"), "{message}");
}

/// With 100,000 events, loading from a snapshot gives what a full replay gives; a
/// corrupted snapshot, or one of an older state version, falls back to replay.
async fn snapshots_of_a_long_stream_equal_full_replay<S: Store>(store: S) {
    const EVENTS: u64 = 100_000;
    let mut version = 0;
    while version < EVENTS {
        let batch: Vec<NewEvent> = (0..1_000)
            .map(|i| {
                let event = BasketEvent::ItemAdded {
                    sku: format!("sku-{}", (version + i) % 97),
                    quantity: 1,
                    price_cents: (version + i) % 1_000,
                };
                NewEvent::from_event(&event, Metadata::default()).unwrap()
            })
            .collect();
        store
            .append("basket-long", ExpectedVersion::Exact(version), batch)
            .await
            .unwrap();
        version += 1_000;
    }
    let replaying = Repository::<Basket, _>::new(store.clone());
    let snapshotting = Repository::<Basket, _>::new(store.clone()).with_snapshots(1_000);
    // One command through the snapshotting repository saves a snapshot...
    snapshotting
        .execute("long", add("pear", 1, 5))
        .await
        .unwrap();
    let snapshot = store.load_snapshot("basket-long").await.unwrap().unwrap();
    assert_eq!((snapshot.version, snapshot.state_version), (EVENTS + 1, 1));
    // ...and events after it are replayed on top.
    for _ in 0..3 {
        replaying.execute("long", add("apple", 2, 7)).await.unwrap();
    }
    let full = replaying.load("long").await.unwrap();
    assert_eq!(full.version, EVENTS + 4);
    assert_eq!(snapshotting.load("long").await.unwrap(), full);

    // A snapshot that says something the events do not is believed: proof that the
    // events before it are not replayed.
    let mut doctored = snapshot.clone();
    doctored.state["lines"]["doctored"] = json!([1, 1]);
    store.save_snapshot(doctored.clone()).await.unwrap();
    let from_snapshot = snapshotting.load("long").await.unwrap();
    assert!(from_snapshot.state.lines.contains_key("doctored"));

    // Corrupted: replayed in full, not an error.
    let mut corrupted = snapshot.clone();
    corrupted.state = json!({ "lines": "not a map" });
    store.save_snapshot(corrupted).await.unwrap();
    assert_eq!(snapshotting.load("long").await.unwrap(), full);

    // Another state version: ignored too.
    doctored.state_version = 2;
    store.save_snapshot(doctored).await.unwrap();
    assert_eq!(snapshotting.load("long").await.unwrap(), full);
}

/// A command id executed twice appends once and returns the first outcome, even
/// once the aggregate would refuse the command now.
async fn a_repeated_command_id_appends_once<S: Store>(store: S) {
    let baskets = Repository::<Basket, _>::new(store.clone());
    let options = ExecuteOptions::default().command_id(Uuid::new_v4());
    let first = baskets
        .execute_with("2", add("apple", 1, 10), options.clone())
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    baskets.execute("2", BasketCommand::Checkout).await.unwrap();
    let again = baskets
        .execute_with("2", add("apple", 1, 10), options)
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(store.stream_version("basket-2").await.unwrap(), 2);

    // The same id on another basket is a mistake, reported as a clash.
    let reused = baskets
        .execute_with(
            "3",
            add("apple", 1, 10),
            ExecuteOptions::default().command_id(first[0].header.metadata.causation_id.unwrap()),
        )
        .await
        .unwrap_err();
    assert!(reused.to_string().contains("basket-2"), "{reused}");
}

/// 16 tasks race copies of one command (a client retrying over a flaky network):
/// exactly one set of events is stored and every copy returns it.
async fn racing_copies_of_one_command_append_once<S: Store>(store: S) {
    let baskets = Arc::new(Repository::<Basket, _>::new(store.clone()));
    baskets.execute("race", add("seed", 1, 1)).await.unwrap();
    let options = ExecuteOptions::default().command_id(Uuid::new_v4());
    let barrier = Arc::new(tokio::sync::Barrier::new(16));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (baskets, options, barrier) = (baskets.clone(), options.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                baskets
                    .execute_with("race", add("apple", 1, 10), options)
                    .await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap().unwrap());
    }
    assert_eq!(store.stream_version("basket-race").await.unwrap(), 2);
    for outcome in &outcomes {
        assert_eq!(outcome.len(), 1);
        assert_eq!(outcome[0].header.event_id, outcomes[0][0].header.event_id);
        assert_eq!(outcome[0].header.stream_version, 2);
    }
}

/// With retry on, 32 tasks adding one item each to one basket all succeed.
async fn retry_lets_32_writers_land<S: Store>(store: S) {
    let baskets =
        Arc::new(Repository::<Basket, _>::new(store).retry_conflicts(RetryPolicy::attempts(200)));
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let baskets = baskets.clone();
            tokio::spawn(async move {
                baskets
                    .execute("busy", add(&format!("sku-{i}"), 1, 1))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let basket = baskets.load("busy").await.unwrap();
    assert_eq!((basket.version, basket.state.lines.len()), (32, 32));
}

/// The same with every writer sharing one cached repository: the cache never
/// hands a state to two commands at once.
async fn retry_with_a_cache_lets_32_writers_land<S: Store>(store: S) {
    let baskets = Arc::new(
        Repository::<Basket, _>::new(store.clone())
            .with_cache(8)
            .retry_conflicts(RetryPolicy::attempts(200)),
    );
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let baskets = baskets.clone();
            tokio::spawn(async move {
                baskets
                    .execute(&format!("busy-{}", i % 2), add(&format!("sku-{i}"), 1, 1))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let uncached = Repository::<Basket, _>::new(store);
    for basket in ["busy-0", "busy-1"] {
        let loaded = uncached.load(basket).await.unwrap();
        assert_eq!((loaded.version, loaded.state.lines.len()), (16, 16));
    }
}

/// A cached aggregate is checked against the store on every command: what another
/// process appended meanwhile is applied before deciding.
async fn a_cached_aggregate_sees_other_writers<S: Store>(store: S) {
    let cached = Repository::<Basket, _>::new(store.clone()).with_cache(100);
    let other_process = Repository::<Basket, _>::new(store.clone());
    cached.execute("c", add("apple", 1, 10)).await.unwrap();
    other_process
        .execute("c", add("pear", 1, 20))
        .await
        .unwrap();
    let third = cached.execute("c", add("kiwi", 1, 30)).await.unwrap();
    assert_eq!(third[0].header.stream_version, 3);
    // The cached state would refuse this (no plum in it); the current one accepts it.
    other_process.execute("c", add("plum", 1, 5)).await.unwrap();
    let removed = cached
        .execute("c", BasketCommand::RemoveItem { sku: "plum".into() })
        .await
        .unwrap();
    assert_eq!(removed[0].header.stream_version, 5);
    other_process
        .execute("c", BasketCommand::Checkout)
        .await
        .unwrap();
    let refused = cached.execute("c", add("plum", 1, 1)).await.unwrap_err();
    assert_eq!(refused.rejection(), Some(&BasketError::CheckedOut));
    // Rejected and conflicting commands leave the cache usable.
    let refused = cached
        .execute_with("c", add("plum", 1, 1), ExecuteOptions::expect_version(2))
        .await
        .unwrap_err();
    assert!(refused.is_conflict());
    assert_eq!(
        cached.load("c").await.unwrap(),
        other_process.load("c").await.unwrap()
    );
}

/// A process manager gives every basket that checks out a loyalty stamp: the
/// stamp's events carry the request's correlation id and user, name the checkout as
/// their cause, and handling the log twice stamps once.
async fn reactions_carry_metadata_and_run_once<S: Store>(store: S) {
    let baskets = Repository::<Basket, _>::new(store.clone());
    let request = Uuid::new_v4();
    let metadata = Metadata {
        correlation_id: Some(request),
        ..Metadata::default()
    }
    .with("user", "ada");
    baskets.execute("7", add("apple", 1, 10)).await.unwrap();
    let checkout = baskets
        .execute_with(
            "7",
            BasketCommand::Checkout,
            ExecuteOptions::default().metadata(metadata),
        )
        .await
        .unwrap();
    assert_eq!(checkout[0].header.metadata.correlation_id, Some(request));

    let stamps = Repository::<Basket, _>::new(store.clone());
    for _ in 0..2 {
        let log = store
            .read_all(ReadAll::from_position(1).only(["basket.checked_out"]))
            .await
            .unwrap();
        for event in log {
            let options = ExecuteOptions::caused_by(&event.header, "loyalty");
            stamps
                .execute_with("stamps", add("stamp", 1, 0), options)
                .await
                .unwrap();
        }
    }
    let stamped = store.read_stream("basket-stamps", 1, 10).await.unwrap();
    assert_eq!(stamped.len(), 1, "the reaction ran twice and appended once");
    let meta = &stamped[0].header.metadata;
    assert_eq!(meta.correlation_id, Some(request));
    assert_eq!(meta.causation_id, Some(checkout[0].header.event_id));
    assert_eq!(meta.extra["user"], "ada");
}

/// Loading as of a version or a time shows the aggregate as it was.
async fn time_travel<S: Store>(store: S) {
    let baskets = Repository::<Basket, _>::new(store.clone()).with_snapshots(2);
    let mut recorded = Vec::new();
    for sku in ["a", "b", "c", "d", "e"] {
        let events = baskets.execute("t", add(sku, 1, 1)).await.unwrap();
        recorded.push(events[0].header.recorded_at);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let at_2 = baskets.load_as_of("t", AsOf::Version(2)).await.unwrap();
    assert_eq!(at_2.version, 2);
    assert_eq!(at_2.state.lines.keys().collect::<Vec<_>>(), ["a", "b"]);
    // A snapshot (at 4) beyond the version asked for is not used.
    let at_3 = baskets.load_as_of("t", AsOf::Version(3)).await.unwrap();
    assert_eq!(at_3.state.lines.len(), 3);
    let at_time = baskets
        .load_as_of("t", AsOf::Time(recorded[3]))
        .await
        .unwrap();
    assert_eq!(at_time.version, 4);
    let before_all = baskets
        .load_as_of("t", AsOf::Time(recorded[0] - chrono::Duration::seconds(1)))
        .await
        .unwrap();
    assert_eq!(before_all.version, 0);
    let beyond = baskets.load_as_of("t", AsOf::Version(99)).await.unwrap();
    assert_eq!(beyond, baskets.load("t").await.unwrap());
}

/// Events a newer deployment wrote (a newer version of a known name, a new name)
/// stop the aggregate and a strict projection with an error naming name, version
/// and position; a `skip_unknown` projection skips them and goes on.
async fn events_from_a_newer_writer<S: Store>(store: S) {
    let baskets = Repository::<Basket, _>::new(store.clone());
    baskets.execute("n", add("apple", 1, 10)).await.unwrap();
    let v4 = json!({ "sku": "pear", "quantity": 1, "price": { "cents": 5 } });
    append_raw(&store, "basket-n", "basket.item_added", 4, v4).await;
    append_raw(&store, "basket-n", "basket.gift_wrapped", 1, json!({})).await;
    baskets.execute("other", add("kiwi", 2, 10)).await.unwrap();

    let error = baskets.load("n").await.unwrap_err();
    let message = cqrs_core::runner::error_chain(&error);
    assert!(
        message.contains("`basket.item_added` (version 4)"),
        "{message}"
    );
    assert!(message.contains("position 2"), "{message}");
    assert!(message.contains("newer than version 3"), "{message}");

    let strict = MemoryTarget::<Revenue>::new();
    let error = ProjectionRunner::new(store.clone(), strict)
        .catch_up()
        .await
        .unwrap_err();
    let ProjectionError::Decode(decode) = &error else {
        panic!("expected a decode error, got {error}");
    };
    assert_eq!((decode.position, decode.event_version), (2, 4));

    let tolerant = MemoryTarget::<TolerantRevenue>::new();
    let view = tolerant.view();
    let progress = ProjectionRunner::new(store, tolerant)
        .catch_up()
        .await
        .unwrap();
    assert_eq!(progress.checkpoint, 4);
    let revenue = read_view(&view, |r| r.cents.clone());
    assert_eq!(revenue, [("apple".into(), 10), ("kiwi".into(), 20)].into());
}

on_every_store!(
    old_versions_load_through_upcasters,
    a_payload_an_upcaster_cannot_read_names_the_event,
    snapshots_of_a_long_stream_equal_full_replay,
    a_repeated_command_id_appends_once,
    racing_copies_of_one_command_append_once,
    retry_lets_32_writers_land,
    retry_with_a_cache_lets_32_writers_land,
    a_cached_aggregate_sees_other_writers,
    reactions_carry_metadata_and_run_once,
    time_travel,
    events_from_a_newer_writer,
);

#[test]
fn persisted_names_and_versions_are_pinned() {
    let types: Vec<(&str, u32, &str)> = BasketEvent::EVENT_TYPES
        .iter()
        .map(|t| (t.name, t.version, t.variant))
        .collect();
    assert_eq!(
        types,
        [
            ("basket.item_added", 3, "ItemAdded"),
            ("basket.item_removed", 1, "ItemRemoved"),
            ("basket.checked_out", 1, "CheckedOut")
        ]
    );
}
