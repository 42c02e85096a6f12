//! Two workers run one process manager, one active at a time: the standby takes
//! over when the active one stops, and no command is sent twice, on every store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/fulfilment.rs"]
mod fulfilment;
#[path = "common/stores.rs"]
mod stores;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cqrs_core::runner::{ProjectionStatus, RunState};
use cqrs_core::{Repository, Store};
use fulfilment::{HOUR, Order, OrderCommand, Stock, runner};
use stores::on_every_store;
use tokio::sync::{oneshot, watch};

on_every_store!(two_workers_one_active_then_takeover);

fn place(sku: &str) -> OrderCommand {
    OrderCommand::Place {
        lines: vec![(sku.to_owned(), 1)],
        pay_within_ms: HOUR,
    }
}

async fn wait_for(
    status: &mut watch::Receiver<ProjectionStatus>,
    what: &str,
    ready: impl FnMut(&ProjectionStatus) -> bool,
) {
    tokio::time::timeout(Duration::from_secs(20), status.wait_for(ready))
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
        .unwrap();
}

async fn two_workers_one_active_then_takeover<S: Store>(store: S) {
    let orders = Repository::<Order, S>::new(store.clone());
    let stock = Repository::<Stock, S>::new(store.clone());
    for n in 1..=3 {
        orders
            .execute(&n.to_string(), place("apple"))
            .await
            .unwrap();
    }
    let head = store.head_position().await.unwrap();

    let mut workers = Vec::new();
    for _ in 0..2 {
        let (mut runner, sends) = runner(&store, None);
        let status = runner.watch_status();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            runner
                .run_exclusive(Duration::from_millis(50), async {
                    let _ = stopped.await;
                })
                .await
        });
        workers.push((status, stop, task, sends));
    }
    // One of them catches up and is live; the other waits on standby.
    let mut live = None;
    for (index, (status, ..)) in workers.iter_mut().enumerate() {
        let now = status.borrow().clone();
        if now.state == RunState::Live && now.checkpoint >= head {
            live = Some(index);
        }
    }
    if live.is_none() {
        let (first, second) = workers.split_at_mut(1);
        tokio::select! {
            _ = wait_for(&mut first[0].0, "a live worker", |s| s.state == RunState::Live && s.checkpoint >= head) => live = Some(0),
            _ = wait_for(&mut second[0].0, "a live worker", |s| s.state == RunState::Live && s.checkpoint >= head) => live = Some(1),
        }
    }
    let active = live.unwrap();
    let standby = 1 - active;
    wait_for(&mut workers[standby].0, "the other on standby", |s| {
        s.state == RunState::Standby
    })
    .await;
    assert_eq!(stock.load("apple").await.unwrap().version, 3);

    // The active worker stops; the standby takes over and handles what comes next.
    let (_, stop, task, active_sends) = workers.remove(active);
    let _ = stop.send(());
    task.await.unwrap();
    orders.execute("4", place("pear")).await.unwrap();
    let head = store.head_position().await.unwrap();
    let (mut status, stop, task, standby_sends) = workers.remove(0);
    wait_for(&mut status, "the takeover", |s| {
        s.state == RunState::Live && s.checkpoint >= head
    })
    .await;
    assert_eq!(stock.load("pear").await.unwrap().version, 1);
    assert_eq!(
        stock.load("apple").await.unwrap().version,
        3,
        "nothing twice"
    );
    let sent = active_sends.load(Ordering::SeqCst) + standby_sends.load(Ordering::SeqCst);
    assert_eq!(
        sent, 4,
        "each reservation sent once, by one worker or the other"
    );
    let _ = stop.send(());
    task.await.unwrap();
}
