//! Refresh single-flight: concurrent refreshes of one refresh token within this process make one
//! Canvas call (Canvas kills the previous access token on every refresh: docs/canvas.md §7.6).
//! A finished success is shared for `refresh_coalesce_window` with late callers too. With Redis
//! (`replicas`), the same holds across replicas: one process per refresh token is the one that
//! asks Redis, and one replica is the one that asks Canvas.
//!
//! Memory (issue 14): under load thousands of refreshes finish every second, so a finished one
//! keeps only its result (no future, no timer task) and expires through one queue in finishing
//! order, swept by the next refresh; and at most [`SHARED_MAX`] finished results are kept (the
//! oldest go first), so the window shrinks under load instead of memory growing with it.

use crate::canvas::{self, Refreshed};
use crate::error::RelayError;
use crate::replicas::Take;
use crate::AppState;
use canvas_oauth_core::RefreshToken;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How often a replica waiting for another's refresh looks for its result.
const POLL: Duration = Duration::from_millis(20);

pub(crate) type RefreshResult = Arc<Result<Refreshed, RelayError>>;
type SharedRefresh = Shared<BoxFuture<'static, RefreshResult>>;
type Key = [u8; 32];

/// Finished results kept at most (about 1 KB each). At 1,024 refreshes a second or fewer every
/// result is kept for the whole window; beyond, the last 1,024 are (at 15,000 a second, about
/// 70 ms: still far longer than two tabs racing to refresh, which meet while one is in flight).
pub(crate) const SHARED_MAX: usize = 1024;

/// SHA-256 of a refresh token: the key of shared refreshes and of the sign-out denylist.
pub(crate) fn token_hash(rt: &RefreshToken) -> Key {
    Sha256::digest(rt.secret().as_bytes()).into()
}

enum Slot {
    Running(SharedRefresh),
    Done(RefreshResult),
}

struct Table {
    /// By token hash: the refresh in flight or its shared result, with the id of that refresh.
    slots: HashMap<Key, (u64, Slot)>,
    /// Finished results to drop, oldest first: (when, key, id). An entry whose slot was since
    /// forgotten or replaced (another id) is skipped.
    expiry: VecDeque<(Instant, Key, u64)>,
    max: usize,
}

impl Default for Table {
    fn default() -> Self {
        Self { slots: HashMap::new(), expiry: VecDeque::new(), max: SHARED_MAX }
    }
}

impl Table {
    /// Drops the results that are due, and the oldest beyond `max`.
    fn sweep(&mut self, now: Instant) {
        while let Some(&(at, key, id)) = self.expiry.front() {
            if at > now && self.expiry.len() <= self.max {
                break;
            }
            self.expiry.pop_front();
            if self.slots.get(&key).is_some_and(|(i, s)| *i == id && matches!(s, Slot::Done(_))) {
                self.slots.remove(&key);
            }
        }
    }
}

#[derive(Default)]
pub(crate) struct Coalescer {
    table: Mutex<Table>,
    next_id: std::sync::atomic::AtomicU64,
}

impl Coalescer {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops shared results that handed out this access token (it has just been revoked), here
    /// and in Redis.
    pub(crate) async fn forget_access(state: &AppState, access: &str) {
        let gave = |r: &Result<Refreshed, RelayError>| matches!(r, Ok(r) if r.access_token == access);
        state.refreshes.lock().slots.retain(|_, (_, slot)| match slot {
            Slot::Done(r) => !gave(r),
            Slot::Running(fut) => !fut.peek().is_some_and(|r| gave(r)),
        });
        if let Some(r) = &state.replicas {
            r.forget_access(access).await;
        }
    }

    /// Drops any shared result for this refresh token (after a revoke, it is stale), here and in
    /// Redis.
    pub(crate) async fn forget(state: &AppState, rt: &RefreshToken) {
        let key = token_hash(rt);
        state.refreshes.lock().slots.remove(&key);
        if let Some(r) = &state.replicas {
            r.forget(&key).await;
        }
    }

    pub(crate) async fn refresh(state: &Arc<AppState>, rt: RefreshToken) -> RefreshResult {
        let key = token_hash(&rt);
        let shared = {
            let mut table = state.refreshes.lock();
            table.sweep(Instant::now());
            match table.slots.get(&key) {
                Some((_, Slot::Done(result))) => {
                    state.metrics.refreshes_coalesced.inc();
                    return result.clone();
                }
                Some((_, Slot::Running(fut))) => {
                    state.metrics.refreshes_coalesced.inc();
                    fut.clone()
                }
                None => {
                    state.metrics.refreshes.inc();
                    let shared = Self::start(state, rt, key);
                    table.slots.insert(key, (shared.1, Slot::Running(shared.0.clone())));
                    shared.0
                }
            }
        };
        shared.await
    }

    /// Spawns the Canvas call (so a caller that goes away does not cancel it for the others);
    /// when it ends, its slot keeps the result for the window or is dropped. A result shared
    /// through Redis is not kept here: late callers read it there, where a sign-out at any replica
    /// removes it.
    fn start(state: &Arc<AppState>, rt: RefreshToken, key: Key) -> (SharedRefresh, u64) {
        let id = state.refreshes.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let task_state = state.clone();
        let handle = tokio::spawn(async move {
            let (result, in_redis) = across_replicas(&task_state, &rt, key).await;
            let result = Arc::new(result);
            let keep = !in_redis
                && match &*result {
                    Ok(_) => true,
                    Err(e) => e.clear_cookie,
                };
            let mut table = task_state.refreshes.lock();
            if table.slots.get(&key).is_some_and(|(i, _)| *i == id) {
                if keep {
                    let until = Instant::now() + task_state.config.refresh_coalesce_window;
                    table.slots.insert(key, (id, Slot::Done(result.clone())));
                    table.expiry.push_back((until, key, id));
                    table.sweep(Instant::now());
                } else {
                    table.slots.remove(&key);
                }
            }
            result
        });
        let fut: BoxFuture<'static, RefreshResult> = async move {
            handle.await.unwrap_or_else(|_| Arc::new(Err(RelayError::bad_gateway("the refresh failed"))))
        }
        .boxed();
        (fut.shared(), id)
    }
}

/// One Canvas refresh for all replicas: the result another replica published, else the lock and
/// the call, else a wait for the replica holding the lock. Without Redis, or whenever it fails,
/// this process calls Canvas itself (the replicas may then refresh one grant twice). `true` with
/// the result when Redis holds it for late callers.
async fn across_replicas(state: &AppState, rt: &RefreshToken, key: Key) -> (Result<Refreshed, RelayError>, bool) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn done() -> Slot {
        Slot::Done(Arc::new(Err(RelayError::bad_gateway("x"))))
    }

    #[test]
    fn the_sweep_drops_expired_results_only() {
        let t0 = Instant::now();
        let mut t = Table::default();
        let (a, b, c) = ([1u8; 32], [2u8; 32], [3u8; 32]);
        t.slots.insert(a, (1, done()));
        t.expiry.push_back((t0, a, 1));
        // b's result expired, but b was refreshed again since (id 3): the new one stays.
        t.slots.insert(b, (3, done()));
        t.expiry.push_back((t0, b, 2));
        t.slots.insert(c, (4, done()));
        t.expiry.push_back((t0 + Duration::from_secs(2), c, 4));
        t.sweep(t0 + Duration::from_millis(1));
        assert!(!t.slots.contains_key(&a));
        assert!(t.slots.contains_key(&b) && t.slots.contains_key(&c));
        assert_eq!(t.expiry.len(), 1, "what is not due waits");
        t.sweep(t0 + Duration::from_secs(2));
        assert!(!t.slots.contains_key(&c) && t.expiry.is_empty());
    }

    #[test]
    fn beyond_the_cap_the_oldest_results_go_first() {
        let t0 = Instant::now();
        let mut t = Table { max: 2, ..Table::default() };
        for i in 0..3u8 {
            t.slots.insert([i; 32], (i as u64, done()));
            t.expiry.push_back((t0 + Duration::from_secs(2), [i; 32], i as u64));
        }
        t.sweep(t0);
        assert!(!t.slots.contains_key(&[0; 32]), "the oldest went");
        assert!(t.slots.contains_key(&[1; 32]) && t.slots.contains_key(&[2; 32]));
        assert_eq!(t.expiry.len(), 2);
    }
}
