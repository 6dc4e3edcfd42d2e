//! The `test-hooks` feature (never deployed): request counters at `GET /__test/stats`, a reset at
//! `POST /__test/reset`, and `GET /__test/panic`. Without the feature none of this is compiled; with
//! it, counting is a layer of its own that decides nothing (every route is rate-limited either way).

use crate::error::RelayError;
use crate::guard::matched_route;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Calls per route, counted before any check.
#[derive(Default)]
pub(crate) struct Stats {
    token: AtomicU64,
    refresh: AtomicU64,
    revoke: AtomicU64,
    session_url: AtomicU64,
    cookie_check: AtomicU64,
    lti: AtomicU64,
    api: AtomicU64,
    graphql: AtomicU64,
}

impl Stats {
    fn all(&self) -> [(&'static str, &AtomicU64); 8] {
        [
            ("token", &self.token),
            ("refresh", &self.refresh),
            ("revoke", &self.revoke),
            ("session_url", &self.session_url),
            ("cookie_check", &self.cookie_check),
            ("lti", &self.lti),
            ("api", &self.api),
            ("graphql", &self.graphql),
        ]
    }
}

/// Counts the call, then passes it on unchanged. CORS preflights are the browser's, not calls of
/// the route: tests count real calls.
pub(crate) async fn count(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let s = &state.stats;
    let counter = match matched_route(&req, &state.config).as_str() {
        "/token" => Some(&s.token),
        "/refresh" => Some(&s.refresh),
        "/revoke" => Some(&s.revoke),
        "/session-url" => Some(&s.session_url),
        "/cookie-check" => Some(&s.cookie_check),
        "/lti/token" => Some(&s.lti),
        "/api/v1/{*path}" => Some(&s.api),
        "/api/graphql" => Some(&s.graphql),
        _ => None,
    };
    if let Some(c) = counter.filter(|_| req.method() != Method::OPTIONS) {
        c.fetch_add(1, Ordering::Relaxed);
    }
    next.run(req).await
}

/// The hook routes (server-side: no Origin or X-Canvas-Relay needed).
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/__test/stats", get(stats))
        .route("/__test/reset", post(reset))
        .route("/__test/panic", get(panic))
}

async fn stats(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let counts: serde_json::Map<String, serde_json::Value> =
        state.stats.all().into_iter().map(|(name, c)| (name.to_string(), c.load(Ordering::Relaxed).into())).collect();
    axum::Json(counts)
}

/// Zeroes the counters and the rate limiter.
async fn reset(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    for (_, c) in state.stats.all() {
        c.store(0, Ordering::Relaxed);
    }
    state.limiter.reset();
    axum::Json(serde_json::json!({}))
}

/// A handler that panics, to show what a panic answers (S16).
async fn panic() -> RelayError {
    panic!("test panic")
}
