//! The order fulfilment on SQLite and PostgreSQL, in this process: an order paid,
//! short, refused, late (with every worker down), a compensation that keeps failing
//! (parked alone), a full redelivery, two workers with one active.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::time::{Duration, Instant};

use cart::domain::{CartCommand, CartEvent};
use cart::orders::fulfilment::NAME;
use cart::orders::order::OrderStatus;
use cart::orders::payment::{PaymentError, PaymentStatus};
use cart::orders::service::fulfilment_runner;
use cart::orders::stock::Stock;
use cart::service::{AppError, CartApp};
use cqrs_core::runner::{RunState, RunnerOptions};
use cqrs_core::{ExpectedVersion, NewEvent, ReadAll, Repository, Store};
use support::{Backend, on_every_store_with_store as on_every_store};

on_every_store!(
    a_paid_order_is_confirmed_and_ships_its_stock_once,
    a_shortage_rejects_the_order_and_reopens_the_cart,
    a_failed_payment_cancels_the_order_and_releases_its_stock,
    a_deadline_due_while_every_worker_was_down_fires_after_the_restart,
    a_compensation_that_keeps_failing_parks_only_its_order,
    two_workers_one_active,
);

async fn add(app: &CartApp<impl Store>, cart: &str, sku: &str, quantity: u32) {
    let command = CartCommand::AddItem {
        sku: sku.into(),
        quantity,
        unit_price_cents: 100,
    };
    app.execute(cart, command, None).await.unwrap();
}

async fn checkout(app: &CartApp<impl Store>, cart: &str) -> String {
    let committed = app
        .execute(cart, CartCommand::Checkout, None)
        .await
        .unwrap();
    committed.order.expect("a checkout names its order")
}

async fn stock<S: Store>(store: &S, sku: &str) -> Stock {
    Repository::<Stock, S>::new(store.clone())
        .load(sku)
        .await
        .unwrap()
        .state
}

/// Every event of the log, as (stream, name).
async fn log<S: Store>(store: &S) -> Vec<(String, String)> {
    store
        .read_all(ReadAll::from_position(1).limit(100_000))
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.header.stream_id.to_string(),
                e.header.event_name.to_string(),
            )
        })
        .collect()
}

async fn a_paid_order_is_confirmed_and_ships_its_stock_once<S: Store>(_: &Backend, store: S) {
    let app = CartApp::new(store.clone());
    app.orders().set_stock("apple", 5).await.unwrap();
    app.orders().set_stock("pear", 2).await.unwrap();
    add(&app, "alice", "apple", 3).await;
    add(&app, "alice", "pear", 1).await;
    let order = checkout(&app, "alice").await;
    let placed = app.orders().get(&order).await.unwrap();
    assert_eq!(placed.status, OrderStatus::AwaitingPayment);
    assert_eq!(placed.cart, "alice");
    assert_eq!(placed.total_cents, 400);
    assert!(placed.payment_due.is_some());
    assert_eq!(stock(&store, "apple").await.free(), 2, "3 reserved");

    let paid = app.orders().settle_payment(&order, None).await.unwrap();
    assert_eq!(paid, PaymentStatus::Confirmed);
    let confirmed = app.orders().get(&order).await.unwrap();
    assert_eq!(confirmed.status, OrderStatus::Confirmed);
    let apple = stock(&store, "apple").await;
    assert_eq!((apple.on_hand, apple.reserved()), (2, 0), "shipped");
    assert!(app.cart("alice").await.unwrap().checked_out);
    // A second confirmation is refused; the order does not move.
    let again = app.orders().settle_payment(&order, None).await.unwrap_err();
    assert!(
        matches!(again, AppError::Payment(PaymentError::Settled { .. })),
        "{again}"
    );

    // Every event delivered again from position 0: nothing sent twice.
    let before = log(&store).await;
    let mut runner = fulfilment_runner(&store, Duration::from_secs(60), RunnerOptions::default());
    runner.rebuild(|_| {}).await.unwrap();
    let after = log(&store).await;
    assert_eq!(after, before, "a redelivery appends nothing");
    let order_events: Vec<&str> = after
        .iter()
        .filter(|(stream, _)| *stream == format!("order-{order}"))
        .map(|(_, name)| name.as_str())
        .collect();
    assert_eq!(
        order_events,
        ["order.placed", "order.awaiting_payment", "order.confirmed"]
    );
}

async fn a_shortage_rejects_the_order_and_reopens_the_cart<S: Store>(_: &Backend, store: S) {
    let app = CartApp::new(store.clone());
    app.orders().set_stock("apple", 5).await.unwrap();
    add(&app, "bob", "apple", 2).await;
    add(&app, "bob", "pear", 1).await; // no pear in stock
    let order = checkout(&app, "bob").await;
    let rejected = app.orders().get(&order).await.unwrap();
    assert_eq!(rejected.status, OrderStatus::Rejected);
    assert_eq!(
        rejected.reason.as_deref(),
        Some("only 0 of the 1 `pear` wanted are in stock")
    );
    assert_eq!(stock(&store, "apple").await.free(), 5, "apple released");
    let cart = app.cart("bob").await.unwrap();
    assert!(!cart.checked_out, "the cart is open again");
    // The customer changes the cart and checks out again: a new order.
    app.execute("bob", CartCommand::RemoveItem { sku: "pear".into() }, None)
        .await
        .unwrap();
    let second = checkout(&app, "bob").await;
    assert_ne!(second, order);
    assert_eq!(
        app.orders().get(&second).await.unwrap().status,
        OrderStatus::AwaitingPayment
    );
    assert_eq!(app.orders().list().await.unwrap().len(), 2);
}

async fn a_failed_payment_cancels_the_order_and_releases_its_stock<S: Store>(
    _: &Backend,
    store: S,
) {
    let app = CartApp::new(store.clone());
    app.orders().set_stock("apple", 5).await.unwrap();
    add(&app, "carol", "apple", 4).await;
    let order = checkout(&app, "carol").await;
    assert_eq!(stock(&store, "apple").await.free(), 1);
    let failed = app
        .orders()
        .settle_payment(&order, Some("card declined".into()))
        .await
        .unwrap();
    assert_eq!(failed, PaymentStatus::Failed);
    let cancelled = app.orders().get(&order).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(
        cancelled.reason.as_deref(),
        Some("the payment failed: card declined")
    );
    assert_eq!(stock(&store, "apple").await.free(), 5);
    assert!(!app.cart("carol").await.unwrap().checked_out);
}

async fn a_deadline_due_while_every_worker_was_down_fires_after_the_restart<S: Store>(
    _: &Backend,
    store: S,
) {
    let window = Duration::from_millis(1_500);
    let app = CartApp::new(store.clone()).payment_window(window);
    app.orders().set_stock("apple", 5).await.unwrap();
    add(&app, "dave", "apple", 2).await;
    let order = checkout(&app, "dave").await;
    assert_eq!(
        app.orders().get(&order).await.unwrap().status,
        OrderStatus::AwaitingPayment
    );
    drop(app); // every worker is down while the payment comes due
    tokio::time::sleep(window + Duration::from_millis(300)).await;

    let app = CartApp::new(store.clone()).payment_window(window);
    let expired = app.orders().get(&order).await.unwrap();
    assert_eq!(expired.status, OrderStatus::Cancelled);
    assert!(
        expired
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("the payment was not received by")),
        "{expired:?}"
    );
    assert_eq!(stock(&store, "apple").await.free(), 5);
    assert!(!app.cart("dave").await.unwrap().checked_out);
    // Paying now is refused: the payment expired.
    let late = app.orders().settle_payment(&order, None).await.unwrap_err();
    assert!(
        matches!(late, AppError::Payment(PaymentError::Settled { .. })),
        "{late}"
    );
    // It fired once: one expiry, one cancellation.
    let log = log(&store).await;
    let count = |name: &str| log.iter().filter(|(_, n)| n == name).count();
    assert_eq!((count("payment.expired"), count("order.cancelled")), (1, 1));
}

async fn a_compensation_that_keeps_failing_parks_only_its_order<S: Store>(_: &Backend, store: S) {
    let app = CartApp::new(store.clone());
    app.orders().set_stock("apple", 10).await.unwrap();
    app.orders().set_stock("pear", 10).await.unwrap();
    add(&app, "erin", "apple", 1).await;
    add(&app, "erin", "pear", 1).await;
    let erin = checkout(&app, "erin").await;
    add(&app, "fred", "apple", 2).await;
    let fred = checkout(&app, "fred").await;
    // A newer version of the application wrote an event this one cannot read into
    // pear's stock: releasing erin's pear will fail however often it is tried.
    let unknown = NewEvent::new("stock.audited", 1, serde_json::json!({ "by": "v2" }));
    store
        .append("stock-pear", ExpectedVersion::Any, vec![unknown])
        .await
        .unwrap();
    app.orders()
        .settle_payment(&erin, Some("card declined".into()))
        .await
        .unwrap();
    app.orders().settle_payment(&fred, None).await.unwrap();

    // Fred's order completes; erin's compensation is parked, with its error.
    assert_eq!(
        app.orders().get(&fred).await.unwrap().status,
        OrderStatus::Confirmed
    );
    let parked = app.orders().parked().await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0].order, erin);
    assert_eq!(parked[0].events[0].event_name, "payment.failed");
    assert!(
        parked[0].events[0].error.contains("stock.audited"),
        "{}",
        parked[0].events[0].error
    );
    let reports = app.projections().await.unwrap();
    let fulfilment = reports.iter().find(|r| r.name == NAME).unwrap();
    assert_eq!(fulfilment.waiting.unwrap().parked, 1);
    // Retrying while the cause remains keeps it parked; evicting drops it.
    assert_eq!(app.orders().retry_parked(&erin).await.unwrap(), 1);
    assert_eq!(app.orders().evict_parked(&erin).await.unwrap(), 1);
    assert!(app.orders().parked().await.unwrap().is_empty());
}

async fn two_workers_one_active<S: Store>(_: &Backend, store: S) {
    CartApp::new(store.clone())
        .orders()
        .set_stock("apple", 100)
        .await
        .unwrap();
    // Checkouts recorded by a process that runs no fulfilment.
    for n in 0..10 {
        let cart = format!("cart-w{n}");
        let events = [
            CartEvent::ItemAdded {
                sku: "apple".into(),
                quantity: 1,
                unit_price_cents: 100,
            },
            CartEvent::CheckedOut {
                total_cents: 100,
                lines: [("apple".to_owned(), 1)].into(),
            },
        ];
        let events = events
            .iter()
            .map(|e| NewEvent::from_event(e, cqrs_core::Metadata::default()).unwrap())
            .collect();
        store
            .append(&cart, ExpectedVersion::Any, events)
            .await
            .unwrap();
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let options = RunnerOptions {
            poll_interval: Duration::from_millis(50),
            ..RunnerOptions::default()
        };
        let mut runner = fulfilment_runner(&store, Duration::from_secs(600), options);
        statuses.push(runner.watch_status());
        let mut stopped = stopped.clone();
        workers.push(tokio::spawn(async move {
            runner
                .run_exclusive(Duration::from_millis(100), async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        }));
    }
    // Watched from the log only: reading through the app would run the fulfilment
    // itself when it finds the lease free.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = log(&store).await;
        let awaiting = log
            .iter()
            .filter(|(_, n)| n == "order.awaiting_payment")
            .count();
        if awaiting == 10 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{awaiting} of 10 orders moved on"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let states: Vec<RunState> = statuses.iter().map(|s| s.borrow().state.clone()).collect();
    let active = states.iter().filter(|s| **s != RunState::Standby).count();
    assert_eq!(active, 1, "one worker active, one on standby: {states:?}");
    stop.send(true).unwrap();
    for worker in workers {
        worker.await.unwrap();
    }
    assert_eq!(
        stock(&store, "apple").await.reserved(),
        10,
        "each order reserved once"
    );
}
