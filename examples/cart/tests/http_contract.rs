//! The HTTP contract a client programs against, on SQLite and (with `DATABASE_URL`)
//! PostgreSQL: `If-Match` as RFC 9110 has it, reads that say how fresh they are, and
//! two serving processes on one store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use reqwest::{Client, StatusCode, header};
use support::Backend;
use support::client::{add, add_with_if_match, expect_error, json_of, on_every_store};

on_every_store!(
    if_match_star_and_lists,
    reads_say_how_fresh_they_are,
    two_servers_on_one_store_lose_no_add,
    a_cart_behind_its_stream_is_read_from_its_events,
    a_stuck_projection_shows_on_its_reads
);

/// An event the `top_products` projection cannot read (a poison event) stops it:
/// its reads still answer, with the lag in `X-Read-Lag`, and a read asking for a
/// later position gets 503 `view_behind` instead of stale data.
async fn a_stuck_projection_shows_on_its_reads(backend: &Backend) {
    let server = backend.serve().await;
    let client = Client::new();
    add(&client, &server, "gus", "apple", 1, 40).await;
    let poison = cqrs_core::NewEvent::new(
        "cart.item_added",
        2,
        serde_json::json!({ "sku": 5, "quantity": "many" }),
    );
    backend
        .append_directly("cart-poison", cqrs_core::ExpectedVersion::NoStream, poison)
        .await;
    let written = json_of(add(&client, &server, "gus", "pear", 1, 65).await).await;
    let position = written["position"].as_u64().unwrap();
    let top = client
        .get(server.url("/products/top"))
        .send()
        .await
        .unwrap();
    assert_eq!(top.status(), StatusCode::OK);
    let lag: u64 = top.headers()["x-read-lag"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        lag >= 2,
        "the poison and the add after it are not reflected: lag {lag}"
    );
    let behind = client
        .get(server.url(&format!("/products/top?min_position={position}")))
        .send()
        .await
        .unwrap();
    expect_error(behind, StatusCode::SERVICE_UNAVAILABLE, "view_behind").await;
}

/// Events appended by a process that does not keep the cart view (a script, an
/// import) leave the stored view behind; reading the cart still shows them.
async fn a_cart_behind_its_stream_is_read_from_its_events(backend: &Backend) {
    let server = backend.serve().await;
    let client = Client::new();
    add(&client, &server, "fay", "apple", 1, 40).await;
    let event = cqrs_core::NewEvent::new(
        "cart.item_added",
        2,
        serde_json::json!({ "sku": "pear", "quantity": 2, "unit_price_cents": 65 }),
    );
    backend
        .append_directly("cart-fay", cqrs_core::ExpectedVersion::Exact(1), event)
        .await;
    let cart = json_of(client.get(server.url("/carts/fay")).send().await.unwrap()).await;
    assert_eq!(cart["version"], 2, "{cart}");
    assert_eq!(cart["lines"]["pear"]["quantity"], 2, "{cart}");
}

/// A write names the position it committed; a read of the catch-up view says which
/// position it reflects and its lag, and can ask for at least a position: read your
/// own writes, or 503 `view_behind` when the view does not get there in time.
async fn reads_say_how_fresh_they_are(backend: &Backend) {
    let server = backend.serve().await;
    let client = Client::new();
    let written = json_of(add(&client, &server, "erin", "apple", 2, 40).await).await;
    let position = written["position"].as_u64().unwrap();
    let top = client
        .get(server.url(&format!("/products/top?min_position={position}")))
        .send()
        .await
        .unwrap();
    assert_eq!(top.status(), StatusCode::OK);
    let reflected: u64 = top.headers()["x-read-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(reflected >= position, "{reflected} < {position}");
    assert_eq!(top.headers()["x-read-lag"], "0");
    let body = json_of(top).await;
    assert_eq!(body[0]["sku"], "apple");
    let ahead = client
        .get(server.url(&format!("/products/top?min_position={}", position + 1_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(ahead.headers()[header::RETRY_AFTER], "1");
    expect_error(ahead, StatusCode::SERVICE_UNAVAILABLE, "view_behind").await;
}

/// `If-Match: *` asks for an existing cart, a list for one of its versions (RFC 9110).
async fn if_match_star_and_lists(backend: &Backend) {
    let server = backend.serve().await;
    let client = Client::new();
    let checkout = |cart: &str, if_match: &'static str| {
        client
            .post(server.url(&format!("/carts/{cart}/checkout")))
            .header(header::IF_MATCH, if_match)
            .send()
    };
    expect_error(
        checkout("nobody", "*").await.unwrap(),
        StatusCode::NOT_FOUND,
        "cart_not_found",
    )
    .await;
    assert_eq!(
        add(&client, &server, "dora", "apple", 1, 40).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        add(&client, &server, "dora", "apple", 1, 40).await.status(),
        StatusCode::OK
    );
    let refused = expect_error(
        checkout("dora", r#""1", W/"3""#).await.unwrap(),
        StatusCode::CONFLICT,
        "version_conflict",
    )
    .await;
    assert_eq!(refused["error"]["actual_version"], 2);
    let accepted = checkout("dora", r#""1", "2""#).await.unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
    assert_eq!(accepted.headers()[header::ETAG], "\"3\"");
    expect_error(
        add_with_if_match(&client, &server, "dora", "*").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cart_checked_out",
    )
    .await;
}

/// Two servers on one store stand for two processes: clients of both add to one
/// cart at once, without `If-Match`. Every add is acknowledged (conflicts between
/// the processes are retried, never answered), and both servers then show one unit
/// per acknowledged add.
async fn two_servers_on_one_store_lose_no_add(backend: &Backend) {
    let servers = [backend.serve().await, backend.serve().await];
    let client = Client::new();
    let clients: Vec<_> = (0..16)
        .map(|n| {
            let url = servers[n % 2].url("/carts/shared/items");
            let client = client.clone();
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                for _ in 0..10 {
                    let answer = client
                        .post(&url)
                        .json(&serde_json::json!({"sku": "apple", "quantity": 1, "unit_price_cents": 40}))
                        .send()
                        .await
                        .unwrap();
                    statuses.push(answer.status());
                }
                statuses
            })
        })
        .collect();
    for task in clients {
        for status in task.await.unwrap() {
            assert_eq!(status, StatusCode::OK);
        }
    }
    for server in &servers {
        let cart = json_of(
            client
                .get(server.url("/carts/shared"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(cart["lines"]["apple"]["quantity"], 160, "{cart}");
        assert_eq!(cart["version"], 160, "{cart}");
    }
}
