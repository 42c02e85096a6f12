//! The operator's page (`cqrs-admin`) at `/admin`, fed with the cart's own report
//! of its projections.

use std::sync::Arc;

use cqrs_admin::{Admin, ProjectionRow, ProjectionSource};
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

/// The page's routes over the app's store.
pub(crate) fn router<S: Store>(app: Arc<CartApp<S>>) -> axum::Router {
    Admin::new(app.store().clone(), BASE)
        .projections(CartProjections(app))
        .router()
}
