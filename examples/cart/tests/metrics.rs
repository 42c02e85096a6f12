//! `GET /metrics` over real HTTP: commands by outcome, their latency, appended
//! events and the projections' positions, in Prometheus' text format; and the
//! operator token that guards it and the parked-event endpoints.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use cart::http::OperatorAccess;
use reqwest::{Client, StatusCode, header};
use support::Backend;
use support::client::{add, json_of, on_every_store};

on_every_store!(
    commands_and_projections_show_in_the_metrics,
    operator_endpoints_need_the_token_when_one_is_set
);

/// The value of the sample `name{labels}` in a Prometheus text page.
fn sample(page: &str, name_and_labels: &str) -> Option<f64> {
    page.lines()
        .find_map(|line| line.strip_prefix(name_and_labels)?.trim().parse().ok())
}

async fn commands_and_projections_show_in_the_metrics(backend: &Backend) {
    let server = backend.serve().await;
    let client = Client::new();
    let before = client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ok = r#"cqrs_commands_total{aggregate="cart",outcome="ok"}"#;
    let rejected = r#"cqrs_commands_total{aggregate="cart",outcome="rejected"}"#;
    let count = |page: &str, key: &str| sample(page, key).unwrap_or(0.0);

    for n in 0..3 {
        let response = add(&client, &server, &format!("m{n}"), "apple", 1, 40).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    // An empty cart cannot check out: a refused command.
    let refused = client
        .post(server.url("/carts/empty-one/checkout"))
        .send()
        .await
        .unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());

    // The projection workers report their position when their first pass ends,
    // which may be after the commands above: read until they have (or 10 s).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let page = loop {
        let response = client.get(server.url("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        let page = response.text().await.unwrap();
        if page.contains(r#"cqrs_projection_position{projection="#)
            || std::time::Instant::now() >= deadline
        {
            break page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    // Other tests of this binary may run commands too: at least ours were counted.
    assert!(count(&page, ok) >= count(&before, ok) + 3.0, "{page}");
    assert!(count(&page, rejected) > count(&before, rejected), "{page}");
    assert!(
        count(&page, r#"cqrs_events_appended_total{aggregate="cart"}"#) >= 3.0,
        "{page}"
    );
    assert!(
        page.contains(r#"cqrs_command_seconds{aggregate="cart",quantile="0.5"}"#),
        "{page}"
    );
    assert!(
        page.contains(r#"cqrs_projection_position{projection="#),
        "{page}"
    );
    assert!(
        page.contains(r#"cqrs_append_group_size{quantile="0.5"}"#),
        "{page}"
    );
}

async fn operator_endpoints_need_the_token_when_one_is_set(backend: &Backend) {
    let server = backend.serve_with(OperatorAccess::token("s3cret")).await;
    let client = Client::new();

    let response = client.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    let body = json_of(response).await;
    assert_eq!(body["error"]["code"], "operator_token_required", "{body}");

    let response = client
        .get(server.url("/metrics"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_of(response).await["error"]["code"],
        "operator_token_refused"
    );

    let response = client
        .get(server.url("/metrics"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // A rebuild over HTTP: the operator's, with the token.
    let response = client
        .post(server.url("/projections/top_products/rebuild?shadow=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = client
        .post(server.url("/projections/top_products/rebuild?shadow=true"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_of(response).await;
    assert_eq!(body["rebuilt"], "top_products", "{body}");
    assert_eq!(body["shadow"], true, "{body}");
    let response = client
        .post(server.url("/projections/nothing/rebuild"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Changing things needs the token too; it is refused before anything happens.
    for action in ["retry", "evict"] {
        let response = client
            .post(server.url(&format!("/processes/fulfilment/parked/o-1/{action}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{action}");
    }
    // The rest of the API stays open.
    let response = add(&client, &server, "open", "apple", 1, 40).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = client.get(server.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // The operator's page shows payloads: nothing of it without the token.
    for path in [
        "/admin/streams",
        "/admin/streams/cart-open",
        "/admin/projections",
    ] {
        let response = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("apple"), "{path} leaked: {body}");
        let response = client
            .get(server.url(path))
            .bearer_auth("guess")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let page = client
        .get(server.url("/admin/streams/cart-open"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("cart.item_added") && page.contains("apple"),
        "{page}"
    );
    let page = client
        .get(server.url("/admin/projections"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<td>top_products</td>"), "{page}");
}
