//! The write path from a user's crate: load, decide, append, with every failure typed.
#![deny(warnings)]

mod common;

use std::sync::Arc;

use common::{Cart, CartCommand, CartError, CartEvent, Shop};
use cqrs_core::{
    CommandError, EventStore, ExecuteOptions, ExpectedVersion, InMemoryEventStore, Metadata,
    NewEvent, ReadAll, Repository, RetryPolicy, Uuid,
};
use serde_json::json;

fn carts(store: &InMemoryEventStore) -> Repository<Cart, InMemoryEventStore> {
    Repository::with_services(
        store.clone(),
        Shop::with_prices(&[("apple", 30), ("pear", 55)]),
    )
}

fn add(sku: &str, quantity: u32) -> CartCommand {
    CartCommand::AddItem {
        sku: sku.into(),
        quantity,
    }
}

#[tokio::test]
async fn execute_appends_and_returns_the_committed_envelopes() {
    let store = InMemoryEventStore::new();
    let carts = carts(&store);
    let first = carts.execute("7", add("apple", 2)).await.unwrap();
    let second = carts.execute("7", add("pear", 1)).await.unwrap();

    assert_eq!(first.len(), 1);
    assert_eq!(first[0].header.stream_id, "cart-7");
    assert_eq!(first[0].header.stream_version, 1);
    assert_eq!(second[0].header.stream_version, 2);
    assert!(second[0].header.position > first[0].header.position);
    assert_eq!(second[0].header.event_name, "cart.item_added");
    assert_eq!(second[0].header.event_version, 2);
    assert_eq!(
        second[0].event,
        CartEvent::ItemAdded {
            sku: "pear".into(),
            quantity: 1,
            unit_price_cents: 55
        }
    );
    let stored = store.read_stream("cart-7", 1, 10).await.unwrap();
    assert_eq!(stored[1].header.event_id, second[0].header.event_id);
    assert_eq!(
        stored[1].payload,
        json!({ "sku": "pear", "quantity": 1, "unit_price_cents": 55 })
    );

    let cart = carts.load("7").await.unwrap();
    assert_eq!(cart.version, 2);
    assert_eq!(cart.state.lines.len(), 2);
}

#[tokio::test]
async fn a_rejected_command_returns_the_aggregate_error_and_appends_nothing() {
    let store = InMemoryEventStore::new();
    let carts = carts(&store);
    let error = carts.execute("7", add("apple", 0)).await.unwrap_err();
    assert!(
        matches!(error, CommandError::Rejected(CartError::ZeroQuantity)),
        "{error:?}"
    );
    let error = carts.execute("7", add("kiwi", 1)).await.unwrap_err();
    assert_eq!(
        error.rejection(),
        Some(&CartError::UnknownProduct("kiwi".into()))
    );
    assert_eq!(error.to_string(), "no price for `kiwi`");
    assert_eq!(store.head_position().await.unwrap(), 0);
}

#[tokio::test]
async fn a_command_that_decides_nothing_appends_nothing() {
    let store = InMemoryEventStore::new();
    let carts = carts(&store);
    assert!(
        carts
            .execute("7", CartCommand::Touch)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.head_position().await.unwrap(), 0);
}

#[tokio::test]
async fn metadata_records_the_command_as_cause_and_keeps_the_callers_values() {
    let store = InMemoryEventStore::new();
    let carts = carts(&store);
    let command_id = Uuid::new_v4();
    let correlation = Uuid::new_v4();
    let options = ExecuteOptions {
        command_id: Some(command_id),
        metadata: Metadata {
            correlation_id: Some(correlation),
            ..Metadata::default()
        }
        .with("user", "ada"),
        ..ExecuteOptions::default()
    };
    let committed = carts
        .execute_with("7", add("apple", 1), options)
        .await
        .unwrap();
    let stored = store.read_stream("cart-7", 1, 1).await.unwrap();
    for metadata in [&committed[0].header.metadata, &stored[0].header.metadata] {
        assert_eq!(metadata.causation_id, Some(command_id));
        assert_eq!(metadata.correlation_id, Some(correlation));
        assert_eq!(metadata.extra["user"], "ada");
    }
}

#[tokio::test]
async fn an_expected_version_that_does_not_match_is_a_conflict_with_both_versions() {
    let store = InMemoryEventStore::new();
    let carts = carts(&store);
    carts.execute("7", add("apple", 1)).await.unwrap();
    let error = carts
        .execute_with("7", add("pear", 1), ExecuteOptions::expect_version(0))
        .await
        .unwrap_err();
    match error {
        CommandError::Conflict {
            stream_id,
            expected,
            actual,
        } => {
            assert_eq!(stream_id, "cart-7");
            assert_eq!(expected, ExpectedVersion::Exact(0));
            assert_eq!(actual, 1);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.stream_version("cart-7").await.unwrap(), 1);
    carts
        .execute_with("7", add("pear", 1), ExecuteOptions::expect_version(1))
        .await
        .unwrap();
}

/// Two processes (two repositories) load the same version and decide at the same
/// time: the loser gets a conflict; with a retry policy it reloads and succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_commands_conflict_once_and_retry_when_asked() {
    for retrying in [false, true] {
        let store = InMemoryEventStore::new();
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = ["apple", "pear"]
            .into_iter()
            .map(|sku| {
                let shop = Shop {
                    barrier: Some(barrier.clone()),
                    ..Shop::default()
                };
                let carts = Repository::<Cart, _>::with_services(store.clone(), shop)
                    .retry_conflicts(RetryPolicy::NEVER);
                tokio::spawn(async move {
                    let command = CartCommand::AddAfterBarrier { sku: sku.into() };
                    carts
                        .execute_with("race", command, ExecuteOptions::default())
                        .await
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        let conflicts = outcomes
            .iter()
            .filter(|o| matches!(o, Err(e) if e.is_conflict()))
            .count();
        assert_eq!(
            conflicts, 1,
            "exactly one of two racing writers must lose: {outcomes:?}"
        );
        assert_eq!(store.stream_version("cart-race").await.unwrap(), 1);
        if retrying {
            // The barrier is spent; a retrying execute now reloads version 1 and wins.
            let retrying_carts =
                Repository::<Cart, _>::with_services(store.clone(), Shop::default())
                    .retry_conflicts(RetryPolicy::attempts(3));
            retrying_carts
                .execute("race", CartCommand::AddAfterBarrier { sku: "kiwi".into() })
                .await
                .unwrap();
            assert_eq!(store.stream_version("cart-race").await.unwrap(), 2);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commands_on_one_cart_all_land_through_retries() {
    let store = InMemoryEventStore::new();
    let carts = Arc::new(carts(&store).retry_conflicts(RetryPolicy::attempts(64)));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let carts = carts.clone();
            tokio::spawn(async move { carts.execute("busy", add("apple", 1)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let cart = carts.load("busy").await.unwrap();
    assert_eq!(cart.version, 20);
    assert_eq!(cart.state.lines["apple"], 20);
}

async fn append_raw(
    store: &InMemoryEventStore,
    name: &str,
    version: u32,
    payload: serde_json::Value,
) {
    let event = NewEvent::new(name, version, payload);
    store
        .append("cart-bad", ExpectedVersion::Any, vec![event])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_payload_that_does_not_decode_names_stream_version_event_and_position() {
    let store = InMemoryEventStore::new();
    append_raw(&store, "cart.checked_out", 1, serde_json::Value::Null).await;
    append_raw(&store, "cart.item_added", 2, json!({ "sku": 5 })).await;
    let error = carts(&store).load("bad").await.unwrap_err();
    let CommandError::Decode(decode) = &error else {
        panic!("expected a decode error, got {error:?}")
    };
    assert_eq!(decode.stream_id, "cart-bad");
    assert_eq!(decode.stream_version, 2);
    assert_eq!(decode.position, 2);
    assert_eq!(decode.event_name, "cart.item_added");
    let message = error.to_string();
    assert!(
        message.contains("cart-bad")
            && message.contains("cart.item_added")
            && message.contains("position 2"),
        "{message}"
    );
}

#[tokio::test]
async fn unknown_names_and_newer_versions_are_decode_errors() {
    let store = InMemoryEventStore::new();
    append_raw(&store, "cart.renamed", 1, json!({})).await;
    let error = carts(&store).load("bad").await.unwrap_err();
    assert!(error.to_string().contains("cart.renamed"), "{error}");
    let source = std::error::Error::source(&error)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        source.contains("unknown event name `cart.renamed`"),
        "{source}"
    );

    let store = InMemoryEventStore::new();
    append_raw(
        &store,
        "cart.item_added",
        3,
        json!({ "sku": "a", "quantity": 1, "unit_price_cents": 1 }),
    )
    .await;
    let error = carts(&store).load("bad").await.unwrap_err();
    let source = std::error::Error::source(&error)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        source.contains("version 3, newer than version 2"),
        "{source}"
    );
}

#[tokio::test]
async fn older_event_versions_still_decode() {
    let store = InMemoryEventStore::new();
    append_raw(
        &store,
        "cart.item_added",
        1,
        json!({ "sku": "a", "quantity": 2, "unit_price_cents": 1 }),
    )
    .await;
    let cart = carts(&store).load("bad").await.unwrap();
    assert_eq!(cart.state.lines["a"], 2);
}

#[tokio::test]
async fn the_global_log_holds_every_cart_in_commit_order() {
    let store = InMemoryEventStore::new();
    let carts = carts(&store);
    carts.execute("1", add("apple", 1)).await.unwrap();
    carts.execute("2", add("pear", 1)).await.unwrap();
    carts.execute("1", CartCommand::Checkout).await.unwrap();
    let all = store.read_all(ReadAll::from_position(1)).await.unwrap();
    let streams: Vec<&str> = all.iter().map(|e| e.header.stream_id.as_str()).collect();
    assert_eq!(streams, ["cart-1", "cart-2", "cart-1"]);
    let checked_out = store
        .read_all(ReadAll::from_position(1).only(["cart.checked_out"]))
        .await
        .unwrap();
    assert_eq!(checked_out.len(), 1);
}

#[tokio::test]
async fn snapshots_are_kept_every_n_events_and_loading_starts_from_them() {
    use cqrs_core::SnapshotStore;
    let store = InMemoryEventStore::new();
    let carts = carts(&store).with_snapshots(5);
    for _ in 0..12 {
        carts.execute("7", add("apple", 1)).await.unwrap();
    }
    let snapshot = store.load_snapshot("cart-7").await.unwrap().unwrap();
    assert_eq!(
        snapshot.version, 10,
        "taken when the stream crossed 5 and 10"
    );
    assert_eq!(snapshot.state["lines"]["apple"], 10);
    let cart = carts.load("7").await.unwrap();
    assert_eq!((cart.version, cart.state.lines["apple"]), (12, 12));

    // A snapshot that says something the events do not: loading believes it, which
    // shows the events before it are not replayed.
    let mut doctored = snapshot.clone();
    doctored.state["lines"]["pear"] = json!(7);
    store.save_snapshot(doctored).await.unwrap();
    let cart = carts.load("7").await.unwrap();
    assert_eq!(
        (
            cart.version,
            cart.state.lines["pear"],
            cart.state.lines["apple"]
        ),
        (12, 7, 12)
    );
}

#[tokio::test]
async fn a_snapshot_that_no_longer_decodes_is_ignored() {
    use cqrs_core::SnapshotStore;
    let store = InMemoryEventStore::new();
    let carts = carts(&store).with_snapshots(2);
    for _ in 0..3 {
        carts.execute("7", add("apple", 1)).await.unwrap();
    }
    let mut stale = store.load_snapshot("cart-7").await.unwrap().unwrap();
    stale.state = json!({ "an": "older shape" });
    store.save_snapshot(stale).await.unwrap();
    let cart = carts.load("7").await.unwrap();
    assert_eq!(
        (cart.version, cart.state.lines["apple"]),
        (3, 3),
        "replayed in full"
    );
}
