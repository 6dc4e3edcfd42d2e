//! Relay error answers: `{error, error_description?}` with OAuth codes (R5). The status/error
//! pairs match `canvas_oauth_core::error_from_relay`: 401 invalid_grant → sign in again;
//! 401 invalid_token → not signed in; 429/503 → rate limited; 400 invalid_request/invalid_scope;
//! everything else → relay_error (never the user's grant).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use canvas_oauth_core::ErrorBody;

/// An error answer. Descriptions are the relay's fixed text (never Canvas's: S5), never secrets.
#[derive(Debug, Clone)]
pub struct RelayError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: Option<String>,
    pub retry_after: Option<u64>,
    /// Clear the refresh-token cookie with this answer.
    pub clear_cookie: bool,
    /// Canvas's status, for the request log.
    pub upstream_status: Option<u16>,
}

impl RelayError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: Some(description.into()),
            retry_after: None,
            clear_cookie: false,
            upstream_status: None,
        }
    }
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }
    /// 401 invalid_grant, cookie cleared: the grant is gone, sign in again.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self { clear_cookie: true, ..Self::new(StatusCode::UNAUTHORIZED, "invalid_grant", description) }
    }
    /// 401 invalid_token: no usable credentials were presented.
    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description)
    }
    pub fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "access_denied", description)
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such relay route")
    }
    /// 502: Canvas answered something the relay cannot use, or the relay is misconfigured.
    pub fn bad_gateway(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "server_error", description)
    }
    /// 504: Canvas did not answer in time.
    pub fn timeout() -> Self {
        Self::new(StatusCode::GATEWAY_TIMEOUT, "temporarily_unavailable", "Canvas did not answer in time")
    }
    /// 503 + Retry-After: Canvas is throttling, or the relay is at its upstream limit.
    pub fn unavailable(description: impl Into<String>, retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", description)
        }
    }
    pub fn rate_limited(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many requests; retry later")
        }
    }
    /// 408: the request body did not arrive within `RELAY_BODY_TIMEOUT_MS`.
    pub fn body_timeout() -> Self {
        Self::new(StatusCode::REQUEST_TIMEOUT, "invalid_request", "the request body did not arrive in time")
    }
    pub fn too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", "request body too large")
    }
    pub fn with_upstream(mut self, status: u16) -> Self {
        self.upstream_status = Some(status);
        self
    }
}

/// The upstream status, carried to the request log through response extensions.
#[derive(Clone, Copy, Debug)]
pub struct UpstreamStatus(pub u16);

/// Set on a response that must clear the refresh-token cookie; `cookie::clear_marked` acts on it.
#[derive(Clone, Copy, Debug)]
pub struct ClearCookie;

impl IntoResponse for RelayError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: self.error.to_string(), error_description: self.description };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body may still be trickling in: do not keep the connection.
            resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        if self.clear_cookie {
            resp.extensions_mut().insert(ClearCookie);
        }
        if let Some(s) = self.upstream_status {
            resp.extensions_mut().insert(UpstreamStatus(s));
        }
        resp
    }
}
