//! Limits on what a request may carry before any route sees it, answered in JSON.
//!
//! hyper itself refuses a request line over 64 KiB (414), more than 100 headers or
//! more than 400 KiB of them (431) with an empty body, before this code runs; these
//! limits are lower, so every refusal a client can meet in practice is JSON.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// A path and query longer than this are refused with 414.
pub const URI_LIMIT: usize = 8 * 1024;

/// Header names and values longer than this in total are refused with 431.
pub const HEADERS_LIMIT: usize = 16 * 1024;

/// Refuses a request over [`URI_LIMIT`] or [`HEADERS_LIMIT`].
pub(super) async fn within_limits(request: Request, next: Next) -> Response {
    let uri = request
        .uri()
        .path_and_query()
        .map_or(0, |path| path.as_str().len());
    if uri > URI_LIMIT {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the path and query are {uri} bytes; at most {URI_LIMIT} are read"),
        )
        .into_response();
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > HEADERS_LIMIT {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("the headers are {headers} bytes; at most {HEADERS_LIMIT} are read"),
        )
        .into_response();
    }
    next.run(request).await
}
