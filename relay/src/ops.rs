//! The ops listener (`RELAY_METRICS_LISTEN`, off by default): `GET /metrics` in the Prometheus
//! text format, plus `/health` and `/ready` for probes. It is a router of its own on its own
//! socket, so nothing of it is reachable through the public listener. Bind it to a private
//! address: it has none of the public listener's connection limits.

use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/ready", get(crate::ready::ready))
        .route("/health", get(crate::health))
        .with_state(state)
}

async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let content_type = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-store")], state.metrics.encode())
}

/// Serves the ops router on `listener` until `stop` completes.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    if let Err(e) = axum::serve(listener, router(state)).with_graceful_shutdown(stop).await {
        tracing::warn!(error = %e, "the metrics listener stopped");
    }
}
