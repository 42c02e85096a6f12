//! The HTTP API over real HTTP, on SQLite and (with `DATABASE_URL`) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use reqwest::{Client, StatusCode, header};
use serde_json::json;
use support::Backend;
use support::client::{add, etag, expect_error, json_of, on_every_store};

on_every_store!(
    happy_path,
    every_error_status,
    racing_clients_with_the_same_if_match,
    state_survives_a_restart
);

async fn happy_path(backend: &Backend) {
    let server = backend.serve().await;
    let client = Client::new();

    let response = add(&client, &server, "alice", "apple", 3, 40).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(etag(&response), "\"1\"");
    assert_eq!(
        json_of(response).await,
        json!({ "version": 1, "position": 1 })
    );
    add(&client, &server, "alice", "pear", 1, 65).await;
    add(&client, &server, "bob", "apple", 5, 40).await;

    let response = client
        .put(server.url("/carts/alice/items/apple"))
        .header(header::IF_MATCH, "\"2\"")
        .json(&json!({ "quantity": 4 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(etag(&response), "\"3\"");

    let response = client.get(server.url("/carts/alice")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(etag(&response), "\"3\"");
    let cart = json_of(response).await;
    assert_eq!(cart["total_cents"], 4 * 40 + 65);
    assert_eq!(cart["lines"]["apple"]["quantity"], 4);
    assert_eq!(cart["checked_out"], false);

    let response = client
        .delete(server.url("/carts/alice/items/pear"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Stock for the order the checkout starts (a worker moves it on).
    let response = client
        .put(server.url("/stock/apple"))
        .json(&json!({ "on_hand": 100 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = client
        .post(server.url("/carts/alice/checkout"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(etag(&response), "\"5\"");
    let order = json_of(response).await["order"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(order.len(), 36, "the order id is a UUID: {order}");

    let cart = json_of(client.get(server.url("/carts/alice")).send().await.unwrap()).await;
    assert_eq!(cart["checked_out"], true);
    assert_eq!(cart["total_cents"], 160);
    let past = json_of(
        client
            .get(server.url("/carts/alice?as_of_version=2"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(past["version"], 2);
    assert_eq!(past["lines"]["apple"]["quantity"], 3);
    assert_eq!(past["total_cents"], 3 * 40 + 65);

    let history = json_of(
        client
            .get(server.url("/carts/alice/history"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let events: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "cart.item_added",
            "cart.item_added",
            "cart.quantity_changed",
            "cart.item_removed",
            "cart.checked_out"
        ]
    );
    let versions: Vec<u64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5]);
    assert!(
        history[0]["recorded_at"]
            .as_str()
            .unwrap()
            .starts_with("20")
    );

    let response = client
        .delete(server.url("/carts/bob/items"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let top = json_of(
        client
            .get(server.url("/products/top?limit=1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        top,
        json!([{ "sku": "apple", "units": 8, "times_added": 2 }])
    );

    let health = json_of(client.get(server.url("/health")).send().await.unwrap()).await;
    assert_eq!(health["status"], "ok");
    // The carts' 7 events, the stock count, and what the worker wrote since.
    assert!(health["head_position"].as_u64().unwrap() >= 8, "{health}");
    server.stop().await;
}

async fn every_error_status(backend: &Backend) {
    let server = backend.serve().await;
    let client = Client::new();
    let items = server.url("/carts/carol/items");
    let post_raw = |body: &'static str| {
        client
            .post(items.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };

    // 400: malformed JSON, an unknown field, a missing field, a wrong type, a bad If-Match.
    expect_error(
        post_raw("{\"sku\": ").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_body",
    )
    .await;
    // 400: a cart id no customer could have meant (blank, invisible characters).
    for id in ["%20%20", "a%E2%80%8Bb", "x%01"] {
        let url = server.url(&format!("/carts/{id}/items"));
        let answer = client
            .post(url)
            .json(&serde_json::json!({"sku": "a", "quantity": 1, "unit_price_cents": 1}))
            .send()
            .await
            .unwrap();
        expect_error(answer, StatusCode::BAD_REQUEST, "invalid_cart_id").await;
    }
    // 400 on every store: text no store can keep, nothing stored.
    let nul = r#"{"sku":"a\u0000b","quantity":1,"unit_price_cents":1}"#;
    expect_error(
        post_raw(nul).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "unstorable_text",
    )
    .await;
    let unknown = r#"{"sku":"a","quantity":1,"unit_price_cents":1,"colour":"red"}"#;
    expect_error(
        post_raw(unknown).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_body",
    )
    .await;
    expect_error(
        post_raw(r#"{"sku":"a","quantity":1}"#).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_body",
    )
    .await;
    expect_error(
        post_raw(r#"{"sku":"a","quantity":-1,"unit_price_cents":1}"#)
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_body",
    )
    .await;
    let response = client
        .post(items.clone())
        .header(header::IF_MATCH, "banana")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "malformed_if_match").await;
    let response = client
        .get(server.url("/carts/carol?as_of_version=two"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "malformed_query").await;

    // 404: unknown cart, its history, a version it never had, a command on it, a route.
    let response = client
        .get(server.url("/carts/nobody"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "cart_not_found").await;
    let response = client
        .get(server.url("/carts/nobody/history"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "cart_not_found").await;
    let response = client
        .post(server.url("/carts/nobody/checkout"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "cart_not_found").await;
    let response = client.get(server.url("/nowhere")).send().await.unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "route_not_found").await;
    let response = client
        .patch(server.url("/carts/carol"))
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    add(&client, &server, "carol", "apple", 1, 40).await;
    let response = client
        .get(server.url("/carts/carol?as_of_version=9"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "version_not_found").await;

    // 409: a stale If-Match, with both versions in the body; nothing is appended.
    let response = client
        .post(items.clone())
        .header(header::IF_MATCH, "\"0\"")
        .json(&json!({ "sku": "pear", "quantity": 1, "unit_price_cents": 65 }))
        .send()
        .await
        .unwrap();
    let body = expect_error(response, StatusCode::CONFLICT, "version_conflict").await;
    assert_eq!(body["error"]["expected_version"], 0);
    assert_eq!(body["error"]["actual_version"], 1);

    // 413: a body over the limit.
    let huge = format!(
        r#"{{"sku":"{}","quantity":1,"unit_price_cents":1}}"#,
        "x".repeat(cart::http::BODY_LIMIT)
    );
    let response = client
        .post(items.clone())
        .header(header::CONTENT_TYPE, "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;

    // 414 and 431: a path or headers over the limit, answered in JSON.
    let long = format!("/carts/{}", "a".repeat(cart::http::URI_LIMIT));
    let response = client.get(server.url(&long)).send().await.unwrap();
    expect_error(response, StatusCode::URI_TOO_LONG, "uri_too_long").await;
    let response = client
        .get(server.url("/carts/carol"))
        .header("x-padding", "p".repeat(cart::http::HEADERS_LIMIT))
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
    )
    .await;

    // 415: not JSON.
    let response = client
        .post(items.clone())
        .body("sku=apple")
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    // 422: rules the cart enforces.
    let response = add(&client, &server, "carol", "apple", 0, 40).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "zero_quantity").await;
    let response = add(&client, &server, "carol", "apple", 1, 99).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "price_mismatch").await;
    let response = client
        .delete(server.url("/carts/carol/items/kiwi"))
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "product_not_in_cart",
    )
    .await;
    client
        .delete(server.url("/carts/carol/items"))
        .send()
        .await
        .unwrap();
    let response = client
        .post(server.url("/carts/carol/checkout"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "cart_empty").await;
    add(&client, &server, "carol", "apple", 1, 40).await;
    client
        .post(server.url("/carts/carol/checkout"))
        .send()
        .await
        .unwrap();
    let response = add(&client, &server, "carol", "pear", 1, 65).await;
    expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cart_checked_out",
    )
    .await;

    let cart = json_of(client.get(server.url("/carts/carol")).send().await.unwrap()).await;
    assert_eq!(
        cart["version"], 4,
        "refused commands appended nothing: {cart}"
    );
    server.stop().await;
}

async fn racing_clients_with_the_same_if_match(backend: &Backend) {
    let server = backend.serve().await;
    let (first, second) = (Client::new(), Client::new());
    for round in 0..10 {
        let cart = format!("race-{round}");
        add(&first, &server, &cart, "apple", 1, 40).await;
        let put = |client: &Client, quantity: u32| {
            client
                .put(server.url(&format!("/carts/{cart}/items/apple")))
                .header(header::IF_MATCH, "\"1\"")
                .json(&json!({ "quantity": quantity }))
                .send()
        };
        let (a, b) = tokio::join!(put(&first, 2), put(&second, 3));
        let mut statuses = [a.unwrap().status(), b.unwrap().status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "round {round}"
        );
        let view = json_of(
            first
                .get(server.url(&format!("/carts/{cart}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(view["version"], 2);
    }
    server.stop().await;
}

async fn state_survives_a_restart(backend: &Backend) {
    let server = backend.serve().await;
    let client = Client::new();
    add(&client, &server, "dave", "apple", 2, 40).await;
    add(&client, &server, "dave", "pear", 1, 65).await;
    let before = json_of(client.get(server.url("/carts/dave")).send().await.unwrap()).await;
    server.stop().await;

    let server = backend.serve().await;
    let after = json_of(client.get(server.url("/carts/dave")).send().await.unwrap()).await;
    assert_eq!(after, before);
    assert_eq!(after["version"], 2);
    let response = add(&client, &server, "dave", "apple", 1, 40).await;
    assert_eq!(etag(&response), "\"3\"");
    server.stop().await;
}
