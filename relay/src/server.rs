//! Serving the router with limits axum::serve lacks (R6): a header-read timeout against slow
//! clients, and a cap on open connections.

use crate::{router, RelayConfig};
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

/// Serves the relay on `listener` until the process ends.
pub async fn serve(listener: TcpListener, config: Arc<RelayConfig>) -> std::io::Result<()> {
    let app = router(config.clone());
    let connections = Arc::new(Semaphore::new(config.max_connections));
    let header_timeout = config.header_read_timeout;
    loop {
        let permit = connections.clone().acquire_owned().await.expect("semaphore never closed");
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_timeout).keep_alive(true);
            // Errors here are client-side (timeouts, resets); nothing to report but the fact.
            if let Err(e) = builder.serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!(
                    error_kind = if e.is_timeout() { "timeout" } else { "connection" },
                    "connection ended with an error"
                );
            }
        });
    }
}
