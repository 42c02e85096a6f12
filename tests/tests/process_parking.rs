//! A process manager whose commands keep failing for one instance parks that
//! instance's events instead of stopping: every other instance goes on, and an
//! operator lists, retries or evicts what is parked, on every store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/fulfilment.rs"]
mod fulfilment;
#[path = "common/stores.rs"]
mod stores;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use cqrs_core::runner::ProjectionRunner;
use cqrs_core::{Repository, Store};
use fulfilment::{HOUR, Order, OrderCommand, Stock, target};
use stores::on_every_store;

on_every_store!(
    a_refused_command_parks_only_its_instance_until_an_operator_retries,
    evicted_events_are_dropped_and_the_instance_goes_on
);

fn place(lines: &[(&str, u32)]) -> OrderCommand {
    OrderCommand::Place {
        lines: lines
            .iter()
            .map(|(sku, n)| ((*sku).to_owned(), *n))
            .collect(),
        pay_within_ms: HOUR,
    }
}

async fn a_refused_command_parks_only_its_instance_until_an_operator_retries<S: Store>(store: S) {
    let orders = Repository::<Order, S>::new(store.clone());
    let stock = Repository::<Stock, S>::new(store.clone());
    orders
        .execute("1", place(&[("apple", 1), ("durian", 2)]))
        .await
        .unwrap();
    orders.execute("2", place(&[("apple", 3)])).await.unwrap();
    orders.execute("1", OrderCommand::Cancel).await.unwrap();

    let refused = Arc::new(Mutex::new(Some("durian".to_owned())));
    let (worker, _) = target(&store, None, refused.clone());
    let mut runner = ProjectionRunner::new(store.clone(), worker.park_after(2));
    // The first failure stops the manager, to be retried; the second parks order 1.
    assert!(runner.catch_up().await.is_err());
    runner.catch_up().await.unwrap();
    let status = runner.watch_status().borrow().clone();
    assert_eq!(status.waiting.parked, 2, "status shows the parked events");
    assert_eq!(
        status.waiting.deadlines, 1,
        "order 2's payment deadline; order 1's waits"
    );
    let apple = stock.load("apple").await.unwrap().state.reserved;
    assert_eq!(apple["order-2"], 3, "the other order went on");
    assert_eq!(
        apple["order-1"], 1,
        "what was sent before the failure stays sent"
    );

    let (mut operator, sends) = target(&store, None, refused.clone());
    let parked = operator.parked().await.unwrap();
    assert_eq!(parked.len(), 1);
    let (instance, events) = &parked[0];
    assert_eq!(instance, "1");
    let names: Vec<&str> = events.iter().map(|p| p.event_name.as_str()).collect();
    assert_eq!(
        names,
        ["order.placed", "order.cancelled"],
        "in the order they came"
    );
    assert!(events[0].error.contains("durian"), "{}", events[0].error);
    assert!(
        events[1].error.contains("waits behind"),
        "{}",
        events[1].error
    );

    // Still refused: nothing moves, the error is kept.
    assert_eq!(operator.retry_parked("1").await.unwrap(), 2);
    // Fixed: both events handled in order, the apple reservation not sent twice.
    *refused.lock().unwrap() = None;
    assert_eq!(operator.retry_parked("1").await.unwrap(), 0);
    assert!(operator.parked().await.unwrap().is_empty());
    let durian = stock.load("durian").await.unwrap().state.reserved;
    assert_eq!(durian, BTreeMap::from([("order-1".to_owned(), 2)]));
    assert_eq!(
        stock.load("apple").await.unwrap().version,
        2,
        "one reservation per order"
    );
    let sent = sends.load(Ordering::SeqCst);

    // Everything delivered again from position 0: nothing handled twice.
    runner.rebuild(|_| {}).await.unwrap();
    assert_eq!(runner.watch_status().borrow().waiting.parked, 0);
    assert_eq!(sends.load(Ordering::SeqCst), sent);
    assert_eq!(stock.load("durian").await.unwrap().version, 1);
}

async fn evicted_events_are_dropped_and_the_instance_goes_on<S: Store>(store: S) {
    let orders = Repository::<Order, S>::new(store.clone());
    let stock = Repository::<Stock, S>::new(store.clone());
    orders.execute("1", place(&[("durian", 1)])).await.unwrap();
    let refused = Arc::new(Mutex::new(Some("durian".to_owned())));
    let (worker, _) = target(&store, None, refused.clone());
    let mut runner = ProjectionRunner::new(store.clone(), worker.park_after(1));
    runner.catch_up().await.unwrap();

    let (mut operator, _) = target(&store, None, refused.clone());
    assert_eq!(operator.evict_parked("1").await.unwrap(), 1);
    assert_eq!(operator.evict_parked("1").await.unwrap(), 0, "nothing left");
    assert!(operator.parked().await.unwrap().is_empty());
    // Its next event is handled as usual, on the state from before the evicted one.
    *refused.lock().unwrap() = None;
    orders.execute("1", OrderCommand::Cancel).await.unwrap();
    runner.catch_up().await.unwrap();
    assert!(operator.parked().await.unwrap().is_empty());
    assert_eq!(
        stock.load("durian").await.unwrap().version,
        0,
        "the evicted event is not retried"
    );
}
