//! Coordination between this app's tabs (L14): a BroadcastChannel carries new sessions,
//! sign-outs and "who has a token?" questions; the Web Locks API serialises refreshes.

use crate::js::{get, window};
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Message `type`s on the channel.
pub(crate) const SESSION: &str = "session";
pub(crate) const SIGNED_OUT: &str = "signed-out";
pub(crate) const ASK: &str = "ask";
pub(crate) const ANSWER: &str = "answer";

/// Runs `task` while holding the cross-tab lock `name` (`navigator.locks.request`), so only
/// one tab refreshes at a time. Without Web Locks (old browsers, insecure contexts) it waits
/// a random 0–150 ms instead, which lets a peer's broadcast land first: best effort only.
pub(crate) async fn with_lock(name: &str, task: impl FnOnce() -> Promise + 'static) -> Result<JsValue, JsValue> {
    let locks = window().map(|w| get(&w.navigator(), "locks")).unwrap_or(JsValue::UNDEFINED);
    let request = get(&locks, "request");
    if let Some(request) = request.dyn_ref::<Function>() {
        let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue { task().into() });
        let held: Promise = request.call2(&locks, &name.into(), &callback)?.unchecked_into();
        return JsFuture::from(held).await;
    }
    let mut jitter = [0u8; 1];
    let _ = getrandom::fill(&mut jitter);
    sleep(f64::from(jitter[0]) * 150.0 / 255.0).await;
    JsFuture::from(task()).await
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
