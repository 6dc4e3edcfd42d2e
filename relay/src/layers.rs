//! What every response of `router()` passes through, relay routes, 404s and static files alike:
//! the per-client rate limit (R6, S1, S6), the request metrics, panics turned into an OAuth 500
//! (S16), and the browser-facing security headers (S20).

use crate::config::{ConfigError, RelayConfig};
use crate::forwarded::client_addr;
use crate::guard::{allowed_origin, cors_headers};
use crate::metrics::NO_ROUTE;
use crate::upstream::QUEUE_WAIT;
use crate::{AppState, RelayError};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The route template a relay route's answer was produced by, for the request metrics
/// (set by `guard::cors`, which every relay route passes through).
#[derive(Clone, Copy)]
pub(crate) struct RouteLabel(pub &'static str);

/// Every request counts against its client's bucket, whatever it asks for: which routes are
/// limited is not a per-route decision (and so never depends on the `test-hooks` counters).
/// Then the answer gets the browser-facing headers (S20) and is counted, by the route that made
/// it. One layer for all three: each layer of the router costs a boxed future per request in
/// flight, about 1 KB each (issue 14: memory at 1,000 connections).
pub(crate) async fn edge(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let mut resp = rate_limit(&state, req, next).await;
    browser_headers(&state, resp.headers_mut());
    let route = resp.extensions().get::<RouteLabel>().map_or(NO_ROUTE, |r| r.0);
    state.metrics.request(route, &method, resp.status().as_u16(), started.elapsed());
    resp
}

/// The headers [`edge`] gives every answer (S20).
fn browser_headers(state: &AppState, h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::CONTENT_SECURITY_POLICY, state.csp.clone());
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
}

/// A refusal before any route: readable by an allowed origin (the CORS headers: the browser can
/// then read the status and its Retry-After), with `Vary: Origin`.
fn refused(config: &RelayConfig, request: &HeaderMap, error: RelayError) -> Response {
    let mut resp = error.into_response();
    if let Some(o) = allowed_origin(config, request) {
        cors_headers(resp.headers_mut(), o);
    }
    resp.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
    resp
}

/// The 503 for a request that waited `QUEUE_WAIT` at `RELAY_MAX_REQUESTS` without being handled
/// (`server.rs`): what [`edge`] would have given it, counted as an answer of no route.
pub(crate) fn queue_timeout(state: &AppState, method: &Method, request: &HeaderMap) -> Response {
    state.metrics.requests_queue_timeouts.inc();
    let error = RelayError::unavailable("the relay is at its limit of requests in progress", 1);
    let mut resp = refused(&state.config, request, error);
    browser_headers(state, resp.headers_mut());
    state.metrics.request(NO_ROUTE, method, resp.status().as_u16(), QUEUE_WAIT);
    resp
}

async fn rate_limit(state: &AppState, req: Request, next: Next) -> Response {
    let config = &state.config;
    let client = client_addr(config, &req);
    // Shared by the replicas when Redis answers; this process's own buckets otherwise.
    let shared = match &state.replicas {
        Some(r) => r.rate_check(client, config.rate_limit_per_minute).await,
        None => None,
    };
    match shared.unwrap_or_else(|| state.limiter.check(client)) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            state.metrics.rate_limited.inc();
            refused(config, req.headers(), RelayError::rate_limited(wait))
        }
    }
}

/// `Content-Security-Policy: frame-ancestors …`, set on every response with the other
/// browser-facing headers (`X-Content-Type-Options`, `Referrer-Policy`) by [`edge`]:
/// the relay's answers, proxied Canvas JSON and static files are all served on the app's origin.
/// `frame-ancestors` alone restricts no script, style or wasm, so the SPA keeps working.
pub(crate) fn frame_ancestors_csp(config: &RelayConfig) -> HeaderValue {
    HeaderValue::from_str(&format!("frame-ancestors {}", config.frame_ancestors)).expect("validated sources")
}

/// A handler panic becomes the relay's generic 500 (the connection stays usable); the panic's
/// message is not echoed, as it might hold request data.
pub(crate) fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    RelayError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal error").into_response()
}

/// `RELAY_FRAME_ANCESTORS`: `'none'` alone, or `'self'` and origins like `https://canvas.example.edu`
/// or `https://*.instructure.com`; nothing that could end the directive or start another.
pub(crate) fn parse_frame_ancestors(sources: &[String]) -> Result<String, ConfigError> {
    let origin_like = |s: &str| {
        let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
        rest.is_some_and(|r| {
            let r = r.strip_prefix("*.").unwrap_or(r);
            !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b))
        })
    };
    match sources {
        [one] if one == "'none'" => Ok(one.clone()),
        _ if !sources.is_empty() && sources.iter().all(|s| s == "'self'" || origin_like(s)) => Ok(sources.join(" ")),
        _ => Err(ConfigError {
            variable: "RELAY_FRAME_ANCESTORS".into(),
            message: "'none', or 'self' and https://host[:port] origins (the host may start with *.)".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// S16 holds in the release binary only if panics unwind: with `panic = "abort"` (as the wasm
    /// is built, scripts/build-pkg.sh) a handler panic would end the relay instead of a 500.
    #[test]
    fn the_release_profile_unwinds() {
        let manifest: toml::Table = include_str!("../../Cargo.toml").parse().unwrap();
        let release = &manifest["profile"]["release"];
        assert!(release.get("panic").is_none_or(|p| p.as_str() == Some("unwind")), "{release:?}");
    }

    #[test]
    fn frame_ancestors_are_checked() {
        let list = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(parse_frame_ancestors(&list("'none'")).unwrap(), "'none'");
        let embedded = "'self' https://canvas.example.edu https://*.instructure.com:443";
        assert_eq!(parse_frame_ancestors(&list(embedded)).unwrap(), embedded);
        for bad in ["'none' https://a.example", "https://a.example;", "script-src", "https://", "'unsafe-inline'"] {
            assert!(parse_frame_ancestors(&list(bad)).is_err(), "{bad}");
        }
        assert!(parse_frame_ancestors(&[]).is_err());
    }
}
