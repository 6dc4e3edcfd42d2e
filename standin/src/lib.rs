//! `canvas-standin`: a stand-in for Canvas LMS's OAuth2 provider and a few API endpoints,
//! faithful to `docs/canvas.md`. Written independently of `canvas-oauth-core`.
//!
//! Run it in-process with [`spawn`] (or [`serve`] on a listener you bound), or as the
//! `canvas-standin` binary. All state lives in memory.

// Handlers return early with a ready `Response` as the error; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod api;
mod client_credentials;
mod config;
mod consent;
mod grants;
mod graphql;
mod graphql_schema;
mod graphql_types;
mod graphql_validate;
mod hooks;
pub mod http;
pub mod jwt;
mod login;
mod logout;
mod masquerade;
mod middleware;
mod navigation;
mod oauth;
mod request;
mod resource;
mod respond;
pub mod seed;
mod service_user;
mod session;
mod state;
mod store;
mod throttle;
mod token;
mod token_auth;
pub mod util;

pub use config::{Behaviour, Config, Throttle};
pub use seed::{default_seed, ClientType, Course, DeveloperKey, Seed, Settings, User};

use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;

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
        .route("/", get(login::home))
        .route("/login", get(login::login_page))
        .route("/login/canvas", get(login::login_page).post(login::login_submit))
        .route("/logout", get(logout::confirm).post(logout::destroy).delete(logout::destroy))
        .route("/login/oauth2/auth", get(oauth::auth))
        .route("/login/oauth2/confirm", get(consent::confirm))
        .route("/login/oauth2/accept", post(consent::accept))
        .route("/login/oauth2/deny", get(consent::deny).post(consent::deny))
        .route("/login/oauth2/token", post(token::token).delete(session::destroy))
        .route("/login/oauth2/jwks", get(client_credentials::jwks))
        .route("/login/session_token", get(session::session_token))
        .route("/users/{id}/masquerade", post(masquerade::masquerade).delete(masquerade::masquerade))
        .route("/api/v1/users/{id}", get(api::user))
        .route("/api/v1/users/{id}/profile", get(api::profile))
        .route("/api/v1/courses", get(api::courses))
        .route("/api/graphql", post(graphql::graphql).fallback(api::not_found))
        .route("/api/{*rest}", axum::routing::any(api::not_found));
    if test_hooks {
        r = r
            .route("/__test/code", post(hooks::code).options(hooks::preflight))
            .route("/__test/stats", get(hooks::stats).options(hooks::preflight))
            .route("/__test/throttle/reset", post(hooks::reset_throttle).options(hooks::preflight));
    }
    r.fallback(middleware::not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), middleware::middleware))
        .with_state(app)
}
