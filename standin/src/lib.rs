//! `canvas-standin`: a stand-in for Canvas LMS's OAuth2 provider and a few API endpoints,
//! faithful to `shared/canvas-oauth2.md`. Written independently of `canvas-oauth-core`.
//!
//! Run it in-process with [`spawn`] (or [`serve`] on a listener you bound), or as the
//! `canvas-standin` binary. All state lives in memory.

mod api;
mod hooks;
pub mod http;
pub mod jwt;
mod oauth;
pub mod seed;
mod state;
mod store;
mod token;
pub mod util;

pub use seed::{default_seed, ClientType, Course, DeveloperKey, Seed, Settings, User};

use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Which Canvas code the stand-in imitates where versions differ (canvas-oauth2.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// The current upstream release (default).
    #[default]
    Up,
    /// Newer code not yet confirmed as released: PKCE downgrade closed, `invalid_grant` for bad
    /// refresh tokens, exact-only redirect_uri matching, OOB refused for non-document fetches,
    /// the RFC 8707 `resource` parameter.
    Next,
}

impl std::str::FromStr for Behaviour {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "up" | "UP" => Ok(Behaviour::Up),
            "next" | "NEXT" => Ok(Behaviour::Next),
            other => Err(format!("unknown behaviour {other:?} (expected up or next)")),
        }
    }
}

/// Configuration of one stand-in instance.
#[derive(Debug, Clone)]
pub struct Config {
    /// Developer keys, users, courses, settings.
    pub seed: Seed,
    /// Base URL used for absolute URLs (Link headers, redirects to /login). When `None`, the
    /// request's own scheme and `Host` are used.
    pub public_url: Option<String>,
    /// Hourly expiry of access tokens (Canvas: 1 hour) for keys with `auto_expire_tokens`.
    pub access_token_ttl: Duration,
    /// Lifetime of authorization codes and their PKCE challenges (Canvas: 600 s).
    pub code_ttl: Duration,
    pub behaviour: Behaviour,
    /// Enables the `/__test/*` endpoints (not Canvas behaviour).
    pub test_hooks: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: default_seed(),
            public_url: None,
            access_token_ttl: Duration::from_secs(3600),
            code_ttl: Duration::from_secs(600),
            behaviour: Behaviour::Up,
            test_hooks: false,
        }
    }
}

/// A running stand-in. Shuts down when dropped or on [`Running::shutdown`].
pub struct Running {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://IP:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds 127.0.0.1:0 and serves in the background on the current tokio runtime.
pub async fn spawn(config: Config) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    serve(listener, config)
}

/// Serves on an already-bound listener in the background on the current tokio runtime.
pub fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let app = router(config);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app.into_make_service())
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    Ok(Running { addr, shutdown: Some(tx), task: Some(task) })
}

/// The axum router, for embedding the stand-in in another server.
pub fn router(config: Config) -> Router {
    let test_hooks = config.test_hooks;
    let app = Arc::new(state::App::new(config));
    let mut r = Router::new()
        .route("/", get(oauth::home))
        .route("/login", get(oauth::login_page))
        .route("/login/canvas", get(oauth::login_page).post(oauth::login_submit))
        .route("/logout", get(oauth::logout_page).post(oauth::logout).delete(oauth::logout))
        .route("/login/oauth2/auth", get(oauth::auth))
        .route("/login/oauth2/confirm", get(oauth::confirm))
        .route("/login/oauth2/accept", post(oauth::accept))
        .route("/login/oauth2/deny", get(oauth::deny).post(oauth::deny))
        .route("/login/oauth2/token", post(token::token).delete(token::destroy))
        .route("/login/oauth2/jwks", get(token::jwks))
        .route("/login/session_token", get(token::session_token))
        .route("/api/v1/users/{id}", get(api::user))
        .route("/api/v1/users/{id}/profile", get(api::profile))
        .route("/api/v1/courses", get(api::courses))
        .route("/api/{*rest}", axum::routing::any(api::not_found));
    if test_hooks {
        r = r
            .route("/__test/code", post(hooks::code).options(hooks::preflight))
            .route("/__test/stats", get(hooks::stats).options(hooks::preflight));
    }
    r.fallback(state::not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), state::middleware))
        .with_state(app)
}
