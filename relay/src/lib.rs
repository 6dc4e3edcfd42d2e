//! canvas-oauth-relay: the token-mediating backend of canvas-oauth (relay protocol v1,
//! `docs/protocol.md`; rules R1–R8, `docs/security.md`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! let config = Arc::new(canvas_oauth_relay::RelayConfig::from_env()?);
//! // Mount into an existing axum app (routes live under `config.base_path`):
//! let app = axum::Router::new().merge(canvas_oauth_relay::router(config.clone()));
//! # let _ = app;
//! // Or run it on its own, with header-read timeouts and a connection cap:
//! let listener = tokio::net::TcpListener::bind(config.listen).await?;
//! canvas_oauth_relay::serve(listener, config).await?;
//! # Ok(()) }
//! ```

mod canvas;
mod coalesce;
pub mod config;
mod conn;
mod cookie;
mod error;
mod extract;
mod handlers;
mod layers;
mod limits;
pub mod lti;
mod proxy;
mod revoke_retry;
mod routes;
mod seal;
mod server;
mod upstream;

pub use config::{ApiRule, ConfigError, CookieKey, LtiConfig, RelayConfig};
pub use error::RelayError;
pub use server::{serve, serve_with_shutdown};

pub(crate) use self::cookie::CookieSpec;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use error::UpstreamStatus;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tower_http::catch_panic::CatchPanicLayer;

/// The OpenAPI 3 document of protocol v1, served at `GET /openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// Every relay route (method, path under the base path). `/api/v1/{*path}` stands for any method.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/token"),
    ("POST", "/refresh"),
    ("POST", "/revoke"),
    ("POST", "/session-url"),
    ("POST", "/lti/token"),
    ("GET", "/jwks.json"),
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("ANY", "/api/v1/{*path}"),
];

/// Cookie base name; prefixed with `__Host-` over https.
pub const COOKIE_NAME: &str = "canvas_relay_rt";

/// Request counters (exposed by the `test-hooks` feature at `GET /__test/stats`).
#[derive(Default)]
pub(crate) struct Stats {
    token: AtomicU64,
    refresh: AtomicU64,
    revoke: AtomicU64,
    session_url: AtomicU64,
    lti: AtomicU64,
    api: AtomicU64,
}

impl Stats {
    #[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "token": self.token.load(Ordering::Relaxed),
            "refresh": self.refresh.load(Ordering::Relaxed),
            "revoke": self.revoke.load(Ordering::Relaxed),
            "session_url": self.session_url.load(Ordering::Relaxed),
            "lti": self.lti.load(Ordering::Relaxed),
            "api": self.api.load(Ordering::Relaxed),
        })
    }
    #[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
    fn reset(&self) {
        for c in [&self.token, &self.refresh, &self.revoke, &self.session_url, &self.lti, &self.api] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

pub(crate) struct AppState {
    pub config: Arc<RelayConfig>,
    pub sealer: seal::Sealer,
    pub upstream: upstream::Upstream,
    pub api_bodies: proxy::BodyBudget,
    pub limiter: limits::RateLimiter,
    pub refreshes: coalesce::Coalescer,
    pub stats: Stats,
    pub cookie: CookieSpec,
    /// Refresh tokens whose sign-out Canvas did not confirm (S2).
    pub denylist: revoke_retry::Denylist,
    pub retries: revoke_retry::Retries,
}

/// The relay as an axum router. Relay routes live under `config.base_path`; when
/// `static_dir`/`static_mounts` are set, their files are served too (`static_dir` at `/`).
pub fn router(config: Arc<RelayConfig>) -> Router {
    let state = Arc::new(AppState {
        sealer: seal::Sealer::new(config.cookie_keys.clone(), &config.canvas_origin(), &config.client_id),
        upstream: upstream::Upstream::new(&config),
        api_bodies: proxy::BodyBudget::new(config.api_body_budget),
        limiter: limits::RateLimiter::new(config.rate_limit_per_minute),
        refreshes: coalesce::Coalescer::default(),
        stats: Stats::default(),
        cookie: CookieSpec::from_config(&config),
        denylist: revoke_retry::Denylist::default(),
        retries: revoke_retry::Retries::default(),
        config: config.clone(),
    });
    let relay = Router::new()
        .route(
            "/token",
            post(routes::token::token)
                .route_layer(middleware::from_fn_with_state(state.clone(), routes::token::deadline)),
        )
        .route("/refresh", post(routes::refresh::refresh))
        .route(
            "/revoke",
            post(routes::revoke::revoke).route_layer(middleware::map_response(routes::revoke::clears_the_cookie)),
        )
        .route("/session-url", post(handlers::session_url))
        .route("/lti/token", post(handlers::lti_token))
        .route("/jwks.json", get(handlers::jwks))
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/api/v1/{*path}", any(proxy::proxy));
    #[cfg(feature = "test-hooks")]
    let relay = relay
        .route("/__test/stats", get(test_stats))
        .route("/__test/reset", post(test_reset))
        .route("/__test/panic", get(test_panic));
    let relay = relay
        .fallback(not_found)
        .layer(CatchPanicLayer::custom(layers::panic_response))
        .layer(middleware::map_response_with_state(state.clone(), cookie::clear_marked))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state.clone());
    let mut app = if config.base_path == "/" { relay } else { Router::new().nest(&config.base_path, relay) };
    for (mount, dir) in &config.static_mounts {
        app = app.nest_service(mount, tower_http::services::ServeDir::new(dir));
    }
    if let Some(dir) = &config.static_dir {
        app = app.fallback_service(tower_http::services::ServeDir::new(dir).append_index_html_on_directories(true));
    }
    app.layer(CatchPanicLayer::custom(layers::panic_response))
        .layer(middleware::from_fn_with_state(state, layers::rate_limit))
        .layer(middleware::map_response(no_store))
        .layer(middleware::map_response_with_state(layers::frame_ancestors_csp(&config), layers::security_headers))
}

async fn no_store(mut resp: Response) -> Response {
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

async fn not_found() -> RelayError {
    RelayError::not_found()
}

#[cfg(feature = "test-hooks")]
async fn test_stats(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    axum::Json(state.stats.snapshot())
}

/// A handler that panics, to show what a panic answers (S16).
#[cfg(feature = "test-hooks")]
async fn test_panic() -> RelayError {
    panic!("test panic")
}

#[cfg(feature = "test-hooks")]
async fn test_reset(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    state.stats.reset();
    state.limiter.reset();
    axum::Json(serde_json::json!({}))
}

fn request_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The client address for rate limiting: the peer, or the Nth-from-last X-Forwarded-For entry
/// when `trusted_proxy_hops` > 0 (R6: only from trusted hops).
fn client_addr(config: &RelayConfig, req: &Request) -> IpAddr {
    let peer =
        req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    forwarded_client(peer, req.headers(), config.trusted_proxy_hops)
}

/// Indexes the raw X-Forwarded-For list (every comma-separated entry counts, parsable or not), so
/// junk the client prepends cannot shift the index onto an address it chose. If the chosen entry is
/// not an IP (`ip`, `ip:port`, `[v6]` or `[v6]:port`), the peer address is used.
fn forwarded_client(peer: IpAddr, headers: &HeaderMap, hops: usize) -> IpAddr {
    if hops == 0 {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or(""))
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    entries.len().checked_sub(hops).and_then(|i| entries.get(i)).and_then(|e| parse_forwarded_ip(e)).unwrap_or(peer)
}

fn parse_forwarded_ip(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6))
}

/// Every relay request passes here: request id, log line, Cache-Control, CORS (R4),
/// origin and header checks (R4). The rate limit (R6) is `layers::rate_limit`.
async fn guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id();
    let config = &state.config;
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().strip_prefix(config.path_prefix()).unwrap_or(p.as_str()).to_string())
        .unwrap_or_else(|| "(unmatched)".to_string());
    let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_string);
    let origin_allowed = origin.as_deref().is_some_and(|o| config.allowed_origins.iter().any(|a| a == o));

    let counter = match route.as_str() {
        "/token" => Some(&state.stats.token),
        "/refresh" => Some(&state.stats.refresh),
        "/revoke" => Some(&state.stats.revoke),
        "/session-url" => Some(&state.stats.session_url),
        "/lti/token" => Some(&state.stats.lti),
        "/api/v1/{*path}" => Some(&state.stats.api),
        _ => None,
    };
    // CORS preflights are the browser's, not calls of the route: tests count real calls.
    if let Some(c) = counter.filter(|_| method != Method::OPTIONS) {
        c.fetch_add(1, Ordering::Relaxed);
    }
    let checked: Result<(), RelayError> = (|| {
        if origin.is_some() && !origin_allowed {
            return Err(RelayError::forbidden("origin not allowed"));
        }
        if method == Method::OPTIONS {
            return Ok(());
        }
        let state_changing = !matches!(method, Method::GET | Method::HEAD);
        // /lti/token is server-to-server: it authenticates the caller with LTI_CALLER_TOKEN
        // (a Bearer secret, never ambient), so the browser-only Origin/header checks do not apply.
        if state_changing && !route.starts_with("/__test/") && route != "/lti/token" {
            if !origin_allowed {
                return Err(RelayError::forbidden("an allow-listed Origin header is required"));
            }
            let marked = req.headers().get(canvas_oauth_core::RELAY_HEADER).is_some_and(|v| v.as_bytes() == b"1");
            if !marked {
                return Err(RelayError::forbidden("the X-Canvas-Relay: 1 header is required"));
            }
        }
        Ok(())
    })();

    let mut resp = match checked {
        Err(e) => e.into_response(),
        Ok(()) if method == Method::OPTIONS => {
            if origin_allowed {
                let mut r = StatusCode::NO_CONTENT.into_response();
                let h = r.headers_mut();
                h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, layers::allow_methods(config, &route));
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static("authorization, content-type, accept, x-canvas-relay, if-none-match"),
                );
                h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
                r
            } else {
                RelayError::forbidden("an allow-listed Origin header is required").into_response()
            }
        }
        Ok(()) => next.run(req).await,
    };

    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    h.insert("x-request-id", HeaderValue::from_str(&id).expect("hex"));
    if let Some(o) = origin.as_deref().filter(|_| origin_allowed) {
        layers::cors_headers(h, o);
    }
    let upstream_status = resp.extensions().get::<UpstreamStatus>().map(|s| s.0);
    // Never the URI (its query may hold anything), headers or bodies.
    tracing::info!(
        request_id = %id,
        method = %method,
        route = %route,
        status = resp.status().as_u16(),
        upstream_status = upstream_status,
        latency_ms = started.elapsed().as_millis() as u64,
        "relay request"
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn forwarded_client_indexes_the_raw_list() {
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // One trusted proxy appended the real client (203.0.113.7); the client sent the rest.
        assert_eq!(forwarded_client(peer, &xff(&["1.1.1.1, 203.0.113.7"]), 1), ip("203.0.113.7"));
        // Junk entries are counted, not dropped: with 2 hops the entry 2nd from the right is the junk
        // one, so the peer is used (not the attacker-chosen 6.6.6.6 further left).
        assert_eq!(forwarded_client(peer, &xff(&["6.6.6.6, junk, 198.51.100.1"]), 2), peer);
        assert_eq!(forwarded_client(peer, &xff(&["6.6.6.6", "garbage", "198.51.100.1"]), 2), peer);
        // ip:port and [v6]:port forms.
        assert_eq!(forwarded_client(peer, &xff(&["203.0.113.7:4711"]), 1), ip("203.0.113.7"));
        assert_eq!(forwarded_client(peer, &xff(&["[2001:db8::1]:443"]), 1), ip("2001:db8::1"));
        assert_eq!(forwarded_client(peer, &xff(&["[2001:db8::1]"]), 1), ip("2001:db8::1"));
        assert_eq!(forwarded_client(peer, &xff(&["2001:db8::1"]), 1), ip("2001:db8::1"));
        // Fewer entries than hops, no header, empty entries, hops = 0.
        assert_eq!(forwarded_client(peer, &xff(&["203.0.113.7"]), 2), peer);
        assert_eq!(forwarded_client(peer, &HeaderMap::new(), 1), peer);
        assert_eq!(forwarded_client(peer, &xff(&["203.0.113.7, "]), 1), peer);
        assert_eq!(forwarded_client(peer, &xff(&["203.0.113.7"]), 0), peer);
    }
}
