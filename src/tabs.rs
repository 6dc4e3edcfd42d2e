//! Coordination between this app's tabs (L14): a BroadcastChannel carries new sessions,
//! sign-outs, refresh outcomes and "who has a token?" questions (the messages and their
//! validation are core's `PeerMessage`); the Web Locks API serialises refreshes, and where it
//! is missing, refresh claims on the channel stand in for it (`Inner::wait_for_turn`).

use crate::js::{get, object, set};
use js_sys::{Function, Promise};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

pub(crate) use canvas_oauth_core::tabs::{ANSWER, ASK, CLAIM, REFRESH_FAILED, SESSION, SIGNED_OUT};

/// `navigator.locks.request`, when the browser has it (every current engine, secure contexts).
fn lock_request() -> Option<(JsValue, Function)> {
    let locks = web_sys::window().map(|w| get(&w.navigator(), "locks"))?;
    let request = get(&locks, "request").dyn_into::<Function>().ok()?;
    Some((locks, request))
}

/// Runs `task` while holding the cross-tab lock `name`, so only one tab refreshes at a time.
/// `task(waited)` learns whether another tab held the lock first (then that tab was
/// refreshing, S14). `None` when the lock could not be asked for and `task` did not run: no Web
/// Locks, or a cross-site iframe whose storage the browser blocks (`SecurityError`).
pub(crate) async fn with_lock(
    name: &str,
    task: impl FnOnce(bool) -> Promise + 'static,
) -> Option<Result<JsValue, JsValue>> {
    let (locks, request) = lock_request()?;
    // One callback for both requests (each distinct closure type costs its own wasm-bindgen
    // shim): the first asks only if the lock is free, the second waits for it.
    let task = Rc::new(RefCell::new(Some(task)));
    let waited = Rc::new(std::cell::Cell::new(false));
    let (run, flag) = (task.clone(), waited.clone());
    let callback = Closure::<dyn FnMut(JsValue) -> JsValue>::new(move |lock: JsValue| {
        if lock.is_null() {
            return JsValue::UNDEFINED;
        }
        let task = run.borrow_mut().take();
        task.map_or(JsValue::UNDEFINED, |task| task(flag.get()).into())
    });
    let options = object();
    set(&options, "ifAvailable", true);
    let callback_fn: &Function = callback.as_ref().unchecked_ref();
    let first: Promise = request.call3(&locks, &name.into(), &options, callback_fn).ok()?.unchecked_into();
    let result = JsFuture::from(first).await;
    if task.borrow().is_none() {
        return Some(result);
    }
    result.ok()?;
    waited.set(true);
    let held: Promise = request.call2(&locks, &name.into(), callback_fn).ok()?.unchecked_into();
    Some(JsFuture::from(held).await)
}
