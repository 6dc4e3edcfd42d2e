//! Sign-outs Canvas did not confirm (S2) and grants replaced by a new sign-in (S7).
//!
//! The refresh token's SHA-256 goes on a bounded, expiring denylist, so any copy of that cookie
//! is "no session" at this relay at once; the revocation is retried in the background (refresh,
//! then DELETE, since Canvas revokes only with a valid access token: docs/canvas.md §4) with
//! bounded attempts and doubling delays. Both live in this process only: lost on restart, not
//! shared between replicas (relay/README.md, "Cookie lifecycle").

use crate::canvas::{self, Deleted};
use crate::coalesce::token_hash;
use crate::AppState;
use canvas_oauth_core::RefreshToken;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most denylisted tokens kept; when full, expired entries go first, then the soonest to expire.
pub(crate) const DENYLIST_CAPACITY: usize = 10_000;
/// Most background revocations running at once; beyond that a job is dropped (and logged).
pub(crate) const MAX_RETRY_JOBS: usize = 1_000;
/// Longest wait between two attempts.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(600);

#[derive(Default)]
pub(crate) struct Denylist {
    /// SHA-256(refresh token) → until when (ms since the Unix epoch).
    entries: Mutex<HashMap<[u8; 32], u64>>,
}

impl Denylist {
    /// Denylists `rt` until `until` (no cookie sealing it can open after that anyway).
    pub(crate) fn insert(&self, rt: &RefreshToken, until: u64, now: u64) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= DENYLIST_CAPACITY {
            // Only when full: one pass to drop expired entries, else the one that expires first.
            map.retain(|_, u| *u > now);
            if map.len() >= DENYLIST_CAPACITY {
                if let Some(k) = map.iter().min_by_key(|(_, u)| **u).map(|(k, _)| *k) {
                    map.remove(&k);
                }
                tracing::warn!("sign-out denylist full: the entry closest to expiry was dropped");
            }
        }
        map.insert(token_hash(rt), until);
    }

    pub(crate) fn contains(&self, rt: &RefreshToken, now: u64) -> bool {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&token_hash(rt)).is_some_and(|u| *u > now)
    }
}

/// What a background revocation holds: the refresh token when there was a cookie (refresh, then
/// DELETE), else only the access token the browser presented (DELETE until Canvas refuses it).
pub(crate) enum Credential {
    Refresh(RefreshToken),
    Access(String),
}

#[derive(Default)]
pub(crate) struct Retries {
    running: AtomicUsize,
}

/// How one attempt ended.
enum Attempt {
    Revoked,
    Retry,
    GiveUp,
}

/// Starts revoking `credential` in the background: the first attempt after `first_delay`, then
/// up to `revoke_retry_attempts` in all, each delay double the last.
pub(crate) fn spawn(state: &Arc<AppState>, credential: Credential, first_delay: Duration, why: &'static str) {
    let attempts = state.config.session.revoke_retry_attempts;
    if attempts == 0 {
        return;
    }
    if state.retries.running.fetch_add(1, Ordering::SeqCst) >= MAX_RETRY_JOBS {
        state.retries.running.fetch_sub(1, Ordering::SeqCst);
        tracing::warn!(why, "too many background revocations: this one is dropped");
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let mut credential = credential;
        let mut delay = first_delay;
        let mut outcome = Attempt::Retry;
        let mut tried = 0;
        while tried < attempts && matches!(outcome, Attempt::Retry) {
            tokio::time::sleep(delay).await;
            delay =
                if delay.is_zero() { state.config.session.revoke_retry_delay } else { delay * 2 }.min(MAX_RETRY_DELAY);
            tried += 1;
            outcome = attempt(&state, &mut credential).await;
        }
        match outcome {
            Attempt::Revoked => tracing::info!(why, attempts = tried, "background revocation confirmed by Canvas"),
            _ => tracing::warn!(why, attempts = tried, "background revocation not confirmed; the grant may live on"),
        }
        state.retries.running.fetch_sub(1, Ordering::SeqCst);
    });
}

async fn attempt(state: &AppState, credential: &mut Credential) -> Attempt {
    let access = match credential {
        Credential::Access(a) => a.clone(),
        Credential::Refresh(rt) => match canvas::refresh(state, rt).await {
            Ok(r) => {
                if let Some(next) = r.rotated {
                    *rt = RefreshToken::new(next); // public clients: the old one is dead now
                }
                r.access_token
            }
            Err(e) if e.clear_cookie => return Attempt::Revoked, // the grant is already gone
            Err(_) => return Attempt::Retry,
        },
    };
    match (canvas::delete_token(state, &access, false).await, credential) {
        (Deleted::Confirmed { .. }, _) => Attempt::Revoked,
        // An access token alone that Canvas refuses has expired or was revoked: nothing more to do.
        (Deleted::Refused, Credential::Access(_)) => Attempt::GiveUp,
        (Deleted::Refused | Deleted::NotConfirmed(_), _) => Attempt::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denylist_expires_and_stays_bounded() {
        let list = Denylist::default();
        let rt = |i: usize| RefreshToken::new(format!("rt-{i}"));
        list.insert(&rt(0), 1_000, 0);
        assert!(list.contains(&rt(0), 999));
        assert!(!list.contains(&rt(0), 1_000), "expired");
        assert!(!list.contains(&rt(1), 0));
        // Full: the expired entry goes first, then the one closest to expiry.
        for i in 1..DENYLIST_CAPACITY {
            list.insert(&rt(i), 10_000 + i as u64, 0);
        }
        list.insert(&rt(DENYLIST_CAPACITY), 50_000, 2_000);
        assert!(list.contains(&rt(1), 2_000), "only the expired entry was dropped");
        list.insert(&rt(DENYLIST_CAPACITY + 1), 50_000, 2_000);
        assert!(!list.contains(&rt(1), 2_000), "the entry closest to expiry was dropped");
        assert!(list.contains(&rt(2), 2_000) && list.contains(&rt(DENYLIST_CAPACITY + 1), 2_000));
        assert_eq!(list.entries.lock().unwrap().len(), DENYLIST_CAPACITY);
    }
}
