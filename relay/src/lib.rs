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
mod logging;
pub mod lti;
mod metrics;
mod ops;
mod proxy;
mod quota;
mod ready;
mod replicas;
mod request_log;
mod revoke_retry;
mod routes;
mod seal;
mod server;
mod state;
mod upstream;

pub use config::{ApiRule, ConfigError, CookieKey, CookieMode, LtiConfig, RelayConfig};
pub use error::RelayError;
pub use logging::{log_layer, LogFormat};
pub use server::{serve, serve_listeners, serve_with_shutdown};

pub(crate) use state::AppState;

use axum::http::{header, HeaderName};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use axum::Router;
use std::sync::Arc;
use tower::util::MapRequestLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The OpenAPI 3 document of protocol v1, served at `GET /openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// Every relay route (method, path under the base path). `/api/v1/{*path}` stands for any method.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/token"),
    ("POST", "/refresh"),
    ("POST", "/revoke"),
    ("POST", "/session-url"),
    ("POST", "/cookie-check"),
    ("POST", "/lti/token"),
    ("GET", "/jwks.json"),
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/openapi.json"),
    ("ANY", "/api/v1/{*path}"),
    ("POST", "/api/graphql"),
];

/// Cookie base name; prefixed with `__Host-` over https.
pub const COOKIE_NAME: &str = "canvas_relay_rt";

/// The relay as an axum router. Relay routes live under `config.base_path`; when
/// `static_dir`/`static_mounts` are set, their files are served too (`static_dir` at `/`).
pub fn router(config: Arc<RelayConfig>) -> Router {
    app(Arc::new(AppState::new(config)))
}

/// [`router`] around a given state (the serve loop shares it with the ops listener).
pub(crate) fn app(state: Arc<AppState>) -> Router {
    let config = state.config.clone();
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
        .route("/cookie-check", post(routes::cookie_check))
        .route("/jwks.json", get(handlers::jwks))
        .route("/health", get(health))
        .route("/ready", get(ready::ready))
        .route("/openapi.json", get(openapi))
        .route("/api/v1/{*path}", any(proxy::proxy));
    // S24: a Canvas web session from an access token (perhaps a scoped one) only when enabled.
    let browser = match config.session_url {
        true => browser.route("/session-url", post(handlers::session_url)),
        false => browser,
    };
    // Canvas's GraphQL only when `RELAY_API_ALLOW` names it (`POST:/api/graphql`).
    let browser = match config.graphql_enabled() {
        true => browser.route(config::GRAPHQL_PATH, post(proxy::graphql)),
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
    app.layer(CatchPanicLayer::custom(layers::panic_response))
        .layer(middleware::from_fn_with_state(state, layers::edge))
}

pub(crate) async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

async fn not_found() -> RelayError {
    RelayError::not_found()
}
