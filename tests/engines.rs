//! What the library relies on from the engine, checked in every engine the suites run in
//! (`wasm-pack test --chrome` and `--firefox`, scripts/test.sh): the cross-tab lock is a real
//! Web Lock, and a caller's own abort stays the engine's AbortError. The other engine-sensitive
//! paths (BroadcastChannel between instances, the SameSite=Strict relay cookie between
//! 127.0.0.1 ports, refused and timed-out fetches) are covered by tokens.rs and callback.rs.
#![cfg(target_arch = "wasm32")]

mod support;

use js_sys::{Array, Function, Promise};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Milliseconds until a fresh stand-in token expires, plus slack (tokens.rs).
const PAST_EXPIRY_MS: i32 = 4_600;

/// While another tab holds the lock, no refresh starts; once it is released, one does. A tab
/// without Web Locks would not see the lock and refresh at once, so this fails if an engine
/// quietly takes the library's no-Web-Locks path.
#[wasm_bindgen_test]
async fn a_refresh_waits_for_another_tabs_web_lock() {
    let auth = auth(&[("refreshMarginSeconds", 0.into())]);
    sign_in(&auth).await;
    sleep(PAST_EXPIRY_MS).await;
    reset_relay().await;
    let locks = get(&get(&js_sys::global(), "navigator"), "locks");
    assert!(locks.is_object(), "navigator.locks is available (127.0.0.1 is a secure context)");
    // Hold the library's lock as another tab would.
    let lock = hold_library_lock().await;
    let query: Function = get(&locks, "query").unchecked_into();
    let state = JsFuture::from(query.call0(&locks).unwrap().unchecked_into::<Promise>()).await.unwrap();
    let names: Vec<String> =
        Array::from(&get(&state, "held")).iter().filter_map(|l| get(&l, "name").as_string()).collect();
    assert!(names.contains(&lock.name), "the lock is held: {names:?}");

    let pending = auth.access_token();
    sleep(600).await;
    assert_eq!(relay_count("refresh").await, 0, "no refresh while another tab holds the lock");
    lock.release.call0(&JsValue::NULL).unwrap();
    let fresh = wait(pending).await.unwrap_or_else(|e| panic!("accessToken failed: {:?}", get(&e, "message")));
    assert!(!fresh.as_string().unwrap().is_empty());
    assert_eq!(relay_count("refresh").await, 1, "the refresh ran once the lock was free");
    JsFuture::from(lock.holding).await.unwrap();
}

/// `auth.fetch` with the caller's own AbortSignal rejects with the engine's AbortError
/// (a DOMException in Chromium and Firefox alike), not a CanvasAuthError: the library tells
/// its own timeout from the caller's abort by its signal, never by the error's type or text,
/// which differ between engines ("Failed to fetch" / "NetworkError when attempting...").
#[wasm_bindgen_test]
async fn a_callers_abort_stays_an_abort_error() {
    let auth = auth(&[]);
    sign_in(&auth).await;
    reset_relay().await;
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let init = obj(&[("signal", controller.signal().into())]);
    let error = wait(auth.fetch("/api/v1/users/self".into(), Some(init))).await.unwrap_err();
    assert_eq!(get(&error, "name").as_string().as_deref(), Some("AbortError"), "{error:?}");
    assert_eq!(relay_count("api").await, 0, "an aborted call never reaches the relay");
}
