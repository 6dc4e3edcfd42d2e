//! `GET /ready` (docs/protocol.md): unlike `/health` (the process answers), it says whether this
//! relay should be sent traffic: 200 once configured and serving, 503 while shutting down or when
//! a dependency check fails. Checks are a list so a shared store (Redis, when configured) adds
//! its own without touching the handler.

use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long one check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// A named dependency check: resolves to `true` when the dependency answers.
pub(crate) struct ReadinessCheck {
    pub name: &'static str,
    pub check: Box<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>,
}

#[derive(Default)]
pub(crate) struct Readiness {
    draining: AtomicBool,
    checks: Vec<ReadinessCheck>,
}

impl Readiness {
    /// Adds a check run on every `/ready`.
    pub(crate) fn add(&mut self, check: ReadinessCheck) {
        self.checks.push(check);
    }

    /// From now on `/ready` answers 503: the relay is shutting down.
    pub(crate) fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// `Ok` or the names of what is not ready (`draining`, or failed checks).
    pub(crate) async fn status(&self) -> Result<(), Vec<&'static str>> {
        if self.draining.load(Ordering::SeqCst) {
            return Err(vec!["draining"]);
        }
        let runs = self.checks.iter().map(|c| async move {
            let ok = tokio::time::timeout(CHECK_TIMEOUT, (c.check)()).await.unwrap_or(false);
            (!ok).then_some(c.name)
        });
        let failing: Vec<_> = futures_util::future::join_all(runs).await.into_iter().flatten().collect();
        if failing.is_empty() {
            Ok(())
        } else {
            Err(failing)
        }
    }
}

/// `{"status":"ready"}`, or 503 `{"status":"not_ready","failing":[…]}` with `Retry-After: 1`.
pub(crate) async fn ready(State(state): State<Arc<AppState>>) -> Response {
    match state.readiness.status().await {
        Ok(()) => axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(failing) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            axum::Json(serde_json::json!({"status": "not_ready", "failing": failing})),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt as _;

    fn check(name: &'static str, ok: bool) -> ReadinessCheck {
        ReadinessCheck { name, check: Box::new(move || async move { ok }.boxed()) }
    }

    #[tokio::test]
    async fn checks_and_draining_decide() {
        let mut r = Readiness::default();
        assert_eq!(r.status().await, Ok(()));
        r.add(check("store", true));
        assert_eq!(r.status().await, Ok(()));
        r.add(check("redis", false));
        assert_eq!(r.status().await, Err(vec!["redis"]));
        r.drain();
        assert_eq!(r.status().await, Err(vec!["draining"]));
    }
}
