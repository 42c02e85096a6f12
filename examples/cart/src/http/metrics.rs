//! `GET /metrics`: the process's metrics in Prometheus' text format.
//!
//! | metric | kind | labels | what |
//! | --- | --- | --- | --- |
//! | `cqrs_commands_total` | counter | `aggregate`, `outcome` (`ok`, `rejected`, `conflict`, `unavailable`, `store`, `decode`, `encode`) | commands executed |
//! | `cqrs_command_seconds` | histogram (summary quantiles) | `aggregate` | time from `execute` to its answer |
//! | `cqrs_events_appended_total` | counter | `aggregate` | events the commands appended |
//! | `cqrs_append_group_size` | summary | | appends committed together in one transaction (SQLite, PostgreSQL) |
//! | `cqrs_projection_position` | gauge | `projection` | the read model's checkpoint |
//! | `cqrs_projection_lag` | gauge | `projection` | positions between the checkpoint and the log's head |
//! | `cqrs_parked_events` | gauge | `projection` | events set aside for an operator (process managers, parking views) |
//! | `cqrs_pending_deadlines` | gauge | `projection` | deadlines a process manager waits for |
//!
//! The framework records them through the `metrics` crate; this module installs the
//! process's recorder (once, the first time a router is built) and renders it.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The process's recorder, `None` when another one was installed first (then the
/// route answers what this one has: nothing).
static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder as the process's `metrics` recorder, once.
pub(crate) fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => Some(handle),
                Err(error) => {
                    tracing::warn!("metrics are recorded elsewhere; /metrics stays empty: {error}");
                    None
                }
            }
        })
        .as_ref()
}

/// `GET /metrics`.
pub(crate) async fn render() -> impl IntoResponse {
    let body = install().map(PrometheusHandle::render).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
