//! The HTTP API (axum), JSON in and out.
//!
//! | route | does |
//! | --- | --- |
//! | `POST /carts/{id}/items` | add `{"sku","quantity","unit_price_cents"}` |
//! | `PUT /carts/{id}/items/{sku}` | set `{"quantity"}` (0 removes) |
//! | `DELETE /carts/{id}/items/{sku}` | remove a product |
//! | `DELETE /carts/{id}/items` | clear the cart |
//! | `POST /carts/{id}/checkout` | check out |
//! | `GET /carts/{id}` | contents, total, version; `?as_of_version=N` for the past |
//! | `GET /carts/{id}/history` | every event with version and time |
//! | `GET /products/top?limit=N` | products most often added |
//! | `PUT /stock/{sku}` | count a product's stock: `{"on_hand"}` |
//! | `GET /orders` | every order, newest first |
//! | `GET /orders/{id}` | one order: status, lines, payment due time or why it ended |
//! | `POST /payments/{order}/confirm` | the simulated provider confirms the payment |
//! | `POST /payments/{order}/fail` | it refuses it: `{"reason"}` |
//! | `GET /processes/fulfilment/parked` | orders whose events wait for an operator |
//! | `POST /processes/fulfilment/parked/{order}/retry` | handle them again |
//! | `POST /processes/fulfilment/parked/{order}/evict` | drop them |
//! | `GET /projections` | each read model's checkpoint, the log's head, the lag; parked events and deadlines of the fulfilment |
//! | `GET /health` | liveness and the log's head position |
//! | `GET /metrics` | commands, appends and projections in Prometheus' text format (the metric names are in the `metrics` module's docs) |
//!
//! `GET /metrics` and retrying or evicting parked events are the operator's: with
//! `serve --operator-token` they need `Authorization: Bearer <token>` (401 without,
//! 403 with another), without a token they answer loopback callers only (see
//! [`OperatorAccess`]).
//!
//! Reads carry `ETag: "<version>"`; writes honour `If-Match: "<version>"` and answer
//! 409 when the cart moved on. Every error is JSON, including 404 routes, 405, 413
//! (bodies over [`BODY_LIMIT`]), 414 (paths over [`URI_LIMIT`]) and 431 (headers over
//! [`HEADERS_LIMIT`]).

mod admin;
mod error;
mod extract;
mod limits;
mod metrics;
mod operator;
mod order_routes;
mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use cqrs_core::Store;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use limits::{HEADERS_LIMIT, URI_LIMIT};
pub use operator::OperatorAccess;

use crate::service::CartApp;

/// Bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 16 * 1024;

/// The router over an application; operator endpoints answer loopback callers only.
pub fn router<S: Store>(app: Arc<CartApp<S>>) -> Router {
    router_with(app, OperatorAccess::loopback_only())
}

/// The router over an application, with who may use the operator's endpoints.
pub fn router_with<S: Store>(app: Arc<CartApp<S>>, access: OperatorAccess) -> Router {
    metrics::install();
    let operator = Router::new()
        .route("/metrics", get(metrics::render))
        .route(
            "/processes/fulfilment/parked/{order}/retry",
            post(order_routes::retry_parked::<S>),
        )
        .route(
            "/processes/fulfilment/parked/{order}/evict",
            post(order_routes::evict_parked::<S>),
        )
        .route(
            "/projections/{name}/rebuild",
            post(order_routes::rebuild::<S>),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            access.clone(),
            operator::operator_only,
        ));
    // The operator's page shows payloads: the same rule as the endpoints above.
    let admin = admin::router(app.clone()).route_layer(axum::middleware::from_fn_with_state(
        access,
        operator::operator_only,
    ));
    Router::new()
        .merge(operator)
        .nest_service(admin::BASE, admin)
        .route("/carts/{id}", get(routes::get_cart::<S>))
        .route("/carts/{id}/history", get(routes::history::<S>))
        .route(
            "/carts/{id}/items",
            post(routes::add_item::<S>).delete(routes::clear::<S>),
        )
        .route(
            "/carts/{id}/items/{sku}",
            put(routes::change_quantity::<S>).delete(routes::remove_item::<S>),
        )
        .route("/carts/{id}/checkout", post(routes::checkout::<S>))
        .route("/products/top", get(routes::top_products::<S>))
        .route("/stock/{sku}", put(order_routes::set_stock::<S>))
        .route("/orders", get(order_routes::list::<S>))
        .route("/orders/{id}", get(order_routes::get::<S>))
        .route(
            "/payments/{order}/confirm",
            post(order_routes::confirm_payment::<S>),
        )
        .route(
            "/payments/{order}/fail",
            post(order_routes::fail_payment::<S>),
        )
        .route(
            "/processes/fulfilment/parked",
            get(order_routes::parked::<S>),
        )
        .route("/projections", get(routes::projections::<S>))
        .route("/health", get(routes::health::<S>))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(limits::within_limits))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight; operator
/// endpoints answer loopback callers only.
pub async fn serve<S, F>(
    listener: TcpListener,
    app: Arc<CartApp<S>>,
    shutdown: F,
) -> std::io::Result<()>
where
    S: Store,
    F: Future<Output = ()> + Send + 'static,
{
    serve_with(listener, app, OperatorAccess::loopback_only(), shutdown).await
}

/// [`serve`] with who may use the operator's endpoints.
pub async fn serve_with<S, F>(
    listener: TcpListener,
    app: Arc<CartApp<S>>,
    access: OperatorAccess,
    shutdown: F,
) -> std::io::Result<()>
where
    S: Store,
    F: Future<Output = ()> + Send + 'static,
{
    let service = router_with(app, access).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}
