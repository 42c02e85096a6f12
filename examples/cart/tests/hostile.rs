//! Hostile input, one table: each request gets its status and JSON error code, and
//! nothing is stored (the log's head does not move), on SQLite and (with
//! `DATABASE_URL`) PostgreSQL alike.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use reqwest::{Client, Method, StatusCode, header};
use support::Backend;
use support::client::{add, expect_error, json_of, on_every_store};

on_every_store!(hostile_requests_are_refused_and_store_nothing);

/// One hostile request and the answer it must get.
struct Case {
    what: &'static str,
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
    status: StatusCode,
    code: &'static str,
}

fn case(what: &'static str, method: Method, path: &str, status: u16, code: &'static str) -> Case {
    Case {
        what,
        method,
        path: path.to_owned(),
        headers: Vec::new(),
        body: None,
        status: StatusCode::from_u16(status).unwrap(),
        code,
    }
}

impl Case {
    fn json(mut self, body: &str) -> Self {
        self.headers
            .push(("content-type", "application/json".to_owned()));
        self.body = Some(body.to_owned());
        self
    }

    fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

fn add_body(sku: &str, quantity: &str, price: &str) -> String {
    format!(r#"{{"sku":{sku},"quantity":{quantity},"unit_price_cents":{price}}}"#)
}

fn cases() -> Vec<Case> {
    let items = "/carts/plain/items";
    let full = "/carts/full/items";
    let nested = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
    vec![
        // Text no store can keep, in the body and in the path.
        case("NUL in a sku", Method::POST, items, 400, "unstorable_text").json(&add_body(
            r#""a\u0000b""#,
            "1",
            "1",
        )),
        case(
            "NUL in a cart id",
            Method::POST,
            "/carts/a%00b/items",
            400,
            "invalid_cart_id",
        )
        .json(&add_body(r#""a""#, "1", "1")),
        // Ids no customer meant.
        case(
            "empty cart id",
            Method::POST,
            "/carts//items",
            400,
            "invalid_cart_id",
        )
        .json(&add_body(r#""a""#, "1", "1")),
        case(
            "blank cart id",
            Method::POST,
            "/carts/%20%09/items",
            400,
            "invalid_cart_id",
        )
        .json(&add_body(r#""a""#, "1", "1")),
        case(
            "zero-width cart id",
            Method::POST,
            "/carts/%E2%80%8B/items",
            400,
            "invalid_cart_id",
        )
        .json(&add_body(r#""a""#, "1", "1")),
        case(
            "control character in a cart id",
            Method::GET,
            "/carts/a%1Bb",
            400,
            "invalid_cart_id",
        ),
        case(
            "cart id over 128 bytes",
            Method::GET,
            &format!("/carts/{}", "x".repeat(129)),
            400,
            "invalid_cart_id",
        ),
        case(
            "path not UTF-8",
            Method::GET,
            "/carts/%FF%FE",
            400,
            "malformed_path",
        ),
        case("blank sku", Method::POST, items, 422, "empty_sku")
            .json(&add_body(r#""  ""#, "1", "1")),
        // Numbers that do not fit, or are not numbers.
        case(
            "negative quantity",
            Method::POST,
            items,
            400,
            "malformed_body",
        )
        .json(&add_body(r#""a""#, "-1", "1")),
        case(
            "quantity over u32",
            Method::POST,
            items,
            400,
            "malformed_body",
        )
        .json(&add_body(r#""a""#, "4294967296", "1")),
        case("price over u64", Method::POST, items, 400, "malformed_body").json(&add_body(
            r#""a""#,
            "1",
            "18446744073709551616",
        )),
        case(
            "fractional quantity",
            Method::POST,
            items,
            400,
            "malformed_body",
        )
        .json(&add_body(r#""a""#, "1.5", "1")),
        case(
            "quantity as text",
            Method::POST,
            items,
            400,
            "malformed_body",
        )
        .json(&add_body(r#""a""#, r#""1""#, "1")),
        // Sums that would wrap: refused before anything is stored.
        case(
            "units past u32 on one line",
            Method::POST,
            full,
            422,
            "too_many_units",
        )
        .json(&add_body(r#""max""#, "1", "1")),
        case(
            "a total past u64",
            Method::POST,
            full,
            422,
            "total_too_large",
        )
        .json(&add_body(r#""dearer""#, "1", "18446744073709551615")),
        case(
            "a change that makes the total pass u64",
            Method::PUT,
            "/carts/full/items/dear",
            422,
            "total_too_large",
        )
        .json(r#"{"quantity":2}"#),
        // Malformed documents.
        case("not JSON", Method::POST, items, 400, "malformed_body").json("{\"sku\":"),
        case(
            "deeply nested JSON",
            Method::POST,
            items,
            400,
            "malformed_body",
        )
        .json(&nested),
        case(
            "duplicate field",
            Method::POST,
            items,
            400,
            "malformed_body",
        )
        .json(r#"{"sku":"a","sku":"b","quantity":1,"unit_price_cents":1}"#),
        case("unknown field", Method::POST, items, 400, "malformed_body")
            .json(r#"{"sku":"a","quantity":1,"unit_price_cents":1,"admin":true}"#),
        case(
            "form body",
            Method::POST,
            items,
            415,
            "unsupported_media_type",
        )
        .header("content-type", "application/x-www-form-urlencoded".into()),
        case(
            "body over the limit",
            Method::POST,
            items,
            413,
            "body_too_large",
        )
        .json(&add_body(
            &format!("\"{}\"", "x".repeat(cart::http::BODY_LIMIT)),
            "1",
            "1",
        )),
        // Headers and request lines.
        case(
            "malformed If-Match",
            Method::POST,
            items,
            400,
            "malformed_if_match",
        )
        .json(&add_body(r#""a""#, "1", "1"))
        .header("if-match", "W/banana".into()),
        case(
            "stale If-Match",
            Method::POST,
            items,
            409,
            "version_conflict",
        )
        .json(&add_body(r#""a""#, "1", "1"))
        .header("if-match", "\"0\"".into()),
        case(
            "path over the limit",
            Method::GET,
            &format!("/carts/{}", "a".repeat(cart::http::URI_LIMIT)),
            414,
            "uri_too_long",
        ),
        case(
            "headers over the limit",
            Method::GET,
            "/carts/plain",
            431,
            "headers_too_large",
        )
        .header("x-padding", "p".repeat(cart::http::HEADERS_LIMIT)),
        case(
            "unknown route",
            Method::GET,
            "/wp-admin",
            404,
            "route_not_found",
        ),
        case(
            "wrong method",
            Method::PATCH,
            "/carts/plain",
            405,
            "method_not_allowed",
        ),
        case(
            "a version it never had",
            Method::GET,
            "/carts/plain?as_of_version=99",
            404,
            "version_not_found",
        ),
        case(
            "a version that is not a number",
            Method::GET,
            "/carts/plain?as_of_version=-1",
            400,
            "malformed_query",
        ),
    ]
}

async fn head_position(client: &Client, server: &support::Server) -> u64 {
    let health = json_of(client.get(server.url("/health")).send().await.unwrap()).await;
    health["head_position"].as_u64().unwrap()
}

async fn hostile_requests_are_refused_and_store_nothing(backend: &Backend) {
    let server = backend.serve().await;
    let client = Client::new();
    // A plain cart at version 1, and a full one: a line at u32::MAX units and one
    // that brings the total to exactly u64::MAX.
    let plain = add(&client, &server, "plain", "apple", 1, 40).await;
    let max = add(&client, &server, "full", "max", u32::MAX, 1).await;
    let dear_price = u64::MAX - u64::from(u32::MAX);
    let dear = add(&client, &server, "full", "dear", 1, dear_price).await;
    for answer in [plain, max, dear] {
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let head = head_position(&client, &server).await;
    for case in cases() {
        let mut request = client.request(case.method.clone(), server.url(&case.path));
        for (name, value) in &case.headers {
            request = request.header(*name, value);
        }
        if let Some(body) = &case.body {
            request = request.body(body.clone());
        }
        let answer = request.send().await.unwrap();
        assert_eq!(
            answer
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(&b"application/json"[..]),
            "{}: every answer is JSON",
            case.what
        );
        let status = answer.status();
        if status != case.status {
            panic!(
                "{}: {status} {}",
                case.what,
                answer.text().await.unwrap_or_default()
            );
        }
        expect_error(answer, case.status, case.code).await;
        assert_eq!(
            head_position(&client, &server).await,
            head,
            "{}: nothing is stored",
            case.what
        );
    }
    server.stop().await;
}
