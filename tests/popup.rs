//! Popup sign-in's message checks in a real engine (L17), in both suites (Chromium and Firefox).
//! The "popup" handed to `signInPopup({ popup })` is a same-origin frame's window: the test page's
//! server sends Cross-Origin-Opener-Policy, so a real popup on a page without it would be cut off
//! (tests/e2e/embedded.test.mjs drives real popups in Chromium). `canvasUrl` points the
//! authorization URL at this origin, so the test can read it back and mint the code Canvas would.
//! Only a callback posted by that window, from this origin, is exchanged; forged ones make no relay call.
#![cfg(target_arch = "wasm32")]

mod support;

use js_sys::{Function, Promise};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::Window;

wasm_bindgen_test_configure!(run_in_browser);

/// A CanvasAuth whose authorization URL is on this page's origin (the relay still talks to the stand-in).
fn popup_auth(timeout_ms: u32) -> (canvas_oauth::CanvasAuth, JsValue) {
    let auth = auth(&[("canvasUrl", origin().into())]);
    (auth, obj(&[("timeoutMs", timeout_ms.into())]))
}

/// A same-origin frame (the element and its window), as the window the sign-in drives.
fn open_window() -> (JsValue, Window) {
    let make =
        Function::new_no_args("const f = document.createElement('iframe'); document.body.appendChild(f); return f;");
    let frame = make.call0(&JsValue::NULL).unwrap();
    let window = get(&frame, "contentWindow").unchecked_into();
    (frame, window)
}

/// The authorization URL the library sent the popup to, once it has loaded there.
async fn authorize_url_of(popup: &Window) -> String {
    for _ in 0..100 {
        if let Ok(href) = popup.location().href() {
            if href.contains("/login/oauth2/auth?") {
                return href;
            }
        }
        sleep(50).await;
    }
    panic!("the popup never went to the authorization URL: {:?} {:?}", popup.location().href(), popup.closed());
}

/// Posts `message` to this page from a script of `realm` (its own `Function`), so the event's
/// `source` is that window.
fn post_from(realm: &JsValue, message: &JsValue) {
    let make: Function = get(realm, "Function").unchecked_into();
    let post: Function = make
        .call2(&JsValue::NULL, &"m".into(), &"parent.postMessage(m, location.origin)".into())
        .unwrap()
        .unchecked_into();
    post.call1(&JsValue::NULL, message).unwrap();
}

fn callback_message(url: &str) -> JsValue {
    obj(&[("type", "canvas-oauth:callback".into()), ("url", url.into())])
}

#[wasm_bindgen_test]
async fn only_the_popups_own_callback_is_exchanged() {
    reset_relay().await;
    let (auth, options) = popup_auth(20_000);
    let (_frame, popup) = open_window();
    js_sys::Reflect::set(&options, &"popup".into(), &popup).unwrap();
    let pending = auth.sign_in_popup(Some(options));
    let early = Promise::race(&js_sys::Array::of2(&pending, &Promise::resolve(&JsValue::from("pending"))));
    if let Err(e) = JsFuture::from(early).await {
        panic!("signInPopup failed at once: {:?}", get(&e, "description"));
    }
    let url = authorize_url_of(&popup).await;
    let callback = approved_callback(&url).await;
    let window = web_sys::window().unwrap();
    // Forged: this page's own window (not the popup); the popup's window with another sign-in's
    // state; a message that is not a callback. All ignored.
    window.post_message(&callback_message(&callback), &origin()).unwrap();
    let other_state = callback.replace("state=p.", "state=p.x");
    post_from(&popup, &callback_message(&other_state));
    post_from(&popup, &obj(&[("type", "canvas-oauth:callback".into()), ("url", 5.into())]));
    sleep(300).await;
    assert_no_relay_calls().await;

    // The popup's genuine callback: exchanged once, and the popup is closed.
    post_from(&popup, &callback_message(&callback));
    let session = wait(pending).await.unwrap_or_else(|e| panic!("popup sign-in failed: {:?}", get(&e, "description")));
    assert_eq!(get(&get(&session, "user"), "id").as_f64(), Some(1.0));
    assert_eq!(relay_count("token").await, 1);
    // A replay of the same callback reaches nobody: the listener is gone and the flow taken.
    post_from(&popup, &callback_message(&callback));
    sleep(300).await;
    assert_eq!(relay_count("token").await, 1, "exchanged once");
}

#[wasm_bindgen_test]
async fn a_closed_popup_and_a_timeout_are_typed_and_call_nothing() {
    reset_relay().await;
    let (auth, options) = popup_auth(20_000);
    let (frame, popup) = open_window();
    js_sys::Reflect::set(&options, &"popup".into(), &popup).unwrap();
    let pending = auth.sign_in_popup(Some(options));
    authorize_url_of(&popup).await;
    // The window goes away (a frame removed: its window reports `closed`, as a closed popup does).
    get(&frame, "remove").unchecked_into::<Function>().call0(&frame).unwrap();
    assert_eq!(code_of(&wait(pending).await.unwrap_err()), "popup_closed");

    let (auth, options) = popup_auth(1_000);
    let (_frame, never) = open_window();
    js_sys::Reflect::set(&options, &"popup".into(), &never).unwrap();
    let pending: Promise = auth.sign_in_popup(Some(options));
    assert_eq!(code_of(&JsFuture::from(pending).await.unwrap_err()), "popup_timeout");
    assert_no_relay_calls().await;

    // A window that is already closed, and something that is not a window.
    let (auth, options) = popup_auth(1_000);
    js_sys::Reflect::set(&options, &"popup".into(), &popup).unwrap();
    assert_eq!(code_of(&wait(auth.sign_in_popup(Some(options))).await.unwrap_err()), "popup_blocked");
    let (auth, options) = popup_auth(1_000);
    js_sys::Reflect::set(&options, &"popup".into(), &"https://evil.example".into()).unwrap();
    assert_eq!(code_of(&wait(auth.sign_in_popup(Some(options))).await.unwrap_err()), "invalid_argument");
}
