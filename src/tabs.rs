//! Coordination between this app's tabs (L14): a BroadcastChannel carries new sessions,
//! sign-outs and "who has a token?" questions; the Web Locks API serialises refreshes, and
//! where it is missing, refresh claims on the channel stand in for it.

use crate::js::{get, window};
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Message `type`s on the channel.
pub(crate) const SESSION: &str = "session";
pub(crate) const SIGNED_OUT: &str = "signed-out";
pub(crate) const ASK: &str = "ask";
pub(crate) const ANSWER: &str = "answer";
/// Without Web Locks: "I am about to refresh", with a random id; the lowest id goes first.
pub(crate) const CLAIM: &str = "claim";

/// `navigator.locks.request`, when the browser has it (every current engine, secure contexts).
fn lock_request() -> Option<(JsValue, Function)> {
    let locks = window().map(|w| get(&w.navigator(), "locks")).ok()?;
    let request = get(&locks, "request").dyn_into::<Function>().ok()?;
    Some((locks, request))
}

pub(crate) fn has_web_locks() -> bool {
    lock_request().is_some()
}

/// Runs `task` while holding the cross-tab lock `name`, so only one tab refreshes at a time.
/// Callers check [`has_web_locks`] first; without it they use the claim protocol in auth.rs.
pub(crate) async fn with_lock(name: &str, task: impl FnOnce() -> Promise + 'static) -> Result<JsValue, JsValue> {
    let (locks, request) = lock_request().ok_or_else(|| JsValue::from("Web Locks are not available"))?;
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue { task().into() });
    let held: Promise = request.call2(&locks, &name.into(), &callback)?.unchecked_into();
    JsFuture::from(held).await
}

/// Resolves after `ms` milliseconds.
pub(crate) async fn sleep(ms: f64) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Ok(w) = window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}
