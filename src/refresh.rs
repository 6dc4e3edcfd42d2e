//! The access token: when it is due, one refresh at a time per tab and across tabs (L14), and
//! relay calls that carry it. What a failed refresh means is core's `after_refresh_error`.

use crate::client::{Inner, RefreshOutcome, SharedRefresh};
use crate::error::{err, Failure};
use crate::io::sleep;
use crate::js::{now_ms, promise};
use crate::random::random_bytes;
use crate::relay;
use crate::session;
use crate::tabs::{self, CLAIM, REFRESH_FAILED};
use canvas_oauth_core::{after_refresh_error, AfterRefreshError, Error, ErrorCode, State};
use js_sys::Promise;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Without Web Locks: how long to collect peers' refresh claims, how long a claim counts, and
/// how long a tab that lost waits for the winner's new session before refreshing itself.
const CLAIM_WINDOW_MS: f64 = 60.0;
const CLAIM_TTL_MS: f64 = 3_000.0;
const CLAIM_WAIT_MS: f64 = 3_000.0;
/// With Web Locks: how long a tab that waited for the lock waits for the holder's outcome
/// message, which the holder posts before releasing but which may arrive after (S14).
const OUTCOME_WAIT_MS: f64 = 1_000.0;

const NO_TOKEN: &str = "this sign-in has no access token (userinfo scope only)";

impl Inner {
    pub(crate) async fn access_token(self: &Rc<Self>) -> Result<String, Failure> {
        let (token, due) = match self.session.borrow().as_ref() {
            None => return Err(err(ErrorCode::NotSignedIn, "no one is signed in")),
            Some(s) => (s.token.as_ref().map(|t| t.secret().to_owned()), s.is_due(now_ms())),
        };
        let token = token.ok_or_else(|| err(ErrorCode::NotSignedIn, NO_TOKEN))?;
        if !due {
            return Ok(token);
        }
        self.refresh(Some(token)).await
    }

    /// Refreshes once for every caller in this tab, and under the cross-tab lock. `stale` is
    /// the token the caller found unusable: if a peer already replaced it, no refresh is made.
    pub(crate) async fn refresh(self: &Rc<Self>, stale: Option<String>) -> Result<String, Failure> {
        let existing = self.refreshing.borrow().clone();
        let shared = match existing {
            Some(shared) => shared,
            None => {
                let outcome = Rc::new(RefCell::new(None));
                let done = self.start_refresh(stale, outcome.clone());
                let shared = SharedRefresh { done, outcome };
                *self.refreshing.borrow_mut() = Some(shared.clone());
                shared
            }
        };
        // `done` always resolves; the typed outcome is beside it.
        let _ = JsFuture::from(shared.done).await;
        let outcome = shared.outcome.borrow().clone();
        outcome.unwrap_or_else(|| Err(err(ErrorCode::RelayError, "the refresh did not finish")))
    }

    /// The refresh itself, under the cross-tab lock, writing its outcome for every caller.
    fn start_refresh(self: &Rc<Self>, stale: Option<String>, outcome: RefreshOutcome) -> Promise {
        let inner = self.clone();
        let lock_name = self.config.channel_name();
        let outcomes_seen = self.peer_outcomes.get();
        promise(async move {
            let (task_inner, task_stale, task_outcome) = (inner.clone(), stale.clone(), outcome.clone());
            let task = move |waited: bool| {
                promise(async move {
                    if waited {
                        task_inner.wait_for_outcome(task_stale.as_deref(), outcomes_seen).await;
                    }
                    let result = task_inner.refresh_under_lock(task_stale).await;
                    *task_outcome.borrow_mut() = Some(result);
                    Ok(JsValue::UNDEFINED)
                })
            };
            // Without a usable Web Lock (none, or refused in a cross-site iframe), claims.
            match tabs::with_lock(&lock_name, task).await {
                // The lock request itself failed after the task was queued: nothing ran.
                Some(Err(thrown)) if outcome.borrow().is_none() => {
                    *outcome.borrow_mut() = Some(Err(Failure::from(thrown)));
                }
                Some(_) => {}
                None => {
                    inner.wait_for_turn(stale.as_deref()).await;
                    let result = inner.clone().refresh_under_lock(stale).await;
                    *outcome.borrow_mut() = Some(result);
                }
            }
            inner.refreshing.borrow_mut().take();
            Ok(JsValue::UNDEFINED)
        })
    }

    /// S14: this tab waited for another tab's lock, so that tab was refreshing. Its outcome (a
    /// session, a sign-out, a failed refresh) was posted before it let go of the lock, but a
    /// lock can be granted before the message is delivered: wait for it, briefly.
    async fn wait_for_outcome(&self, stale: Option<&str>, outcomes_seen: u32) {
        let started = now_ms();
        while now_ms() - started < OUTCOME_WAIT_MS {
            let replaced = self.session.borrow().as_ref().is_some_and(|s| s.replaced(stale, now_ms()));
            if replaced || self.peer_outcomes.get() != outcomes_seen {
                return;
            }
            sleep(20.0, &JsValue::UNDEFINED).await;
        }
    }

    /// The Web Locks stand-in (L14): announce a claim, wait for peers' claims, and let the
    /// lowest id refresh; the others wait for its session to arrive (then refresh_under_lock
    /// finds the token replaced and skips the refresh).
    async fn wait_for_turn(self: &Rc<Self>, stale: Option<&str>) {
        let Ok(bytes) = random_bytes() else { return };
        let id = State::from_random(&bytes).as_str().to_owned();
        let started = now_ms();
        self.peer_claims.borrow_mut().retain(|(_, at)| started - at < CLAIM_TTL_MS);
        self.broadcast(CLAIM, Some(&id));
        sleep(CLAIM_WINDOW_MS, &JsValue::UNDEFINED).await;
        let lost = self.peer_claims.borrow().iter().any(|(peer, at)| now_ms() - at < CLAIM_TTL_MS && *peer < id);
        if !lost {
            return;
        }
        while now_ms() - started < CLAIM_WAIT_MS {
            let replaced = self.session.borrow().as_ref().is_some_and(|s| s.replaced(stale, now_ms()));
            if replaced {
                return;
            }
            sleep(50.0, &JsValue::UNDEFINED).await;
        }
    }

    async fn refresh_under_lock(self: Rc<Self>, stale: Option<String>) -> Result<String, Failure> {
        // L14: a peer may have refreshed while we waited for the lock.
        if let Some(session) = self.session.borrow().as_ref() {
            if session.replaced(stale.as_deref(), now_ms()) {
                return Ok(session.token.as_ref().map(|t| t.secret().to_owned()).unwrap_or_default());
            }
        }
        let (scopes, return_to) = match self.session.borrow().as_ref() {
            Some(s) => (s.scopes.clone(), s.return_to.clone()),
            None => (Vec::new(), None),
        };
        let result = relay::post(&self.config, "/refresh", None, None).await.and_then(|grant| {
            session::from_grant(&grant, now_ms(), self.config.refresh_margin_secs, scopes, return_to)
        });
        match result {
            Ok(session) => {
                let token = session.token.as_ref().map(|t| t.secret().to_owned());
                self.persistent.set(true);
                self.set_session(session, false);
                token.ok_or_else(|| err(ErrorCode::NotSignedIn, NO_TOKEN))
            }
            Err(error) => match after_refresh_error(error.code) {
                // No cookie or a dead grant: sign in again, in every tab (L14).
                AfterRefreshError::EndSession => {
                    self.end_session(false);
                    Err(Error::new(ErrorCode::InvalidGrant, error.description).into())
                }
                // Busy, down, a bad answer: the session stays (L13); tell waiting tabs.
                AfterRefreshError::KeepSession => {
                    self.broadcast(REFRESH_FAILED, None);
                    Err(error.into())
                }
            },
        }
    }

    /// A relay call with the access token. If Canvas refused the token (a peer's refresh
    /// replaced it), refreshes once and retries once.
    pub(crate) async fn post_with_token(self: &Rc<Self>, path: &str, body: &JsValue) -> Result<JsValue, Failure> {
        let token = self.access_token().await?;
        match relay::post(&self.config, path, Some(body), Some(&token)).await {
            Err(error) if error.code == ErrorCode::NotSignedIn => {
                let token = self.refresh(Some(token)).await?;
                Ok(relay::post(&self.config, path, Some(body), Some(&token)).await?)
            }
            result => Ok(result?),
        }
    }
}
