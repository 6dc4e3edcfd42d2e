//! The browser-facing checks of the relay routes (R4), each a small middleware:
//! - [`cors`] on every relay route: a non-allow-listed `Origin` is refused server-side (403), CORS
//!   preflights are answered, and answers to an allow-listed origin carry its CORS headers;
//! - [`csrf`] on the browser routes (not `/lti/token` or the test hooks): a state-changing request
//!   needs an allow-listed `Origin` and `X-Canvas-Relay: 1`.
//!
//! The rate limit (R6) is `layers::rate_limit`; the request id and log line are `request_log`.
//!
//! Why not tower-http's `CorsLayer` (0.6): it answers every `OPTIONS` itself with 200 (the relay
//! answers 204, or 403 without an allow-listed Origin), lets requests from other origins through
//! to the handler (the server-side 403 would stay hand code anyway), appends a lower-case
//! `vary: origin, access-control-request-method, …` list, sends no expose-headers on preflights,
//! and takes one fixed method list (per-route methods would need a layer per route, plus the API
//! allow-list's). And the 429 from the outer rate limit would still need the headers by hand.

use crate::error::RelayError;
use crate::layers::RouteLabel;
use crate::metrics::{route_label, UNMATCHED};
use crate::{AppState, RelayConfig, ROUTES};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

const ALLOW_HEADERS: &str = "authorization, content-type, accept, x-canvas-relay, if-none-match";
const EXPOSE_HEADERS: &str = "link, retry-after, x-rate-limit-remaining, x-request-cost, x-request-id";

/// The route the router matched, without the base path (`/token`, `/api/v1/{*path}`), or
/// `(unmatched)`.
pub(crate) fn matched_route(req: &Request, config: &RelayConfig) -> String {
    req.extensions().get::<MatchedPath>().map_or_else(|| UNMATCHED.to_string(), |p| strip_base(config, p).to_string())
}

fn strip_base<'p>(config: &RelayConfig, p: &'p MatchedPath) -> &'p str {
    p.as_str().strip_prefix(config.path_prefix()).unwrap_or(p.as_str())
}

/// The request's `Origin` when it is allow-listed (compared exactly).
pub(crate) fn allowed_origin<'h>(config: &RelayConfig, headers: &'h HeaderMap) -> Option<&'h str> {
    origin(headers).filter(|o| config.allowed_origins.iter().any(|a| a == o))
}

/// The `Origin` header, if it is readable text (an unreadable one counts as none).
fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
}

/// CORS answer headers for an allow-listed `origin` (R4: exact echo, with credentials).
pub(crate) fn cors_headers(h: &mut HeaderMap, origin: &str) {
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_str(origin).expect("validated origin"));
    h.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
}

pub(crate) async fn cors(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let config = &state.config;
    let route = route_label(req.extensions().get::<MatchedPath>().map(|p| strip_base(config, p)));
    let sent = origin(req.headers()).is_some();
    let allowed = allowed_origin(config, req.headers()).map(str::to_string);
    let mut resp = if sent && allowed.is_none() {
        RelayError::forbidden("origin not allowed").into_response()
    } else if req.method() == Method::OPTIONS {
        match allowed {
            Some(_) => preflight(config, &matched_route(&req, config)),
            None => RelayError::forbidden("an allow-listed Origin header is required").into_response(),
        }
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(o) = &allowed {
        cors_headers(h, o);
    }
    // For the request metrics (`layers::edge`): every relay route passes here.
    resp.extensions_mut().insert(RouteLabel(route));
    resp
}

fn preflight(config: &RelayConfig, route: &str) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, allow_methods(config, route));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOW_HEADERS));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    r
}

/// The preflight's `Access-Control-Allow-Methods` for a matched `route` (S15): the route's own
/// methods, the API allow-list's for the proxy, and everything the relay serves otherwise.
pub(crate) fn allow_methods(config: &RelayConfig, route: &str) -> HeaderValue {
    // The GraphQL rule names its own route, not methods for the proxy.
    let api = || {
        config
            .api_allow
            .iter()
            .filter(|r| r.prefix != crate::config::GRAPHQL_PATH)
            .flat_map(|r| r.methods.iter().map(String::as_str))
    };
    let mut methods: Vec<&str> = match ROUTES.iter().find(|(_, path)| *path == route) {
        Some(("ANY", _)) => api().collect(),
        Some((method, _)) => vec![method],
        None => ROUTES.iter().map(|(m, _)| *m).filter(|m| *m != "ANY").chain(api()).collect(),
    };
    const ORDER: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
    methods.sort_by_key(|m| ORDER.iter().position(|o| o == m));
    methods.dedup();
    HeaderValue::from_str(&methods.join(", ")).expect("method names")
}

/// Login-CSRF and cross-site-request protection for what a browser calls: a cross-site form can
/// neither choose its `Origin` nor add a custom header. Preflights never get here (`cors` answers them).
pub(crate) async fn csrf(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    if allowed_origin(&state.config, req.headers()).is_none() {
        return RelayError::forbidden("an allow-listed Origin header is required").into_response();
    }
    let marked = req.headers().get(canvas_oauth_core::RELAY_HEADER).is_some_and(|v| v.as_bytes() == b"1");
    if !marked {
        return RelayError::forbidden("the X-Canvas-Relay: 1 header is required").into_response();
    }
    let site = req.headers().get("sec-fetch-site").map(|v| v.as_bytes());
    if !fetch_site_allowed(state.config.cookie_mode, site) {
        return RelayError::forbidden("Sec-Fetch-Site does not allow this request").into_response();
    }
    next.run(req).await
}

/// R9: which `Sec-Fetch-Site` values a state-changing request may carry. Absent (older browsers,
/// servers) passes: the Origin allow-list and the custom header still apply. `same-origin` and
/// `same-site` pass. `none` (the user typed or bookmarked it) never comes from the library's
/// fetch. `cross-site` passes in the strict mode, where the `SameSite=Strict` cookie is not sent
/// with it anyway (the bearer API proxy works cross-site); in the embedded mode the cookie is
/// `SameSite=None`, so the relay must be on the app's own site and cross-site is refused.
/// The site is the calling page's (the app inside Canvas's iframe), not the top-level page's.
pub(crate) fn fetch_site_allowed(mode: crate::CookieMode, site: Option<&[u8]>) -> bool {
    match site {
        None | Some(b"same-origin" | b"same-site") => true,
        Some(b"cross-site") => mode == crate::CookieMode::Strict,
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::fetch_site_allowed;
    use crate::CookieMode::{Embedded, Strict};

    #[test]
    fn fetch_site_values_per_mode() {
        for mode in [Strict, Embedded] {
            for ok in [None, Some(&b"same-origin"[..]), Some(b"same-site")] {
                assert!(fetch_site_allowed(mode, ok), "{mode:?} {ok:?}");
            }
            for bad in [&b"none"[..], b"", b"Same-Origin", b"same-origin, cross-site", b"unknown"] {
                assert!(!fetch_site_allowed(mode, Some(bad)), "{mode:?} {bad:?}");
            }
        }
        assert!(fetch_site_allowed(Strict, Some(b"cross-site")));
        assert!(!fetch_site_allowed(Embedded, Some(b"cross-site")));
    }
}
