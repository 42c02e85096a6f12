//! Who may use the operator's endpoints (`GET /metrics`, retrying and evicting parked
//! events): with an operator token configured (`serve --operator-token`, or
//! `CART_OPERATOR_TOKEN`), callers that send `Authorization: Bearer <token>`; without
//! one, callers on this machine (loopback) only. Everything else in the API is open.
//!
//! | request | answer |
//! | --- | --- |
//! | token set, no `Authorization` | 401 `operator_token_required` (`WWW-Authenticate: Bearer`) |
//! | token set, another token | 403 `operator_token_refused` |
//! | no token set, caller not on loopback | 403 `operator_loopback_only` |

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// The operator token, if any; compared in constant time.
#[derive(Clone, Default)]
pub struct OperatorAccess {
    token: Option<Arc<str>>,
}

impl std::fmt::Debug for OperatorAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorAccess")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl OperatorAccess {
    /// Operators on this machine only.
    pub fn loopback_only() -> Self {
        OperatorAccess::default()
    }

    /// Operators who send `Authorization: Bearer <token>`, from anywhere; a blank
    /// token counts as none.
    pub fn token(token: impl Into<String>) -> Self {
        let token: String = token.into();
        OperatorAccess {
            token: (!token.trim().is_empty()).then(|| token.into()),
        }
    }

    fn admits(&self, request: &Request) -> Result<(), ApiError> {
        match &self.token {
            Some(token) => {
                let sent = request
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|value| value.to_str().ok())
                    .map(|value| value.strip_prefix("Bearer ").unwrap_or(""));
                match sent {
                    None => Err(ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "operator_token_required",
                        "this is an operator's endpoint: send `Authorization: Bearer <operator token>`",
                    )),
                    Some(sent) if same(sent.as_bytes(), token.as_bytes()) => Ok(()),
                    Some(_) => Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "operator_token_refused",
                        "that is not the operator token",
                    )),
                }
            }
            None => {
                let loopback = request
                    .extensions()
                    .get::<ConnectInfo<SocketAddr>>()
                    .is_some_and(|ConnectInfo(peer)| peer.ip().is_loopback());
                if loopback {
                    Ok(())
                } else {
                    Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "operator_loopback_only",
                        "operator endpoints answer callers on this machine only; start the server with an operator token to reach them from elsewhere",
                    ))
                }
            }
        }
    }
}

/// Equal bytes, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The middleware on the operator's routes.
pub(super) async fn operator_only(
    State(access): State<OperatorAccess>,
    request: Request,
    next: Next,
) -> Response {
    match access.admits(&request) {
        Ok(()) => next.run(request).await,
        Err(refused) => {
            let unauthorized = refused.status == StatusCode::UNAUTHORIZED;
            let mut response = refused.into_response();
            if unauthorized {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::extract::{ConnectInfo, Request};

    use super::{OperatorAccess, same};

    fn from(peer: Option<&str>) -> Request {
        let mut request = Request::new(axum::body::Body::empty());
        if let Some(peer) = peer {
            let peer: SocketAddr = peer.parse().unwrap_or_else(|e| panic!("{peer}: {e}"));
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        request
    }

    #[test]
    fn without_a_token_only_loopback_callers_are_operators() {
        let access = OperatorAccess::loopback_only();
        assert!(access.admits(&from(Some("127.0.0.1:5000"))).is_ok());
        assert!(access.admits(&from(Some("[::1]:5000"))).is_ok());
        let refused = access.admits(&from(Some("192.0.2.7:5000"))).err();
        assert_eq!(refused.map(|e| e.code), Some("operator_loopback_only"));
        // A router served without peer addresses cannot tell: refused.
        assert!(access.admits(&from(None)).is_err());
        // A blank token is no token.
        assert!(
            OperatorAccess::token("  ")
                .admits(&from(Some("192.0.2.7:1")))
                .is_err()
        );
    }

    #[test]
    fn tokens_compare_by_every_byte() {
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secret2"));
        assert!(!same(b"", b"x"));
    }
}
