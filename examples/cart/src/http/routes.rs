//! The routes: writes go through the aggregate, reads through the read models.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cqrs_core::Store;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::{Body, Condition, IfMatch, Path, Query};
use crate::domain::CartCommand;
use crate::service::{CartApp, Committed};

pub(super) type AppState<S> = Arc<CartApp<S>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AddItem {
    sku: String,
    quantity: u32,
    unit_price_cents: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangeQuantity {
    quantity: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CartQuery {
    as_of_version: Option<u64>,
    /// Answer only once reads have caught up with this position (a write's).
    min_position: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HistoryQuery {
    /// Answer only once reads have caught up with this position (a write's).
    min_position: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TopQuery {
    limit: Option<usize>,
    /// Answer only from a view that reached this position (a write's `position`).
    min_position: Option<u64>,
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    head_position: u64,
}

fn etag(version: u64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
        headers.insert(header::ETAG, value);
    }
    headers
}

/// `None` for `*` (any version), else the accepted versions.
fn condition_versions(condition: Condition) -> Option<Vec<u64>> {
    match condition {
        Condition::Exists => None,
        Condition::OneOf(versions) => Some(versions),
    }
}

async fn command<S: Store>(
    app: &CartApp<S>,
    cart_id: &str,
    command: CartCommand,
    if_match: IfMatch,
) -> Result<Response, ApiError> {
    let expected = match if_match.0 {
        None => None,
        Some(Condition::OneOf(versions)) if versions.len() == 1 => versions.first().copied(),
        // `*` or a list: the version now, if it is one the client accepts; the
        // command then expects exactly that version, so the check holds at the append.
        Some(condition) => Some(
            app.accepted_version(cart_id, &condition_versions(condition))
                .await?,
        ),
    };
    let committed: Committed = app.execute(cart_id, command, expected).await?;
    Ok((StatusCode::OK, etag(committed.version), Json(committed)).into_response())
}

pub(super) async fn add_item<S: Store>(
    State(app): State<AppState<S>>,
    Path(cart_id): Path<String>,
    if_match: IfMatch,
    Body(body): Body<AddItem>,
) -> Result<Response, ApiError> {
    let AddItem {
        sku,
        quantity,
        unit_price_cents,
    } = body;
    command(
        &app,
        &cart_id,
        CartCommand::AddItem {
            sku,
            quantity,
            unit_price_cents,
        },
        if_match,
    )
    .await
}

pub(super) async fn change_quantity<S: Store>(
    State(app): State<AppState<S>>,
    Path((cart_id, sku)): Path<(String, String)>,
    if_match: IfMatch,
    Body(body): Body<ChangeQuantity>,
) -> Result<Response, ApiError> {
    let quantity = body.quantity;
    command(
        &app,
        &cart_id,
        CartCommand::ChangeQuantity { sku, quantity },
        if_match,
    )
    .await
}

pub(super) async fn remove_item<S: Store>(
    State(app): State<AppState<S>>,
    Path((cart_id, sku)): Path<(String, String)>,
    if_match: IfMatch,
) -> Result<Response, ApiError> {
    command(&app, &cart_id, CartCommand::RemoveItem { sku }, if_match).await
}

pub(super) async fn clear<S: Store>(
    State(app): State<AppState<S>>,
    Path(cart_id): Path<String>,
    if_match: IfMatch,
) -> Result<Response, ApiError> {
    command(&app, &cart_id, CartCommand::ClearCart, if_match).await
}

pub(super) async fn checkout<S: Store>(
    State(app): State<AppState<S>>,
    Path(cart_id): Path<String>,
    if_match: IfMatch,
) -> Result<Response, ApiError> {
    command(&app, &cart_id, CartCommand::Checkout, if_match).await
}

pub(super) async fn get_cart<S: Store>(
    State(app): State<AppState<S>>,
    Path(cart_id): Path<String>,
    Query(query): Query<CartQuery>,
) -> Result<Response, ApiError> {
    if let Some(position) = query.min_position {
        app.wait_for_position(position).await?;
    }
    let view = match query.as_of_version {
        Some(version) => app.cart_at(&cart_id, version).await?,
        None => app.cart(&cart_id).await?,
    };
    Ok((etag(view.version), Json(view)).into_response())
}

pub(super) async fn history<S: Store>(
    State(app): State<AppState<S>>,
    Path(cart_id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    if let Some(position) = query.min_position {
        app.wait_for_position(position).await?;
    }
    let history = app.history(&cart_id).await?;
    let version = history.last().map_or(0, |e| e.version);
    Ok((etag(version), Json(history)).into_response())
}

pub(super) async fn top_products<S: Store>(
    State(app): State<AppState<S>>,
    Query(query): Query<TopQuery>,
) -> Result<Response, ApiError> {
    let limit = query.limit.unwrap_or(10).min(1_000);
    let (top, fresh) = app.top_products_fresh(limit, query.min_position).await?;
    let mut response = Json(top).into_response();
    let headers = response.headers_mut();
    headers.insert("x-read-position", fresh.position.into());
    headers.insert(
        "x-read-lag",
        fresh.head.saturating_sub(fresh.position).into(),
    );
    Ok(response)
}

pub(super) async fn projections<S: Store>(
    State(app): State<AppState<S>>,
) -> Result<Response, ApiError> {
    Ok(Json(app.projections().await?).into_response())
}

pub(super) async fn health<S: Store>(State(app): State<AppState<S>>) -> Result<Response, ApiError> {
    let head_position = cqrs_core::EventStore::head_position(app.store())
        .await
        .map_err(crate::service::AppError::from)?;
    Ok(Json(Health {
        status: "ok",
        head_position,
    })
    .into_response())
}

pub(super) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; see the README for the API",
    )
}

pub(super) async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "no such route; see the README for the API",
    )
}
