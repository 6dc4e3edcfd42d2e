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
mod forwarded;
mod guard;
mod handlers;
#[cfg(feature = "test-hooks")]
mod hooks;
mod layers;
mod limits;
pub mod lti;
mod proxy;
mod replicas;
mod request_log;
mod revoke_retry;
mod routes;
mod seal;
mod server;
mod state;
mod upstream;

pub use config::{ApiRule, ConfigError, CookieKey, LtiConfig, RelayConfig};
pub use error::RelayError;
pub use server::{serve, serve_with_shutdown};

pub(crate) use state::AppState;

use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use axum::Router;
use std::sync::Arc;
use tower::util::MapRequestLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

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
    ("GET", "/ready"),
    ("GET", "/openapi.json"),
    ("ANY", "/api/v1/{*path}"),
];

/// Cookie base name; prefixed with `__Host-` over https.
pub const COOKIE_NAME: &str = "canvas_relay_rt";

/// The relay as an axum router. Relay routes live under `config.base_path`; when
/// `static_dir`/`static_mounts` are set, their files are served too (`static_dir` at `/`).
pub fn router(config: Arc<RelayConfig>) -> Router {
    let state = Arc::new(AppState::new(config.clone()));
    // What a browser calls: state-changing requests need the Origin and X-Canvas-Relay (R4),
    // unknown paths included.
    let browser = Router::new()
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
        .route("/jwks.json", get(handlers::jwks))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/openapi.json", get(openapi))
        .route("/api/v1/{*path}", any(proxy::proxy));
    // S24: a Canvas web session from an access token (perhaps a scoped one) only when enabled.
    let browser = match config.session_url {
        true => browser.route("/session-url", post(handlers::session_url)),
        false => browser,
    };
    let browser = browser.fallback(not_found).layer(middleware::from_fn_with_state(state.clone(), guard::csrf));
    // What a server calls, authenticated by a Bearer secret, never ambient credentials.
    let server = Router::new().route("/lti/token", post(handlers::lti_token));
    #[cfg(feature = "test-hooks")]
    let server = server.merge(hooks::routes());
    // Layers run outside in, the last one first; each `layer` call wraps what is above it.
    let relay = browser
        .merge(server)
        .layer(CatchPanicLayer::custom(layers::panic_response))
        .layer(middleware::map_response_with_state(state.clone(), cookie::clear_marked))
        .layer(middleware::from_fn_with_state(state.clone(), guard::cors))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_log::RequestSpan(config.clone()))
                .on_request(())
                .on_response(request_log::LogLine)
                .on_body_chunk(())
                .on_eos(())
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(HeaderName::from_static(request_log::X_REQUEST_ID)))
        .layer(SetRequestIdLayer::new(HeaderName::from_static(request_log::X_REQUEST_ID), request_log::HexRequestId))
        .layer(MapRequestLayer::new(request_log::drop_client_request_id));
    #[cfg(feature = "test-hooks")]
    let relay = relay.layer(middleware::from_fn_with_state(state.clone(), hooks::count));
    let relay = relay.with_state(state.clone());
    let mut app = if config.base_path == "/" { relay } else { Router::new().nest(&config.base_path, relay) };
    for (mount, dir) in &config.static_mounts {
        app = app.nest_service(mount, tower_http::services::ServeDir::new(dir));
    }
    if let Some(dir) = &config.static_dir {
        app = app.fallback_service(tower_http::services::ServeDir::new(dir).append_index_html_on_directories(true));
    }
    let set = SetResponseHeaderLayer::overriding;
    app.layer(CatchPanicLayer::custom(layers::panic_response))
        .layer(middleware::from_fn_with_state(state, layers::rate_limit))
        .layer(set(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(set(header::CONTENT_SECURITY_POLICY, layers::frame_ancestors_csp(&config)))
        .layer(set(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
}

async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// Ready to serve: configured (it is, or the router would not exist) and, with Redis configured,
/// Redis answers. Unlike `/health`, a load balancer may take a replica out on a 503 here; it
/// still serves (per process) meanwhile.
async fn ready(axum::extract::State(state): axum::extract::State<Arc<AppState>>) -> axum::response::Response {
    let redis = match &state.replicas {
        Some(r) => Some(r.ping().await),
        None => None,
    };
    let status =
        if redis == Some(false) { axum::http::StatusCode::SERVICE_UNAVAILABLE } else { axum::http::StatusCode::OK };
    let body = serde_json::json!({
        "status": if status.is_success() { "ready" } else { "not_ready" },
        "redis": redis.map(|up| if up { "up" } else { "down" }),
    });
    (status, axum::Json(body)).into_response()
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

async fn not_found() -> RelayError {
    RelayError::not_found()
}
