//! Serving the router with limits axum::serve lacks (R6, S1): a header-read timeout, a write-stall
//! timeout and an absolute lifetime per connection, a cap on open connections in total and per
//! client, a cap on requests handled at once, and graceful shutdown; and, when configured, the ops
//! listener beside it (`ops.rs`).

use crate::conn::{PerClient, WriteDeadline};
use crate::metrics::{Metrics, Refused};
use crate::upstream::QUEUE_WAIT;
use crate::{app, AppState, RelayConfig};
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt as _;

/// How many refused connections may wait for their request head and answer at once (`refuse`).
const LINGERING: usize = 256;

/// hyper's read and write buffers per connection (its default is about 400 KiB): enough for any
/// request head the relay accepts, and it bounds what a pipelining client makes us queue.
const MAX_BUF: usize = 64 * 1024;

/// Serves the relay on `listener` until the process ends.
pub async fn serve(listener: TcpListener, config: Arc<RelayConfig>) -> std::io::Result<()> {
    serve_with_shutdown(listener, config, std::future::pending()).await
}

/// Serves the relay until `shutdown` completes, then stops accepting (new connections are
/// refused), lets in-flight requests finish within `config.shutdown_timeout` (idle connections
/// close at once, busy ones after their current answer) and returns. With
/// `config.metrics_listen` set, binds it and serves the ops routes there too.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    config: Arc<RelayConfig>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let ops =
        match config.metrics_listen {
            Some(addr) => Some(TcpListener::bind(addr).await.map_err(|e| {
                std::io::Error::new(e.kind(), format!("RELAY_METRICS_LISTEN: cannot bind {addr}: {e}"))
            })?),
            None => None,
        };
    serve_listeners(listener, ops, config, shutdown).await
}

/// [`serve_with_shutdown`] with the ops listener (`/metrics`, `/ready`, `/health`) already bound,
/// or none (`config.metrics_listen` is then not used). While shutting down, `/ready` there
/// answers 503 until the last request is done.
pub async fn serve_listeners(
    listener: TcpListener,
    ops: Option<TcpListener>,
    config: Arc<RelayConfig>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let state = Arc::new(AppState::new(config.clone()));
    let app = app(state.clone());
    let (ops_stop, ops_stopped) = tokio::sync::oneshot::channel::<()>();
    let ops_task = ops.map(|l| {
        tokio::spawn(crate::ops::serve(l, state.clone(), async move {
            let _ = ops_stopped.await;
        }))
    });
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let per_client = PerClient::new(config.max_connections_per_ip);
    let (stop_tx, stop_rx) = watch::channel(false);
    let busy = refusal("503 Service Unavailable", "temporarily_unavailable", "the relay is at its connection limit");
    let greedy = refusal("429 Too Many Requests", "rate_limited", "too many connections from this address");
    let lingering = Arc::new(Semaphore::new(LINGERING));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Keep accepting at the caps, and refuse at once: a full kernel backlog would lock out
        // every client, not just the greedy one.
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            state.metrics.refused(Refused::Total);
            refuse(stream, &busy, &lingering);
            continue;
        };
        let Some(client_slot) = per_client.acquire(peer.ip()) else {
            state.metrics.refused(Refused::PerClient);
            refuse(stream, &greedy, &lingering);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let state = state.clone();
        let config = config.clone();
        let mut stop = stop_rx.clone();
        let open = OpenConnection::new(state.metrics.clone());
        tokio::spawn(async move {
            let _slots = (slot, client_slot, open);
            let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                admitted(state.clone(), app.clone(), req)
            });
            let io = TokioIo::new(WriteDeadline::new(stream, config.write_stall_timeout));
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(config.header_read_timeout)
                .max_buf_size(MAX_BUF)
                .keep_alive(true);
            let conn = builder.serve_connection(io, service);
            tokio::pin!(conn);
            let ended = tokio::select! {
                r = conn.as_mut() => Some(r),
                _ = tokio::time::sleep(config.connection_lifetime) => None,
                _ = stop.wait_for(|stop| *stop) => None,
            };
            // Lifetime over or shutting down: finish the request in progress, then close.
            let ended = match ended {
                Some(r) => r,
                None => {
                    conn.as_mut().graceful_shutdown();
                    match tokio::time::timeout(config.shutdown_timeout, conn).await {
                        Ok(r) => r,
                        Err(_) => return,
                    }
                }
            };
            // Errors here are client-side (timeouts, resets); nothing to report but the fact.
            if let Err(e) = ended {
                tracing::debug!(
                    error_kind = if e.is_timeout() { "timeout" } else { "connection" },
                    "connection ended with an error"
                );
            }
        });
    }
    state.readiness.drain();
    drop(listener);
    let _ = stop_tx.send(true);
    let open = config.max_connections as u32;
    if tokio::time::timeout(config.shutdown_timeout, slots.acquire_many(open)).await.is_err() {
        tracing::warn!("shutdown deadline passed with connections still open");
    }
    let _ = ops_stop.send(());
    if let Some(task) = ops_task {
        let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
    }
    Ok(())
}

/// Hands `req` to the router once fewer than `RELAY_MAX_REQUESTS` requests are inside it. Until
/// then it waits here, in arrival order, as hyper's parsed request: inside, the layers' boxed
/// futures and a refresh's state take about 11 KB a request, which at 1,000 connections waiting
/// for 64 upstream slots was a fifth of the relay's memory (issue 14). After `QUEUE_WAIT`, 503.
async fn admitted(
    state: Arc<AppState>,
    app: axum::Router,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<axum::response::Response, std::convert::Infallible> {
    match tokio::time::timeout(QUEUE_WAIT, state.admission.acquire()).await {
        Ok(Ok(_handled)) => app.oneshot(req.map(axum::body::Body::new)).await,
        _ => Ok(crate::layers::queue_timeout(&state, req.method(), req.headers())),
    }
}

/// Counts one open client connection in `relay_connections_open` while alive.
struct OpenConnection(Arc<Metrics>);

impl OpenConnection {
    fn new(metrics: Arc<Metrics>) -> Self {
        metrics.connections_open.inc();
        Self(metrics)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.connections_open.dec();
    }
}

/// A complete `Connection: close` answer with an OAuth error body, for refusing a connection.
fn refusal(status: &str, error: &str, description: &str) -> Arc<[u8]> {
    let body = serde_json::json!({ "error": error, "error_description": description }).to_string();
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nretry-after: 1\r\ncache-control: no-store\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
    .into()
}

/// Reads the request head (at most a second), answers `answer` and closes: an HTTP client does not
/// expect an answer before its request, and closing with a request unread would reset the
/// connection and could discard the answer. At most `LINGERING` refusals wait like this at once;
/// beyond that a connection is closed at once.
fn refuse(stream: TcpStream, answer: &Arc<[u8]>, lingering: &Arc<Semaphore>) {
    let Ok(permit) = lingering.clone().try_acquire_owned() else { return };
    let answer = answer.clone();
    tokio::spawn(async move {
        let _permit = permit;
        let mut stream = stream;
        let mut buf = [0u8; 2048];
        let mut seen: Vec<u8> = Vec::new();
        let read_head = async {
            while seen.len() < 16 * 1024 && !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            true
        };
        if !matches!(tokio::time::timeout(Duration::from_secs(1), read_head).await, Ok(true)) {
            return;
        }
        let answered = async {
            stream.write_all(&answer).await?;
            stream.shutdown().await?;
            while stream.read(&mut buf).await? > 0 {}
            Ok::<_, std::io::Error>(())
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), answered).await;
    });
}
