//! `top_products` as tables in a read database of its own: a SQLite file beside the
//! event store's, or PostgreSQL's `root` database beside the event store's `test`.
//! The event store's database holds no `top_products` view; a worker keeps the
//! tables current and a read with `min_position` sees its own writes; a rebuild
//! gives the same rows; a restarted worker adds nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::time::Duration;

use cart::domain::CartCommand;
use cart::service::CartApp;
use cart::views::ProductPopularity;
use cqrs_core::{Projection, Store};
use support::{Backend, on_every_store_with_store as on_every_store};

on_every_store!(top_products_lives_in_the_read_database);

async fn add(app: &CartApp<impl Store>, cart: &str, sku: &str, quantity: u32) -> u64 {
    let command = CartCommand::AddItem {
        sku: sku.into(),
        quantity,
        unit_price_cents: 100,
    };
    let committed = app.execute(cart, command, None).await.unwrap();
    committed.position.unwrap()
}

async fn rows(pool: &sqlx::AnyPool) -> Vec<(String, i64, i64)> {
    sqlx::query_as("SELECT sku, units, times_added FROM top_products ORDER BY sku")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn top_products_lives_in_the_read_database<S: Store>(backend: &Backend, store: S) {
    let (_, pool) = backend.read_database().await;
    // On demand (the command line): each read catches the tables up.
    let app = CartApp::new(store.clone()).read_database(pool.clone());
    add(&app, "alice", "apple", 3).await;
    add(&app, "bob", "apple", 2).await;
    add(&app, "bob", "pear", 1).await;
    let top = app.top_products(10).await.unwrap();
    let top: Vec<(&str, u64, u64)> = top
        .iter()
        .map(|p| (p.sku.as_str(), p.units, p.times_added))
        .collect();
    assert_eq!(top, [("apple", 5, 2), ("pear", 1, 1)]);
    assert_eq!(
        rows(&pool).await,
        [("apple".to_owned(), 5, 2), ("pear".to_owned(), 1, 1)]
    );
    assert!(
        store
            .load_view(ProductPopularity::NAME)
            .await
            .unwrap()
            .is_none(),
        "the event store's database holds no top_products view"
    );

    // A worker (as `serve` runs it): a read carrying a write's position sees it.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = CartApp::new(store.clone())
        .read_database(pool.clone())
        .spawn_workers(async move {
            let _ = stopped.await;
        });
    let position = add(&served, "carol", "plum", 4).await;
    let (top, fresh) = served.top_products_fresh(10, Some(position)).await.unwrap();
    assert!(fresh.position >= position);
    assert!(
        top.iter().any(|p| p.sku == "plum" && p.units == 4),
        "{top:?}"
    );
    let _ = stop.send(());
    tokio::time::sleep(Duration::from_millis(50)).await;

    // Rebuilt in place, and beside the live tables then swapped in: the same rows.
    let before = rows(&pool).await;
    app.rebuild(ProductPopularity::NAME, false, |_| {})
        .await
        .unwrap();
    assert_eq!(rows(&pool).await, before);
    let replayed = app
        .rebuild(ProductPopularity::NAME, true, |_| {})
        .await
        .unwrap();
    assert_eq!(replayed, 4, "every event replayed once");
    assert_eq!(rows(&pool).await, before);
    // A fresh process reading again adds nothing.
    let again = CartApp::new(store.clone()).read_database(pool.clone());
    again.top_products(10).await.unwrap();
    assert_eq!(rows(&pool).await, before);
    pool.close().await;
    backend.drop_read_database().await;
}
