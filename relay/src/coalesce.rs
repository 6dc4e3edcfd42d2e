//! Refresh single-flight: concurrent refreshes of one refresh token within this process make one
//! Canvas call (Canvas kills the previous access token on every refresh: docs/canvas.md §7.6).
//! A finished success is shared for `refresh_coalesce_window` with late callers too. With Redis
//! (`replicas`), the same holds across replicas: one process per refresh token is the one that
//! asks Redis, and one replica is the one that asks Canvas.

use crate::canvas::{self, Refreshed};
use crate::error::RelayError;
use crate::replicas::Take;
use crate::AppState;
use canvas_oauth_core::RefreshToken;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a replica waiting for another's refresh looks for its result.
const POLL: Duration = Duration::from_millis(20);

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
    pub(crate) async fn forget_access(state: &AppState, access: &str) {
        {
            let mut map = state.refreshes.inflight.lock().unwrap_or_else(|p| p.into_inner());
            map.retain(|_, (_, fut)| !matches!(fut.peek().map(|r| &**r), Some(Ok(r)) if r.access_token == access));
        }
        if let Some(r) = &state.replicas {
            r.forget_access(access).await;
        }
    }

    /// Drops any shared result for this refresh token (after a revoke, it is stale).
    pub(crate) async fn forget(state: &AppState, rt: &RefreshToken) {
        let key = token_hash(rt);
        state.refreshes.inflight.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
        if let Some(r) = &state.replicas {
            r.forget(&key).await;
        }
    }

    pub(crate) async fn refresh(state: &Arc<AppState>, rt: RefreshToken) -> RefreshResult {
        let key = token_hash(&rt);
        let shared = {
            let mut map = state.refreshes.inflight.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, fut)) = map.get(&key) {
                fut.clone()
            } else {
                let id = state.refreshes.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let task_state = state.clone();
                // Spawned so a caller that goes away does not cancel the call for the others.
                let handle = tokio::spawn(async move {
                    let (result, in_redis) = across_replicas(&task_state, &rt, key).await;
                    let result = Arc::new(result);
                    let keep = match &*result {
                        // Shared through Redis: late callers read it there, where a sign-out at
                        // any replica removes it.
                        _ if in_redis => None,
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

/// One Canvas refresh for all replicas: the result another replica published, else the lock and
/// the call, else a wait for the replica holding the lock. Without Redis, or whenever it fails,
/// this process calls Canvas itself (the replicas may then refresh one grant twice). `true` with
/// the result when Redis holds it for late callers.
async fn across_replicas(state: &AppState, rt: &RefreshToken, key: [u8; 32]) -> (Result<Refreshed, RelayError>, bool) {
    let alone = || async { (canvas::refresh(state, rt).await, false) };
    let Some(replicas) = &state.replicas else { return alone().await };
    let ttl = replicas.lock_ttl(state.config.connect_timeout + state.config.upstream_timeout);
    let give_up = Instant::now() + ttl + POLL;
    loop {
        match replicas.take(&key, ttl).await {
            Some(Take::Published(sealed)) => match replicas.results.open(&key, &sealed) {
                Some(result) => return (result, true),
                None => return alone().await,
            },
            Some(Take::Won(id)) => {
                let result = canvas::refresh(state, rt).await;
                let sealed = replicas.results.seal(&key, &result);
                let published = sealed.is_some();
                let access = result.as_ref().ok().map(|r| r.access_token.as_str());
                let finished = replicas.finish(&key, id, sealed, access, state.config.refresh_coalesce_window).await;
                return (result, published && finished.is_some());
            }
            Some(Take::Wait) if Instant::now() < give_up => tokio::time::sleep(POLL).await,
            Some(Take::Wait) | None => return alone().await,
        }
    }
}
