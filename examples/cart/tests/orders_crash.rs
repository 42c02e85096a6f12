//! `kill -9` of a fulfilment worker (`cart projections run`, a real process) while
//! it moves many orders through their steps, on SQLite and PostgreSQL: after a
//! restart every order has done each step exactly once. Loopback only, bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cart::domain::CartEvent;
use cart::orders::stock::Stock;
use cart::service::CartApp;
use cqrs_core::{ExpectedVersion, Metadata, NewEvent, ReadAll, Repository, Store};
use support::{Backend, on_every_store_with_store as on_every_store};

on_every_store!(a_fulfilment_worker_killed_mid_way_completes_each_order_once);

const ORDERS: usize = 120;

struct Worker(Child);

impl Worker {
    fn start(backend: &Backend) -> Worker {
        Worker(
            Command::new(env!("CARGO_BIN_EXE_cart"))
                .args(backend.cli_args())
                .args(["projections", "run"])
                .env_remove("DATABASE_URL")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }

    /// SIGKILL: no clean-up, no released lease.
    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How many events of each name the log holds, and each stream's event names.
async fn census<S: Store>(store: &S) -> (BTreeMap<String, usize>, BTreeMap<String, Vec<String>>) {
    let log = store
        .read_all(ReadAll::from_position(1).limit(1_000_000))
        .await
        .unwrap();
    let mut names = BTreeMap::new();
    let mut streams: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for event in log {
        *names
            .entry(event.header.event_name.to_string())
            .or_insert(0) += 1;
        streams
            .entry(event.header.stream_id.to_string())
            .or_default()
            .push(event.header.event_name.to_string());
    }
    (names, streams)
}

async fn a_fulfilment_worker_killed_mid_way_completes_each_order_once<S: Store>(
    backend: &Backend,
    store: S,
) {
    let app = CartApp::new(store.clone());
    app.orders().set_stock("apple", 10_000).await.unwrap();
    app.orders().set_stock("pear", 10_000).await.unwrap();
    drop(app);
    // Checkouts recorded by processes that run no fulfilment.
    for n in 0..ORDERS {
        let events = [
            CartEvent::ItemAdded {
                sku: "apple".into(),
                quantity: 2,
                unit_price_cents: 40,
            },
            CartEvent::ItemAdded {
                sku: "pear".into(),
                quantity: 1,
                unit_price_cents: 65,
            },
            CartEvent::CheckedOut {
                total_cents: 145,
                lines: [("apple".to_owned(), 2), ("pear".to_owned(), 1)].into(),
            },
        ];
        let events = events
            .iter()
            .map(|e| NewEvent::from_event(e, Metadata::default()).unwrap())
            .collect();
        store
            .append(&format!("cart-k{n}"), ExpectedVersion::Any, events)
            .await
            .unwrap();
    }

    // Killed once it has reserved some stock, long before it is through.
    let worker = Worker::start(backend);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (names, _) = census(&store).await;
        if names.get("stock.reserved").copied().unwrap_or(0) >= 20 {
            break;
        }
        assert!(Instant::now() < deadline, "the worker never reserved stock");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    worker.kill();
    let (at_kill, _) = census(&store).await;
    let awaiting = at_kill.get("order.awaiting_payment").copied().unwrap_or(0);
    eprintln!("killed with {at_kill:?}");
    assert!(awaiting < ORDERS, "killed after the worker was through");

    // Restarted: every order moves on to its payment.
    let worker = Worker::start(backend);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (names, _) = census(&store).await;
        if names.get("order.awaiting_payment").copied().unwrap_or(0) >= ORDERS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the restarted worker did not finish: {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(worker);

    // Each step exactly once.
    let (names, streams) = census(&store).await;
    for (name, per_order) in [
        ("order.placed", 1),
        ("stock.reserved", 2),
        ("payment.requested", 1),
        ("order.awaiting_payment", 1),
        ("process.handled", 4),
    ] {
        assert_eq!(
            names.get(name).copied(),
            Some(per_order * ORDERS),
            "{name}: {names:?}"
        );
    }
    for (stream, events) in &streams {
        if stream.starts_with("order-") {
            assert_eq!(
                events,
                &["order.placed", "order.awaiting_payment"],
                "{stream}"
            );
        }
    }
    for (sku, units) in [("apple", 2), ("pear", 1)] {
        let stock = Repository::<Stock, S>::new(store.clone())
            .load(sku)
            .await
            .unwrap()
            .state;
        assert_eq!(stock.reserved() as usize, units * ORDERS, "{sku}");
    }
}
