//! Refresh single-flight: concurrent refreshes of one refresh token within this process make one
//! Canvas call (Canvas kills the previous access token on every refresh: docs/canvas.md §7.6).
//! A finished success is shared for `refresh_coalesce_window` with late callers too.

use crate::canvas::{self, Refreshed};
use crate::error::RelayError;
use crate::AppState;
use canvas_oauth_core::RefreshToken;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) type RefreshResult = Arc<Result<Refreshed, RelayError>>;
type SharedRefresh = Shared<BoxFuture<'static, RefreshResult>>;

/// SHA-256 of a refresh token: the key of shared refreshes and of the sign-out denylist.
pub(crate) fn token_hash(rt: &RefreshToken) -> [u8; 32] {
    Sha256::digest(rt.secret().as_bytes()).into()
}

#[derive(Default)]
pub(crate) struct Coalescer {
    inflight: Mutex<HashMap<[u8; 32], (u64, SharedRefresh)>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl Coalescer {
    /// Drops shared results that handed out this access token (it has just been revoked).
    pub(crate) fn forget_access(state: &AppState, access: &str) {
        let mut map = state.refreshes.inflight.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (_, fut)| !matches!(fut.peek().map(|r| &**r), Some(Ok(r)) if r.access_token == access));
    }

    /// Drops any shared result for this refresh token (after a revoke, it is stale).
    pub(crate) fn forget(state: &AppState, rt: &RefreshToken) {
        state.refreshes.inflight.lock().unwrap_or_else(|p| p.into_inner()).remove(&token_hash(rt));
    }

    pub(crate) async fn refresh(state: &Arc<AppState>, rt: RefreshToken) -> RefreshResult {
        let key = token_hash(&rt);
        let shared = {
            let mut map = state.refreshes.inflight.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, fut)) = map.get(&key) {
                state.metrics.refreshes_coalesced.inc();
                fut.clone()
            } else {
                state.metrics.refreshes.inc();
                let id = state.refreshes.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let task_state = state.clone();
                // Spawned so a caller that goes away does not cancel the call for the others.
                let handle = tokio::spawn(async move {
                    let result = Arc::new(canvas::refresh(&task_state, &rt).await);
                    let keep = match &*result {
                        Ok(_) => Some(task_state.config.refresh_coalesce_window),
                        Err(e) if e.clear_cookie => Some(task_state.config.refresh_coalesce_window),
                        Err(_) => None,
                    };
                    let cleanup_state = task_state.clone();
                    let remove = move || {
                        let mut map = cleanup_state.refreshes.inflight.lock().unwrap_or_else(|p| p.into_inner());
                        if map.get(&key).is_some_and(|(i, _)| *i == id) {
                            map.remove(&key);
                        }
                    };
                    match keep {
                        Some(window) => {
                            tokio::spawn(async move {
                                tokio::time::sleep(window).await;
                                remove();
                            });
                        }
                        None => remove(),
                    }
                    result
                });
                let fut: BoxFuture<'static, RefreshResult> = async move {
                    handle.await.unwrap_or_else(|_| Arc::new(Err(RelayError::bad_gateway("the refresh failed"))))
                }
                .boxed();
                let shared = fut.shared();
                map.insert(key, (id, shared.clone()));
                shared
            }
        };
        shared.await
    }
}
