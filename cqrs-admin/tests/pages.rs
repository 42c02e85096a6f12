//! The operator's page over real HTTP: streams searched and paged, hostile ids
//! escaped, a stream's events with links from causation to the causing event, an
//! unknown event id, and projections with their lag.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cqrs_admin::Admin;
use cqrs_core::runner::{MemoryTarget, ProjectionRunner};
use cqrs_core::{
    DomainEvent, EventStore, ExpectedVersion, InMemoryEventStore, Metadata, NewEvent, Projection,
};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, DomainEvent)]
enum ShelfEvent {
    #[event(name = "shelf.stocked")]
    Stocked { sku: String, units: u32 },
}

#[derive(Debug, Default, Projection)]
#[projection(event = ShelfEvent, handles(Stocked))]
struct Units {
    units: u64,
}

impl Units {
    fn on_stocked(&mut self, _sku: String, units: u32) {
        self.units += u64::from(units);
    }
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().nest("/admin", router);
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn get(client: &reqwest::Client, url: &str) -> (StatusCode, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

fn stocked(sku: &str, units: u32, metadata: Metadata) -> NewEvent {
    let event = ShelfEvent::Stocked {
        sku: sku.into(),
        units,
    };
    NewEvent::from_event(&event, metadata).unwrap()
}

#[tokio::test]
async fn streams_events_and_projections() {
    let store = InMemoryEventStore::new();
    for n in 0..105 {
        let events = vec![stocked("apple", n, Metadata::default())];
        store
            .append(&format!("shelf-{n:03}"), ExpectedVersion::Any, events)
            .await
            .unwrap();
    }
    let first = stocked("<b>pear</b>", 1, Metadata::default());
    let cause = first.event_id;
    let correlation = cqrs_core::Uuid::new_v4();
    let second = stocked(
        "plum",
        2,
        Metadata {
            correlation_id: Some(correlation),
            causation_id: Some(cause),
            ..Metadata::default()
        },
    );
    let hostile = "till-<script>alert(1)</script>";
    store
        .append(hostile, ExpectedVersion::NoStream, vec![first, second])
        .await
        .unwrap();

    let mut runner = ProjectionRunner::new(store.clone(), MemoryTarget::<Units>::new());
    runner.catch_up().await.unwrap();
    let admin = Admin::new(store.clone(), "/admin").projections(vec![runner.watch_status()]);
    let base = serve(admin.router()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Streams, searched by prefix and paged.
    let (status, page) = get(&client, &format!("{base}/admin/streams?prefix=shelf-")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(">shelf-000</a>") && page.contains(">shelf-099</a>"),
        "{page}"
    );
    assert!(!page.contains(">shelf-100</a>"));
    assert!(
        page.contains("href=\"/admin/streams?prefix=shelf-&amp;after=shelf-099\""),
        "{page}"
    );
    let (_, next) = get(
        &client,
        &format!("{base}/admin/streams?prefix=shelf-&after=shelf-099"),
    )
    .await;
    assert_eq!(
        next.matches("<a href=\"/admin/streams/shelf-").count(),
        5,
        "{next}"
    );

    // The hostile stream id is text, never markup, in the list and on its page.
    let (_, tills) = get(&client, &format!("{base}/admin/streams?prefix=till-")).await;
    assert!(!tills.contains("<script>"), "{tills}");
    assert!(
        tills.contains("till-&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{tills}"
    );
    let link = "/admin/streams/till-%3Cscript%3Ealert%281%29%3C%2Fscript%3E";
    assert!(tills.contains(link), "{tills}");
    let (status, events) = get(&client, &format!("{base}{link}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !events.contains("<script>") && !events.contains("<b>pear"),
        "{events}"
    );
    assert!(
        events.contains("&lt;b&gt;pear&lt;/b&gt;"),
        "payloads are shown escaped"
    );
    assert!(events.contains("shelf.stocked"));

    // Causation and correlation link to events; the cause is found on its stream.
    assert!(
        events.contains(&format!("href=\"/admin/events/{cause}\"")),
        "{events}"
    );
    let response = client
        .get(format!("{base}/admin/events/{cause}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!("/admin{}?from=1#v1", &link["/admin".len()..])
    );
    let (status, _) = get(&client, &format!("{base}/admin/events/{correlation}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a correlation id that is no event"
    );
    let (status, _) = get(&client, &format!("{base}/admin/streams/nothing-here")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, page) = get(&client, &format!("{base}/admin/no/such/page")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        page.contains("href=\"/admin/streams\""),
        "an HTML page with the navigation: {page}"
    );

    // Projections: checkpoint, head, lag.
    let more = vec![stocked("fig", 3, Metadata::default())];
    store
        .append("shelf-new", ExpectedVersion::Any, more)
        .await
        .unwrap();
    let head = store.head_position().await.unwrap();
    let (status, projections) = get(&client, &format!("{base}/admin/projections")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(projections.contains("<td>units</td>"), "{projections}");
    assert!(
        projections.contains(&format!("<td class=\"n\">{}</td>", head - 1)),
        "{projections}"
    );
    assert!(projections.contains("http-equiv=\"refresh\""));
    let (status, _) = get(&client, &format!("{base}/admin")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

/// Parked events from a source that records what an operator asked.
#[derive(Default, Clone)]
struct Parking {
    asked: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl cqrs_admin::ParkedSource for Parking {
    fn parked(
        &self,
    ) -> futures_util::future::BoxFuture<'_, Result<Vec<cqrs_admin::ParkedRow>, String>> {
        let row = |position, error: &str| cqrs_admin::ParkedRow {
            key: "order 7/a".into(),
            position,
            event_name: "stock.reserved".into(),
            error: error.into(),
        };
        Box::pin(async move { Ok(vec![row(4, "<i>no stock</i>"), row(9, "queued behind 4")]) })
    }

    fn retry<'a>(
        &'a self,
        key: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<String, String>> {
        self.asked.lock().unwrap().push(format!("retry {key}"));
        Box::pin(async move { Ok(format!("retried {key}")) })
    }

    fn evict<'a>(
        &'a self,
        key: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<String, String>> {
        self.asked.lock().unwrap().push(format!("evict {key}"));
        Box::pin(async move { Ok(format!("evicted {key}")) })
    }
}

#[tokio::test]
async fn parked_events_are_retried_or_evicted_by_form() {
    let parking = Parking::default();
    let admin = Admin::new(InMemoryEventStore::new(), "/admin").parked(parking.clone());
    let base = serve(admin.router()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let (status, page) = get(&client, &format!("{base}/admin/parked")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("&lt;i&gt;no stock&lt;/i&gt;") && !page.contains("<i>"),
        "{page}"
    );
    let action = "/admin/parked/order%207%2Fa/retry";
    assert_eq!(
        page.matches(&format!("action=\"{action}\"")).count(),
        1,
        "one form per key: {page}"
    );

    let response = client.post(format!("{base}{action}")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = client
        .post(format!("{base}/admin/parked/order%207%2Fa/evict"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // A form another site sent through the operator's browser changes nothing.
    let response = client
        .post(format!("{base}{action}"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        *parking.asked.lock().unwrap(),
        ["retry order 7/a", "evict order 7/a"]
    );
}
