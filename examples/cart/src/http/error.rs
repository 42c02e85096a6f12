//! Every error as JSON: a machine-readable code and a human message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::service::AppError;

/// An HTTP error response: `{"error": {"code": ..., "message": ..., ...}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// For conflicts: the version the client expected and the cart's version.
    pub versions: Option<(u64, u64)>,
    /// For a temporary refusal: seconds to wait before trying again (`Retry-After`).
    pub retry_after: Option<u32>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actual_version: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            versions: None,
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        let body = Body {
            error: Detail {
                code: self.code,
                message: &self.message,
                expected_version: self.versions.map(|v| v.0),
                actual_version: self.versions.map(|v| v.1),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        use crate::domain::CartError;
        let message = error.to_string();
        match error {
            AppError::UnknownCart(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "cart_not_found", message)
            }
            AppError::NoSuchVersion { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "version_not_found", message)
            }
            AppError::UnknownOrder(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "order_not_found", message)
            }
            AppError::Stock(rejection) => {
                use crate::orders::stock::StockError;
                let code = match rejection {
                    StockError::BelowReserved { .. } => "below_reserved",
                    StockError::ZeroQuantity => "zero_quantity",
                    StockError::EmptySku => "empty_sku",
                };
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            }
            AppError::Payment(rejection) => {
                use crate::orders::payment::PaymentError;
                let code = match rejection {
                    PaymentError::NotRequested => "payment_not_requested",
                    PaymentError::Settled { .. } => "payment_settled",
                };
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            AppError::UnknownProjection(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "projection_not_found", message)
            }
            AppError::Conflict {
                expected, actual, ..
            } => ApiError {
                versions: Some((expected, actual)),
                ..ApiError::new(StatusCode::CONFLICT, "version_conflict", message)
            },
            AppError::InvalidCartId(..) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_cart_id", message)
            }
            AppError::Unstorable(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "unstorable_text", message)
            }
            AppError::Behind { .. } => ApiError {
                retry_after: Some(1),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "view_behind", message)
            },
            AppError::Unavailable(_) => ApiError {
                retry_after: Some(1),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    message,
                )
            },
            AppError::Busy { .. } => ApiError {
                retry_after: Some(1),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message)
            },
            AppError::Rejected(rejection) => {
                let code = match rejection {
                    CartError::NotFound => "cart_not_found",
                    CartError::CheckedOut => "cart_checked_out",
                    CartError::EmptyCart => "cart_empty",
                    CartError::ZeroQuantity => "zero_quantity",
                    CartError::EmptySku => "empty_sku",
                    CartError::NotInCart(_) => "product_not_in_cart",
                    CartError::PriceMismatch { .. } => "price_mismatch",
                    CartError::TooManyUnits { .. } => "too_many_units",
                    CartError::TotalTooLarge => "total_too_large",
                };
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            }
            AppError::Invalid(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
            }
            AppError::Internal(_) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;

    use super::ApiError;
    use crate::service::AppError;

    /// A conflict that outlasted the retries of a command without `If-Match` is a
    /// temporary refusal with a hint when to try again, not a 409 naming a version
    /// the client never sent.
    #[test]
    fn a_busy_cart_answers_503_with_retry_after() {
        let busy = AppError::Busy {
            cart_id: "alice".into(),
        };
        let response = ApiError::from(busy).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    /// A store fault that may pass (a lost connection, a full disk) is 503 with
    /// `Retry-After`, not 500: a client can tell "try again" from a bug.
    #[test]
    fn a_transient_store_fault_answers_503_with_retry_after() {
        let fault =
            cqrs_core::StoreError::unavailable("append", std::io::Error::other("disk full"));
        let response = ApiError::from(AppError::from(fault)).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        let bug = cqrs_core::StoreError::backend("append", std::io::Error::other("bug"));
        let response = ApiError::from(AppError::from(bug)).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
