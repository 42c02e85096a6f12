//! The order flow over real HTTP, on SQLite and (with `DATABASE_URL`) PostgreSQL:
//! stock, checkout, the background fulfilment, payment confirmed and refused, the
//! errors, parked orders and the fulfilment in `/projections`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use reqwest::{Client, StatusCode};
use serde_json::json;
use support::Backend;
use support::client::{add, expect_error, json_of, on_every_store};

on_every_store!(an_order_over_http);

/// GET `url` until `done` holds for the answer (the worker moves orders on in the
/// background), for at most 10 s.
async fn poll(
    client: &Client,
    url: String,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let answer = json_of(client.get(&url).send().await.unwrap()).await;
        if done(&answer) {
            return answer;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{url} stayed at {answer}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn an_order_over_http(backend: &Backend) {
    let server = backend.serve().await;
    let client = Client::new();
    let stock = |sku: &str, on_hand: u32| {
        client
            .put(server.url(&format!("/stock/{sku}")))
            .json(&json!({ "on_hand": on_hand }))
            .send()
    };
    let level = json_of(stock("apple", 10).await.unwrap()).await;
    assert_eq!(
        level,
        json!({ "sku": "apple", "on_hand": 10, "reserved": 0, "free": 10 })
    );
    add(&client, &server, "dora", "apple", 4, 40).await;
    let checkout = |cart: &str| {
        client
            .post(server.url(&format!("/carts/{cart}/checkout")))
            .send()
    };
    let order = json_of(checkout("dora").await.unwrap()).await["order"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = server.url(&format!("/orders/{order}"));
    let awaiting = poll(&client, url.clone(), |o| o["status"] == "awaiting_payment").await;
    assert_eq!(awaiting["cart"], "dora");
    assert_eq!(awaiting["lines"], json!({ "apple": 4 }));
    assert!(awaiting["payment_due"].is_string(), "{awaiting}");

    // Counting fewer units than are reserved is refused.
    expect_error(
        stock("apple", 3).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "below_reserved",
    )
    .await;

    let confirm = |order: &str| {
        client
            .post(server.url(&format!("/payments/{order}/confirm")))
            .send()
    };
    let answer = json_of(confirm(&order).await.unwrap()).await;
    assert_eq!(answer, json!({ "order": order, "payment": "confirmed" }));
    poll(&client, url, |o| o["status"] == "confirmed").await;
    expect_error(
        confirm(&order).await.unwrap(),
        StatusCode::CONFLICT,
        "payment_settled",
    )
    .await;
    expect_error(
        confirm("no-such-order").await.unwrap(),
        StatusCode::NOT_FOUND,
        "order_not_found",
    )
    .await;
    expect_error(
        client
            .get(server.url("/orders/no-such-order"))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "order_not_found",
    )
    .await;

    // A refused payment cancels the order and reopens the cart.
    add(&client, &server, "emil", "apple", 2, 40).await;
    let second = json_of(checkout("emil").await.unwrap()).await["order"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = server.url(&format!("/orders/{second}"));
    poll(&client, url.clone(), |o| o["status"] == "awaiting_payment").await;
    let answer = client
        .post(server.url(&format!("/payments/{second}/fail")))
        .json(&json!({ "reason": "card declined" }))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(answer).await["payment"], "failed");
    let cancelled = poll(&client, url, |o| o["status"] == "cancelled").await;
    assert_eq!(cancelled["reason"], "the payment failed: card declined");
    poll(&client, server.url("/carts/emil"), |c| {
        c["checked_out"] == false
    })
    .await;

    let orders = json_of(client.get(server.url("/orders")).send().await.unwrap()).await;
    assert_eq!(orders.as_array().unwrap().len(), 2);
    let parked = json_of(
        client
            .get(server.url("/processes/fulfilment/parked"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(parked, json!([]));
    // The operator's page says the same (this test's caller is on loopback).
    let page = client
        .get(server.url("/admin/parked"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("No event is parked."));
    // Both orders ended: the fulfilment has nothing parked and no deadline pending.
    let fulfilment = |all: &serde_json::Value| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "fulfilment")
            .cloned()
            .unwrap()
    };
    let projections = poll(&client, server.url("/projections"), |all| {
        fulfilment(all)["waiting"] == json!({ "parked": 0, "deadlines": 0 })
    })
    .await;
    assert_eq!(fulfilment(&projections)["kind"], "process");
    server.stop().await;
}
