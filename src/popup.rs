//! Popup sign-in (L17), the I/O half: `window.open` inside the caller's gesture, one `message`
//! listener and one poll of `closed`, then the URL goes through `check_callback` — the same checks
//! as an address bar's — against the flow this call holds. Every decision is core's (`popup_page`, `accept_popup_message`, `popup_poll`).

use crate::client::Inner;
use crate::error::{err, window, Failure};
use crate::js::{get, now_ms, object, promise, set, Js};
use crate::options::opt_number;
use crate::signin;
use canvas_oauth_core::{
    accept_popup_message, check_callback, opener_lost, popup_page, popup_poll, strip_callback_params, CallbackTarget,
    ErrorCode, FlowStore, PopupEvent, PopupPage, POPUP_MESSAGE_TYPE, POPUP_TIMEOUT_MS,
};
use js_sys::{Function, Object, Promise};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Window};

const POLL_MS: i32 = 250;

/// `signInPopup(options)`: synchronous up to `window.open`, so the caller's gesture still counts.
pub(crate) fn sign_in(inner: &Rc<Inner>, options: JsValue) -> Result<Promise, Failure> {
    let given = if options.is_object() { get(&options, "popup") } else { JsValue::UNDEFINED };
    let timeout = if options.is_object() {
        opt_number(&options, "timeoutMs", POPUP_TIMEOUT_MS, (1000.0, 3_600_000.0))?
    } else {
        POPUP_TIMEOUT_MS
    };
    // The flow stays in this task's memory: no storage to fail in a cross-site iframe, and it is
    // taken once, by the one accepted message.
    let (url, flow) = signin::start(inner, options, true)?;
    let state = flow.state.clone();
    let window = window()?;
    let blocked =
        || err(ErrorCode::PopupBlocked, "the browser blocked the sign-in window; call signInPopup in a click handler");
    let popup: Window = if given.is_undefined() || given.is_null() {
        window
            .open_with_url_and_target_and_features(&url, "_blank", "popup,width=520,height=720")?
            .ok_or_else(blocked)?
    } else {
        // Another realm's Window (about:blank of our own window.open) fails `instanceof`: read `closed`.
        match get(&given, "closed").as_bool() {
            Some(false) => {}
            Some(true) => return Err(blocked()),
            None => return Err(err(ErrorCode::InvalidArgument, "popup must be a Window the app opened")),
        }
        let popup: Window = given.unchecked_into();
        popup.location().set_href(&url)?;
        popup
    };
    let own_origin = window.location().origin()?;
    let deadline = now_ms() + timeout;
    let mut timer = 0;
    let mut listener = JsValue::UNDEFINED;
    // A closed or timed-out popup: the poll leaves its typed error here and settles `got`.
    let failed: Rc<RefCell<Option<Failure>>> = Rc::new(RefCell::new(None));
    let poll_failed = failed.clone();
    let got = Promise::new(&mut |resolve: Function, _| {
        let settle = resolve.clone();
        let source = popup.clone();
        let origin = own_origin.clone();
        let state = state.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let from_popup = event.source().is_some_and(|s| Object::is(&s, &source));
            let data = Js(event.data());
            let event = PopupEvent { from_popup, origin: &event.origin(), own_origin: &origin, data: &data };
            if let Some(url) = accept_popup_message(&event, &state) {
                let _ = resolve.call1(&JsValue::NULL, &url.into());
            }
        })
        .into_js_value();
        let _ = window.add_event_listener_with_callback("message", on_message.unchecked_ref());
        listener = on_message;
        let poll_failed = poll_failed.clone();
        let watched = popup.clone();
        let closed_polls = Cell::new(0);
        let on_poll = Closure::<dyn FnMut()>::new(move || {
            let closed = watched.closed().unwrap_or(true);
            closed_polls.set(if closed { closed_polls.get() + 1 } else { 0 });
            if let Some(error) = popup_poll(closed_polls.get(), now_ms(), deadline) {
                poll_failed.borrow_mut().get_or_insert(error.into());
                let _ = settle.call0(&JsValue::NULL);
            }
        })
        .into_js_value();
        timer = window
            .set_interval_with_callback_and_timeout_and_arguments_0(on_poll.unchecked_ref(), POLL_MS)
            .unwrap_or(0);
    });
    let inner = inner.clone();
    Ok(promise(async move {
        let result = JsFuture::from(got).await;
        // One outcome only: the listener and the poll go before anything else can happen.
        let window = crate::error::window()?;
        let _ = window.remove_event_listener_with_callback("message", listener.unchecked_ref());
        window.clear_interval_with_handle(timer);
        let _ = popup.close();
        if let Some(failure) = failed.borrow_mut().take() {
            return Err(failure);
        }
        let url = result?.as_string().unwrap_or_default();
        let target =
            CallbackTarget { canvas_origin: inner.config.canvas.origin(), redirect_uri: &inner.config.redirect_uri };
        let exchange = check_callback(&url, &mut Some(flow) as &mut dyn FlowStore, &target, now_ms())?;
        signin::exchange_code(&inner, exchange).await
    }))
}

/// `CanvasAuth.completePopup()` on the redirect URI page: a popup sign-in's callback goes to the
/// opener, at this page's own origin only, and the window closes (`true`); anything else is left
/// to `handleCallback` (`false`). Without an opener it throws `popup_opener_lost`.
pub(crate) fn complete() -> Result<bool, Failure> {
    let window = window()?;
    let location = window.location();
    let url = location.href()?;
    let opener = window.opener()?;
    let page = popup_page(&url, opener.is_object());
    if page == PopupPage::NotPopup {
        return Ok(false);
    }
    // L7: the code leaves the address bar whatever happens next.
    window.history()?.replace_state_with_url(&JsValue::NULL, "", Some(&strip_callback_params(&url)))?;
    if page == PopupPage::OpenerLost {
        return Err(opener_lost().into());
    }
    let message = object();
    set(&message, "type", POPUP_MESSAGE_TYPE);
    set(&message, "url", url);
    opener.unchecked_into::<Window>().post_message(&message, &location.origin()?)?;
    window.close()?;
    Ok(true)
}
