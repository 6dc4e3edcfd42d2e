//! `canvas-oauth-relay`: runs the relay from environment variables and/or a TOML file.
//!
//! ```text
//! canvas-oauth-relay [--config relay.toml]
//! ```

use std::sync::Arc;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// jemalloc keeps a connection's mostly empty 8 KiB hyper buffers off pages it never writes (glibc's
/// chunk headers touch them) and is faster here (BENCHMARKS.md "Relay memory at 1,000 connections").
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's defaults for this binary, read at its start (`_RJEM_MALLOC_CONF` in the environment
/// still overrides them): one arena (the runtime has a thread per core, each with its own cache),
/// and freed pages returned at once instead of kept for 10 s, so a burst's peak does not stay.
#[cfg(feature = "jemalloc")]
#[export_name = "_rjem_malloc_conf"]
pub static JEMALLOC_CONF: &[u8; 44] = b"narenas:1,dirty_decay_ms:0,muzzy_decay_ms:0\0";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = match args.as_slice() {
        [] => std::env::var("RELAY_CONFIG_FILE").ok().filter(|s| !s.is_empty()),
        [flag, path] if flag == "--config" => Some(path.clone()),
        _ => {
            eprintln!("usage: canvas-oauth-relay [--config FILE.toml]   (settings: see relay/README.md)");
            std::process::exit(2);
        }
    };
    let config = match canvas_oauth_relay::RelayConfig::from_env_and_file(file.as_deref()) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("canvas-oauth-relay: configuration error: {e}");
            std::process::exit(2);
        }
    };
    tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::try_from_env("RELAY_LOG").unwrap_or_else(|_| "info".into()))
        .with(canvas_oauth_relay::log_layer(config.log_format, std::io::stdout))
        .init();
    let listener = bind("RELAY_LISTEN", config.listen).await;
    let addr = listener.local_addr().expect("bound address");
    let ops = match config.metrics_listen {
        Some(a) => Some(bind("RELAY_METRICS_LISTEN", a).await),
        None => None,
    };
    if let Some(ops) = &ops {
        println!("canvas-oauth-relay metrics on http://{}/metrics", ops.local_addr().expect("bound address"));
    }
    println!("canvas-oauth-relay listening on http://{addr}");
    if let Err(e) = canvas_oauth_relay::serve_listeners(listener, ops, config, stop_signal()).await {
        eprintln!("canvas-oauth-relay: {e}");
        std::process::exit(1);
    }
    tracing::info!("stopped");
}

async fn bind(variable: &str, addr: std::net::SocketAddr) -> tokio::net::TcpListener {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("canvas-oauth-relay: {variable}: cannot bind {addr}: {e}");
            std::process::exit(1);
        }
    }
}

/// SIGTERM (what container runtimes and systemd send) or Ctrl-C: stop accepting, let in-flight
/// requests finish within `RELAY_SHUTDOWN_TIMEOUT_MS`, exit 0.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: no new connections, finishing requests in progress");
}
