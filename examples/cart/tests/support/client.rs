//! Talking to the cart over HTTP: requests, answers, and each scenario on both stores.

use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};

use super::Server;

/// Writes each scenario once and runs it on both stores.
#[allow(unused_macros)] // test binaries without HTTP scenarios include this module too
macro_rules! on_every_store_inner {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let Some(backend) = super::Backend::sqlite(stringify!($scenario)) else { return };
                    super::$scenario(&backend).await;
                    backend.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set DATABASE_URL")]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let Some(backend) = super::Backend::postgres(stringify!($scenario)) else { return };
                    super::$scenario(&backend).await;
                    backend.cleanup().await;
                }
            )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_every_store_inner as on_every_store;

pub(crate) async fn json_of(response: reqwest::Response) -> Value {
    response.json::<Value>().await.unwrap()
}

pub(crate) fn etag(response: &reqwest::Response) -> String {
    response.headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn add(
    client: &Client,
    server: &Server,
    cart: &str,
    sku: &str,
    quantity: u32,
    price: u64,
) -> reqwest::Response {
    client
        .post(server.url(&format!("/carts/{cart}/items")))
        .json(&json!({ "sku": sku, "quantity": quantity, "unit_price_cents": price }))
        .send()
        .await
        .unwrap()
}

pub(crate) async fn expect_error(
    response: reqwest::Response,
    status: StatusCode,
    code: &str,
) -> Value {
    assert_eq!(response.status(), status, "for {code}");
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let body = json_of(response).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        !body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{body}"
    );
    body
}

pub(crate) async fn add_with_if_match(
    client: &Client,
    server: &Server,
    cart: &str,
    if_match: &'static str,
) -> reqwest::Response {
    client
        .post(server.url(&format!("/carts/{cart}/items")))
        .header(header::IF_MATCH, if_match)
        .json(&json!({ "sku": "pear", "quantity": 1, "unit_price_cents": 10 }))
        .send()
        .await
        .unwrap()
}
