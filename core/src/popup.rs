//! Popup sign-in (L17): what the popup page does with a callback, which `message` events the
//! opener accepts, and when it gives up. The browser library only does the I/O: `window.open`,
//! `postMessage`, polling `closed`; every decision is here.
//!
//! The popup forwards only the callback URL; the opener runs [`crate::check_callback`] on it and
//! exchanges the code in its own context, so the pending flow stays in the opener's storage and
//! the relay cookie lands in the opener's partition (an iframe's, inside Canvas).

use crate::callback::parse_callback;
use crate::encoding::{base64url_encode, constant_time_eq};
use crate::error::{Error, ErrorCode};
use crate::pkce::{State, RANDOM_BYTES};
use crate::record::Record;
use alloc::string::String;

/// `type` of the one message a popup sends its opener.
pub const POPUP_MESSAGE_TYPE: &str = "canvas-oauth:callback";
/// The `state` of a popup sign-in starts with this, so the redirect page knows it is in a popup
/// even when `window.opener` is gone. `.` is not a base64url character: no other state has it.
pub const POPUP_STATE_PREFIX: &str = "p.";
/// How long the opener waits for the popup's callback unless told otherwise: 5 minutes.
pub const POPUP_TIMEOUT_MS: f64 = 300_000.0;

/// A fresh `state` for a popup sign-in: the prefix and 43 random base64url characters.
pub fn popup_state(bytes: &[u8; RANDOM_BYTES]) -> State {
    State::from_text(crate::concat(&[POPUP_STATE_PREFIX, &base64url_encode(bytes)]))
}

/// What the redirect URI page should do when it loads.
#[derive(Debug, PartialEq, Eq)]
pub enum PopupPage {
    /// Not a popup sign-in's callback: handle it as usual (`handleCallback`).
    NotPopup,
    /// Post the URL to the opener (at this page's own origin) and close.
    Forward,
    /// A popup sign-in's callback, but the opener link is gone (COOP, or the app closed).
    OpenerLost,
}

/// Decides from the page's URL and whether `window.opener` is set.
pub fn popup_page(url: &str, has_opener: bool) -> PopupPage {
    let popup = parse_callback(url).is_ok_and(|c| c.state().starts_with(POPUP_STATE_PREFIX));
    match (popup, has_opener) {
        (false, _) => PopupPage::NotPopup,
        (true, true) => PopupPage::Forward,
        (true, false) => PopupPage::OpenerLost,
    }
}

/// The error `completePopup` throws when the opener link is gone.
pub fn opener_lost() -> Error {
    Error::new(
        ErrorCode::PopupOpenerLost,
        "this sign-in window lost its link to the app (Cross-Origin-Opener-Policy); close it and sign in in a new tab",
    )
}

/// One `message` event as the opener sees it.
pub struct PopupEvent<'a, R> {
    /// `event.source` is the very window this sign-in opened.
    pub from_popup: bool,
    /// `event.origin`.
    pub origin: &'a str,
    /// The opener's own origin (the popup posts to it and from it: the redirect URI is ours).
    pub own_origin: &'a str,
    /// `event.data`, read through [`Record`]: untrusted, any shape.
    pub data: &'a R,
}

/// The callback URL of an event, or `None` when it must be ignored: not from our popup, not from
/// our own origin (compared exactly), not `{type: POPUP_MESSAGE_TYPE, url}`, a URL that does not
/// parse as a callback, or a callback of another sign-in (its `state` is not `state`, compared in
/// constant time). The URL then goes through [`crate::check_callback`] like one from the address bar.
pub fn accept_popup_message<R: Record>(event: &PopupEvent<'_, R>, state: &str) -> Option<String> {
    if !event.from_popup || event.origin != event.own_origin || event.origin == "null" {
        return None;
    }
    if event.data.get("type").into_text()? != POPUP_MESSAGE_TYPE {
        return None;
    }
    let url = event.data.get("url").into_text()?;
    let callback = parse_callback(&url).ok()?;
    constant_time_eq(callback.state().as_bytes(), state.as_bytes()).then_some(url)
}

/// One poll of a waiting opener: the popup closed (`popup_closed`), or the deadline passed
/// (`popup_timeout`: a popup that navigated elsewhere or never returns); `None`: keep waiting.
/// `closed_polls` counts the consecutive polls that saw `closed`: the popup posts, then closes,
/// and its message may still be on its way at the first of them, so closing counts from the second.
pub fn popup_poll(closed_polls: u32, now_ms: f64, deadline_ms: f64) -> Option<Error> {
    if now_ms >= deadline_ms {
        Some(Error::new(ErrorCode::PopupTimeout, "the sign-in window did not come back in time"))
    } else if closed_polls >= 2 {
        Some(Error::new(
            ErrorCode::PopupClosed,
            "the sign-in window was closed (if you did not close it, the browser cut its link: sign in in a new tab)",
        ))
    } else {
        None
    }
}

/// Reads the relay's `/cookie-check` answer (R9): `Some(received)` for `{"received": bool}`,
/// `None` for anything else (an older relay, a proxy's page): then nothing is known and the
/// session is not marked.
pub fn decode_cookie_check<R: Record>(answer: &R) -> Option<bool> {
    match answer.get("received") {
        crate::record::Value::Bool(received) => Some(received),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
