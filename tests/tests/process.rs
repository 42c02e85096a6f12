//! A process manager across two aggregates, on every store: an order placed reserves
//! stock for each of its lines (several commands for one event), and every event
//! delivered again, after a crash or a rebuild from position 0, sends nothing twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/fulfilment.rs"]
mod fulfilment;
#[path = "common/stores.rs"]
mod stores;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use cqrs_core::{Repository, Store};
use fulfilment::{Fulfilment, HOUR, Order, OrderCommand, OrderEvent, Stock, StockCommand, runner};
use stores::on_every_store;

on_every_store!(
    every_line_is_reserved_once_across_a_crash_and_a_full_redelivery,
    a_finished_or_unknown_instance_ignores_later_events,
    a_deadline_due_while_no_worker_ran_fires_once_after_a_restart
);

/// Order 1's payment deadline comes due while no worker runs: after a restart it
/// fires once and releases the order's stock; order 2's is not due, order 3's was
/// cancelled with the order. Catching up and rebuilding again send nothing.
async fn a_deadline_due_while_no_worker_ran_fires_once_after_a_restart<S: Store>(store: S) {
    let orders = Repository::<Order, S>::new(store.clone());
    let stock = Repository::<Stock, S>::new(store.clone());
    let place = |lines: &[(&str, u32)], pay_within_ms| OrderCommand::Place {
        lines: lines
            .iter()
            .map(|(sku, n)| ((*sku).to_owned(), *n))
            .collect(),
        pay_within_ms,
    };
    orders
        .execute("1", place(&[("apple", 2), ("pear", 1)], 200))
        .await
        .unwrap();
    orders
        .execute("2", place(&[("apple", 1)], HOUR))
        .await
        .unwrap();
    orders
        .execute("3", place(&[("fig", 1)], 200))
        .await
        .unwrap();
    orders.execute("3", OrderCommand::Cancel).await.unwrap();

    let (mut first, first_sends) = runner(&store, None);
    first.catch_up().await.unwrap();
    drop(first);
    // Every worker is down while the deadlines come due.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (mut second, second_sends) = runner(&store, None);
    second.catch_up().await.unwrap();
    let sends = || first_sends.load(Ordering::SeqCst) + second_sends.load(Ordering::SeqCst);
    assert_eq!(
        sends(),
        6,
        "four reservations, then two releases for order 1"
    );
    second.catch_up().await.unwrap();
    second.rebuild(|_| {}).await.unwrap();
    assert_eq!(sends(), 6, "nothing is sent twice");

    let apple = stock.load("apple").await.unwrap().state.reserved;
    assert_eq!(apple, BTreeMap::from([("order-2".to_owned(), 1)]));
    assert!(stock.load("pear").await.unwrap().state.reserved.is_empty());
    let fig = stock.load("fig").await.unwrap().state.reserved;
    assert_eq!(
        fig,
        BTreeMap::from([("order-3".to_owned(), 1)]),
        "a cancelled deadline never fires"
    );
}

async fn every_line_is_reserved_once_across_a_crash_and_a_full_redelivery<S: Store>(store: S) {
    let orders = Repository::<Order, S>::new(store.clone());
    let stock = Repository::<Stock, S>::new(store.clone());
    let lines = vec![("apple".to_owned(), 2), ("pear".to_owned(), 3)];
    orders
        .execute(
            "1",
            OrderCommand::Place {
                lines,
                pay_within_ms: HOUR,
            },
        )
        .await
        .unwrap();
    orders
        .execute(
            "2",
            OrderCommand::Place {
                lines: vec![("apple".to_owned(), 5)],
                pay_within_ms: HOUR,
            },
        )
        .await
        .unwrap();

    // The process dies after the first reservation of order 1.
    let (mut crashing, _) = runner(&store, Some(1));
    let error = crashing.catch_up().await.unwrap_err();
    assert!(error.to_string().contains("fulfilment"), "{error}");
    assert_eq!(stock.load("apple").await.unwrap().version, 1);
    assert_eq!(stock.load("pear").await.unwrap().version, 0);

    // Restarted: order 1 is handled again on its state before, its first reservation
    // is sent again and taken as the repeat it is; order 2 follows.
    let (mut restarted, sends) = runner(&store, None);
    restarted.catch_up().await.unwrap();
    assert_eq!(sends.load(Ordering::SeqCst), 3);
    // Every event delivered again from position 0: nothing handled, nothing sent.
    restarted.rebuild(|_| {}).await.unwrap();
    assert_eq!(sends.load(Ordering::SeqCst), 3, "no command is sent again");

    let apple = stock.load("apple").await.unwrap();
    assert_eq!(apple.version, 2, "one reservation per order");
    assert_eq!(apple.state.reserved["order-1"], 2);
    assert_eq!(apple.state.reserved["order-2"], 5);
    let pear = stock.load("pear").await.unwrap();
    assert_eq!((pear.version, pear.state.reserved["order-1"]), (1, 3));
    // Each reservation names the order's event as its cause.
    let placed = store.read_stream("order-1", 1, 1).await.unwrap();
    let reserved = store.read_stream("stock-pear", 1, 1).await.unwrap();
    assert_eq!(
        reserved[0].header.metadata.causation_id,
        Some(placed[0].header.event_id)
    );
    // The instance's state is in its own stream.
    let instance = store
        .read_stream("process:fulfilment:1", 1, 10)
        .await
        .unwrap();
    assert_eq!(instance.len(), 1);
    assert_eq!(instance[0].header.event_name, "process.handled");
}

async fn a_finished_or_unknown_instance_ignores_later_events<S: Store>(store: S) {
    let orders = Repository::<Order, S>::new(store.clone());
    let stock = Repository::<Stock, S>::new(store.clone());
    // Cancelled before it was ever placed: no instance to continue.
    orders.execute("9", OrderCommand::Cancel).await.unwrap();
    orders
        .execute(
            "1",
            OrderCommand::Place {
                lines: vec![("fig".to_owned(), 1)],
                pay_within_ms: HOUR,
            },
        )
        .await
        .unwrap();
    orders.execute("1", OrderCommand::Cancel).await.unwrap();
    // Placed again after the instance finished: ignored.
    orders
        .execute(
            "1",
            OrderCommand::Place {
                lines: vec![("fig".to_owned(), 7)],
                pay_within_ms: HOUR,
            },
        )
        .await
        .unwrap();
    let (mut runner, sends) = runner(&store, None);
    runner.catch_up().await.unwrap();
    assert_eq!(sends.load(Ordering::SeqCst), 1);
    assert_eq!(
        stock.load("fig").await.unwrap().state.reserved["order-1"],
        1
    );
    assert_eq!(
        store.stream_version("process:fulfilment:9").await.unwrap(),
        0
    );
    assert_eq!(
        store.stream_version("process:fulfilment:1").await.unwrap(),
        2
    );
}

/// Every transition of the fulfilment process, without a store.
#[test]
fn each_transition_of_fulfilment() {
    use cqrs_core::testing::ProcessFixture;
    let placed = OrderEvent::Placed {
        lines: vec![("apple".to_owned(), 2), ("pear".to_owned(), 3)],
        pay_within_ms: HOUR,
    };
    let reserve = |sku: &str, units| {
        (
            sku.to_owned(),
            StockCommand::Reserve {
                order: "order-1".into(),
                units,
            },
        )
    };
    // Placed: one reservation per line, in order, and a payment deadline.
    let fixture = ProcessFixture::<Fulfilment>::new()
        .when_on("order-1", placed.clone())
        .then_expect_commands([reserve("apple", 2), reserve("pear", 3)]);
    assert_eq!(fixture.instance("1").map(|f| f.reserved), Some(5));
    assert_eq!(fixture.deadlines("1"), ["payment"]);
    // The payment deadline passes: every line released, the deadline gone.
    let release = |sku: &str| {
        let order = "order-1".to_owned();
        (sku.to_owned(), StockCommand::Release { order })
    };
    let expired = ProcessFixture::<Fulfilment>::new()
        .given_on("order-1", [placed.clone()])
        .when_deadline("1", "payment")
        .then_expect_commands([release("apple"), release("pear")]);
    assert!(expired.deadlines("1").is_empty());
    // Cancelled: nothing sent, the instance is done; placed again: ignored.
    let fixture = fixture
        .when_on("order-1", OrderEvent::Cancelled)
        .then_expect_commands([]);
    assert!(fixture.is_done("1"));
    assert!(
        fixture.deadlines("1").is_empty(),
        "cancelled with the order"
    );
    fixture.when_on("order-1", placed).then_expect_commands([]);
    // Cancelled without an instance: ignored, no instance made.
    let fixture = ProcessFixture::<Fulfilment>::new()
        .when_on("order-9", OrderEvent::Cancelled)
        .then_expect_commands([]);
    assert!(fixture.instance("9").is_none());
}
