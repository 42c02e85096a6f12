//! Parked events: listed, and retried or evicted by an operator's form.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use cqrs_core::EventStore;
use futures_util::future::BoxFuture;

use crate::{Shared, html};

/// One parked event as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedRow {
    /// What an operator retries or evicts together: a process instance or a
    /// projection's stream.
    pub key: String,
    /// The event's position in the log.
    pub position: u64,
    /// Its persisted name.
    pub event_name: String,
    /// Why it is parked.
    pub error: String,
}

/// Where the page finds parked events, and how it retries or evicts them: a
/// process manager's or a projection's parking, as the application runs it.
pub trait ParkedSource: Send + Sync + 'static {
    /// What waits, oldest first within each key.
    fn parked(&self) -> BoxFuture<'_, Result<Vec<ParkedRow>, String>>;
    /// Handles `key`'s parked events again; what happened, for the operator.
    fn retry<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<String, String>>;
    /// Drops `key`'s parked events unhandled; what happened, for the operator.
    fn evict<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<String, String>>;
}

pub(crate) async fn list<S: EventStore>(State(shared): State<Arc<Shared<S>>>) -> Response {
    let Some(source) = &shared.parked else {
        let body = "<p class=\"muted\">Nothing here parks events.</p>";
        return Html(html::page(&shared.base, "Parked events", body, None)).into_response();
    };
    match source.parked().await {
        Ok(rows) => {
            let body = html::parked(&shared.base, &rows);
            Html(html::page(&shared.base, "Parked events", &body, None)).into_response()
        }
        Err(error) => unavailable(&shared.base, &error),
    }
}

fn unavailable(base: &str, error: &str) -> Response {
    let body = format!(
        "<p>Cannot read the parked events: {}</p>",
        html::escape(error)
    );
    let page = html::page(base, "Parked events", &body, None);
    (StatusCode::SERVICE_UNAVAILABLE, Html(page)).into_response()
}

/// A form another site made the operator's browser send is refused: browsers say
/// where a request comes from in `Sec-Fetch-Site`.
fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site != "same-origin" && site != "none")
}

pub(crate) async fn retry<S: EventStore>(
    State(shared): State<Arc<Shared<S>>>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    act(&shared, &key, &headers, Action::Retry).await
}

pub(crate) async fn evict<S: EventStore>(
    State(shared): State<Arc<Shared<S>>>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    act(&shared, &key, &headers, Action::Evict).await
}

enum Action {
    Retry,
    Evict,
}

async fn act<S>(shared: &Shared<S>, key: &str, headers: &HeaderMap, action: Action) -> Response {
    if cross_site(headers) {
        return (
            StatusCode::FORBIDDEN,
            "refused: the form was sent from another site",
        )
            .into_response();
    }
    let Some(source) = &shared.parked else {
        return (StatusCode::NOT_FOUND, "nothing here parks events").into_response();
    };
    let outcome = match action {
        Action::Retry => source.retry(key).await,
        Action::Evict => source.evict(key).await,
    };
    match outcome {
        Ok(message) => {
            let location = format!("{}/parked?done={}", shared.base, html::encode(&message));
            (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
        }
        Err(error) => unavailable(&shared.base, &error),
    }
}
