//! Coordination between this app's tabs (L14): a BroadcastChannel carries new sessions,
//! sign-outs, refresh outcomes and "who has a token?" questions (the messages and their
//! validation are core's `PeerMessage`); the Web Locks API serialises refreshes, and where it
//! is missing, refresh claims on the channel stand in for it (`Inner::wait_for_turn`).

use crate::io;
use crate::js::get;
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

pub(crate) use canvas_oauth_core::tabs::{ANSWER, ASK, CLAIM, REFRESH_FAILED, SESSION, SIGNED_OUT};

/// Runs `task` while holding the cross-tab lock `name`, so only one tab refreshes at a time.
/// `task(waited)` learns whether another tab held the lock first (then that tab was
/// refreshing, S14). `None` when the lock could not be asked for and `task` did not run: no Web
/// Locks, or a cross-site iframe whose storage the browser blocks (`SecurityError`).
pub(crate) async fn with_lock(
    name: &str,
    task: impl FnOnce(bool) -> Promise + 'static,
) -> Option<Result<JsValue, JsValue>> {
    let mut task = Some(task);
    // Alive until the lock is released: the lock calls it while this future waits.
    let callback = Closure::<dyn FnMut(bool) -> JsValue>::new(move |waited: bool| {
        task.take().map_or(JsValue::UNDEFINED, |task| task(waited).into())
    });
    match JsFuture::from(io::with_lock(name, callback.as_ref().unchecked_ref())).await {
        Ok(held) if held.is_null() => None,
        Ok(held) => Some(Ok(get(&held, "0"))),
        Err(thrown) => Some(Err(thrown)),
    }
}
