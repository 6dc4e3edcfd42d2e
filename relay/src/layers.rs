//! What every request of `router()` passes through, relay routes, 404s and static files alike:
//! the per-client rate limit (R6, S1, S6). Also the CORS answer headers shared with the guard.

use crate::{client_addr, AppState, RelayError};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Every request counts against its client's bucket, whatever it asks for: which routes are
/// limited is not a per-route decision (and so never depends on the `test-hooks` counters).
pub(crate) async fn rate_limit(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let config = &state.config;
    match state.limiter.check(client_addr(config, &req)) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let mut resp = RelayError::rate_limited(wait).into_response();
            // The browser can read the 429 and its Retry-After only with the CORS headers.
            let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok());
            if let Some(o) = origin.filter(|o| config.allowed_origins.iter().any(|a| a == o)) {
                cors_headers(resp.headers_mut(), o);
            }
            resp.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
            resp
        }
    }
}

/// CORS answer headers for an allow-listed `origin` (R4: exact echo, with credentials).
pub(crate) fn cors_headers(h: &mut HeaderMap, origin: &str) {
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_str(origin).expect("validated origin"));
    h.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("link, retry-after, x-rate-limit-remaining, x-request-cost, x-request-id"),
    );
}
