//! A cart database written by the first release, whose `cart.item_added` (version
//! 1) had no price, served by this one: the events are read through the upcaster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use cart::domain::CartCommand;
use cart::service::CartApp;
use cqrs_core::Store;
use cqrs_core::{ExpectedVersion, NewEvent};
use serde_json::json;
use support::Backend;

/// The first release's `cart.item_added`, as it is stored.
fn item_added_v1(sku: &str, quantity: u32) -> NewEvent {
    NewEvent::new(
        "cart.item_added",
        1,
        json!({ "sku": sku, "quantity": quantity }),
    )
}

async fn old_carts_still_work<S: Store>(store: S) {
    let app = CartApp::new(store.clone());
    store
        .append(
            "cart-old",
            ExpectedVersion::NoStream,
            vec![item_added_v1("apple", 2), item_added_v1("pear", 1)],
        )
        .await
        .unwrap();

    let cart = app.cart("old").await.unwrap();
    assert_eq!(cart.version, 2);
    assert_eq!(
        (
            cart.lines["apple"].quantity,
            cart.lines["apple"].unit_price_cents
        ),
        (2, 0),
        "a version 1 line has no known price"
    );

    // The next add of the product sets its price instead of being refused.
    let add = CartCommand::AddItem {
        sku: "apple".into(),
        quantity: 1,
        unit_price_cents: 40,
    };
    app.execute("old", add, None).await.unwrap();
    let cart = app.cart("old").await.unwrap();
    assert_eq!(
        (
            cart.lines["apple"].quantity,
            cart.lines["apple"].unit_price_cents
        ),
        (3, 40)
    );
    assert_eq!(cart.total_cents, 120);
    let again = CartCommand::AddItem {
        sku: "apple".into(),
        quantity: 1,
        unit_price_cents: 55,
    };
    assert!(
        app.execute("old", again, None).await.is_err(),
        "the price is known now"
    );

    app.orders().set_stock("apple", 10).await.unwrap();
    app.orders().set_stock("pear", 10).await.unwrap();
    let order = app
        .execute("old", CartCommand::Checkout, None)
        .await
        .unwrap()
        .order
        .unwrap();
    assert_eq!(
        app.orders().get(&order).await.unwrap().lines,
        [("apple".to_owned(), 3), ("pear".to_owned(), 1)].into()
    );
    let top = app.top_products(5).await.unwrap();
    let counted: Vec<(String, u64)> = top.iter().map(|p| (p.sku.clone(), p.units)).collect();
    assert_eq!(counted, [("apple".to_owned(), 3), ("pear".to_owned(), 1)]);

    let history = app.history("old").await.unwrap();
    let versions: Vec<u32> = history.iter().map(|h| h.event_version).collect();
    assert_eq!(versions, [1, 1, 2, 1], "history shows events as stored");
    assert_eq!(
        app.cart_at("old", 1).await.unwrap().lines["apple"].quantity,
        2
    );
}

/// A cart checked out by a release from before orders: its `cart.checked_out` has
/// no lines. It reads, shows as checked out, and starts no order.
async fn carts_checked_out_before_orders_start_none<S: Store>(store: S) {
    let app = CartApp::new(store.clone());
    let checked_out = NewEvent::new("cart.checked_out", 1, json!({ "total_cents": 0 }));
    store
        .append(
            "cart-older",
            ExpectedVersion::NoStream,
            vec![item_added_v1("apple", 2), checked_out],
        )
        .await
        .unwrap();
    assert!(app.cart("older").await.unwrap().checked_out);
    assert!(app.orders().list().await.unwrap().is_empty());
    assert_eq!(app.history("older").await.unwrap().len(), 2, "not reopened");
}

#[tokio::test]
async fn memory() {
    carts_checked_out_before_orders_start_none(cqrs_core::InMemoryEventStore::new()).await;
    old_carts_still_work(cqrs_core::InMemoryEventStore::new()).await;
}

#[tokio::test]
async fn sqlite() {
    let backend = Backend::sqlite("old-data").unwrap();
    old_carts_still_work(backend.sqlite_store().await).await;
    backend.cleanup().await;
    let backend = Backend::sqlite("old-checkout").unwrap();
    carts_checked_out_before_orders_start_none(backend.sqlite_store().await).await;
    backend.cleanup().await;
}

#[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
#[tokio::test]
async fn postgres() {
    let Some(backend) = Backend::postgres("old_data") else {
        return;
    };
    old_carts_still_work(backend.postgres_store().await).await;
    backend.cleanup().await;
    let Some(backend) = Backend::postgres("old_checkout") else {
        return;
    };
    carts_checked_out_before_orders_start_none(backend.postgres_store().await).await;
    backend.cleanup().await;
}
