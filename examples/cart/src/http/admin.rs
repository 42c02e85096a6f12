//! The operator's page (`cqrs-admin`) at `/admin`, fed with the cart's own report
//! of its projections.

use std::sync::Arc;

use cqrs_admin::{Admin, ParkedRow, ParkedSource, ProjectionRow, ProjectionSource};
use cqrs_core::Store;
use futures_util::future::BoxFuture;

use crate::service::CartApp;

/// Where the page is mounted.
pub(crate) const BASE: &str = "/admin";

struct CartProjections<S: Store>(Arc<CartApp<S>>);

impl<S: Store> ProjectionSource for CartProjections<S> {
    fn rows(&self) -> BoxFuture<'_, Vec<ProjectionRow>> {
        Box::pin(async move {
            let Ok(reports) = self.0.projections().await else {
                return Vec::new();
            };
            reports
                .into_iter()
                .map(|report| ProjectionRow {
                    state: match &report.worker {
                        Some(state) => format!("{} ({state:?})", report.kind),
                        None => report.kind.to_owned(),
                    },
                    name: report.name,
                    checkpoint: report.checkpoint,
                    head: report.head,
                })
                .collect()
        })
    }
}

/// The order fulfilment's parked events, by order.
struct CartParked<S: Store>(Arc<CartApp<S>>);

impl<S: Store> ParkedSource for CartParked<S> {
    fn parked(&self) -> BoxFuture<'_, Result<Vec<ParkedRow>, String>> {
        Box::pin(async move {
            let orders = self.0.orders().parked().await.map_err(|e| e.to_string())?;
            Ok(orders
                .into_iter()
                .flat_map(|order| {
                    let key = order.order;
                    order.events.into_iter().map(move |event| ParkedRow {
                        key: key.clone(),
                        position: event.position,
                        event_name: event.event_name,
                        error: event.error,
                    })
                })
                .collect())
        })
    }

    fn retry<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let remaining = self
                .0
                .orders()
                .retry_parked(key)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "retried order {key}: {remaining} events still parked"
            ))
        })
    }

    fn evict<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let evicted = self
                .0
                .orders()
                .evict_parked(key)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("evicted order {key}: {evicted} events dropped"))
        })
    }
}

/// The page's routes over the app's store.
pub(crate) fn router<S: Store>(app: Arc<CartApp<S>>) -> axum::Router {
    Admin::new(app.store().clone(), BASE)
        .projections(CartProjections(app.clone()))
        .parked(CartParked(app))
        .router()
}
