//! The orders' routes: stock, the simulated payment provider, orders, and the
//! operator's parked orders.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use cqrs_core::Store;
use serde::Deserialize;

use super::error::ApiError;
use super::extract::{Body, Path};
use super::routes::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SetStock {
    on_hand: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FailPayment {
    reason: String,
}

pub(super) async fn set_stock<S: Store>(
    State(app): State<AppState<S>>,
    Path(sku): Path<String>,
    Body(body): Body<SetStock>,
) -> Result<Response, ApiError> {
    let level = app.orders().set_stock(&sku, body.on_hand).await?;
    Ok(Json(level).into_response())
}

pub(super) async fn list<S: Store>(State(app): State<AppState<S>>) -> Result<Response, ApiError> {
    Ok(Json(app.orders().list().await?).into_response())
}

pub(super) async fn get<S: Store>(
    State(app): State<AppState<S>>,
    Path(order): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(app.orders().get(&order).await?).into_response())
}

pub(super) async fn confirm_payment<S: Store>(
    State(app): State<AppState<S>>,
    Path(order): Path<String>,
) -> Result<Response, ApiError> {
    let status = app.orders().settle_payment(&order, None).await?;
    Ok(Json(serde_json::json!({ "order": order, "payment": status })).into_response())
}

pub(super) async fn fail_payment<S: Store>(
    State(app): State<AppState<S>>,
    Path(order): Path<String>,
    Body(body): Body<FailPayment>,
) -> Result<Response, ApiError> {
    let status = app
        .orders()
        .settle_payment(&order, Some(body.reason))
        .await?;
    Ok(Json(serde_json::json!({ "order": order, "payment": status })).into_response())
}

pub(super) async fn parked<S: Store>(State(app): State<AppState<S>>) -> Result<Response, ApiError> {
    Ok(Json(app.orders().parked().await?).into_response())
}

pub(super) async fn retry_parked<S: Store>(
    State(app): State<AppState<S>>,
    Path(order): Path<String>,
) -> Result<Response, ApiError> {
    let remaining = app.orders().retry_parked(&order).await?;
    Ok(Json(serde_json::json!({ "order": order, "still_parked": remaining })).into_response())
}

pub(super) async fn evict_parked<S: Store>(
    State(app): State<AppState<S>>,
    Path(order): Path<String>,
) -> Result<Response, ApiError> {
    let evicted = app.orders().evict_parked(&order).await?;
    Ok(Json(serde_json::json!({ "order": order, "evicted": evicted })).into_response())
}

#[derive(Deserialize)]
pub(super) struct RebuildQuery {
    #[serde(default)]
    shadow: bool,
}

/// `POST /projections/{name}/rebuild[?shadow=true]`: an operator's rebuild, as
/// `cart projections rebuild` does it; answers how many events were replayed.
pub(super) async fn rebuild<S: Store>(
    State(app): State<AppState<S>>,
    Path(name): Path<String>,
    axum::extract::Query(query): axum::extract::Query<RebuildQuery>,
) -> Result<Response, ApiError> {
    let events = app.rebuild(&name, query.shadow, |_| {}).await?;
    let body = serde_json::json!({ "rebuilt": name, "shadow": query.shadow, "events": events });
    Ok(Json(body).into_response())
}
