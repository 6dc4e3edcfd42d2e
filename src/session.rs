//! The signed-in session held in memory (L11): core's [`canvas_oauth_core::Session`] with
//! Canvas's `user` kept as the JavaScript object it arrived as. The access token leaves it only
//! to be sent to the relay or, over BroadcastChannel, to this app's other tabs.

use crate::js::{object, set, Js};
use canvas_oauth_core::{decode_grant, is_userinfo_grant, Error};
use js_sys::Array;
use wasm_bindgen::prelude::*;

pub(crate) type Session = canvas_oauth_core::Session<Js>;

/// The session a relay `/token` or `/refresh` answer starts, read strictly by core (L12).
pub(crate) fn from_grant(
    grant: &JsValue,
    received_ms: f64,
    margin_secs: u64,
    scopes: Vec<String>,
    return_to: Option<String>,
) -> Result<Session, Error> {
    let grant = decode_grant(&Js(grant.clone()), is_userinfo_grant(&scopes))?;
    Ok(Session::from_grant(grant, received_ms, margin_secs, scopes, return_to))
}

/// The public `auth.session` object: no token in it.
pub(crate) fn to_js(session: &Session) -> JsValue {
    let out = object();
    set(&out, "user", session.user.0.clone());
    set(&out, "expiresAt", session.expires_at_ms.map_or(JsValue::NULL, JsValue::from));
    set(&out, "scopes", session.scopes.iter().map(|s| JsValue::from(s.as_str())).collect::<Array>());
    set(&out, "canvasRegion", session.canvas_region.as_deref().map_or(JsValue::NULL, JsValue::from));
    set(&out, "returnTo", session.return_to.as_deref().map_or(JsValue::NULL, JsValue::from));
    out
}

/// The session as sent to this app's other tabs, token included (read back by
/// `canvas_oauth_core::decode_session_message`).
pub(crate) fn to_message(session: &Session) -> JsValue {
    let out = to_js(session);
    set(&out, "accessToken", session.token.as_ref().map_or(JsValue::NULL, |t| JsValue::from(t.secret())));
    set(&out, "dueAt", session.due_ms.map_or(JsValue::NULL, JsValue::from));
    out
}
