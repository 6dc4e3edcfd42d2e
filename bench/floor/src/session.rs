//! The floor's session decisions: grants, relay errors, peer messages, API calls, throttling,
//! GraphQL and sign-out.

use crate::{failure, object, set, strings, Answer, Js};
use canvas_oauth_core::{
    after_refresh_error, canvas_sign_out_url, decode_grant, decode_peer_message, decode_revoke_answer,
    error_from_relay, graphql_outcome, is_invalid_token, is_retryable_method, is_throttled, is_userinfo_grant,
    next_page_url, page_error, parse_quota, parse_retry_after, relay_api_url, retry_delay_ms, AfterRefreshError,
    CanvasUrl, ErrorBody, PeerMessage, RetryPolicy, Session,
};
use wasm_bindgen::prelude::*;

fn session_object(session: Session<Js>) -> JsValue {
    let out = object();
    if let Some(token) = session.token {
        set(&out, "token", token.secret());
    }
    set(&out, "expiresAt", session.expires_at_ms.map_or(JsValue::NULL, JsValue::from));
    set(&out, "dueAt", session.due_ms.map_or(JsValue::NULL, JsValue::from));
    set(&out, "user", session.user.0);
    set(&out, "canvasRegion", session.canvas_region.map_or(JsValue::NULL, JsValue::from));
    set(&out, "scopes", strings(&session.scopes));
    if let Some(return_to) = session.return_to {
        set(&out, "returnTo", return_to);
    }
    out
}

/// A relay `/token` or `/refresh` answer, read strictly, as the session it starts.
#[wasm_bindgen]
pub fn grant(answer: JsValue, scopes: Vec<String>, now_ms: f64, margin_secs: u32) -> Answer<JsValue> {
    let grant = decode_grant(&Js(answer), is_userinfo_grant(&scopes)).map_err(failure)?;
    Ok(session_object(Session::from_grant(grant, now_ms, margin_secs.into(), scopes, None)))
}

/// A relay answer that is not a success, as the library's error; `endsSession` says what a
/// failed refresh means.
#[wasm_bindgen]
pub fn relay_error(
    status: u16,
    error: Option<String>,
    description: Option<String>,
    retry_after: Option<String>,
) -> JsValue {
    let body = error.map(|error| ErrorBody { error, error_description: description });
    let error = error_from_relay(status, body.as_ref()).with_retry_after(retry_after.as_deref());
    let ends = after_refresh_error(error.code) == AfterRefreshError::EndSession;
    let out = failure(error);
    set(&out, "endsSession", ends);
    out
}

/// A BroadcastChannel message from another tab, validated.
#[wasm_bindgen]
pub fn peer_message(message: JsValue) -> Answer<JsValue> {
    let out = object();
    let (kind, id, session) = match decode_peer_message(&Js(message)).map_err(failure)? {
        PeerMessage::Session(session) => ("session", None, Some(session)),
        PeerMessage::SignedOut => ("signed-out", None, None),
        PeerMessage::Ask { id } => ("ask", Some(id), None),
        PeerMessage::Answer { id, session } => ("answer", Some(id), Some(session)),
        PeerMessage::Claim { id } => ("claim", Some(id), None),
        PeerMessage::RefreshFailed => ("refresh-failed", None, None),
    };
    set(&out, "type", kind);
    if let Some(id) = id {
        set(&out, "id", id);
    }
    if let Some(session) = session {
        set(&out, "session", session_object(session));
    }
    Ok(out)
}

/// `fetch`'s URL check: the relay URL for an API path, or `invalid_argument`.
#[wasm_bindgen]
pub fn api_url(relay: &str, path: &str) -> Answer<String> {
    relay_api_url(relay, path).map_err(failure)
}

/// Whether a parsed 401 body is Canvas refusing the token (the one refresh and retry).
#[wasm_bindgen]
pub fn invalid_token(body: JsValue) -> bool {
    is_invalid_token(&Js(body))
}

/// A page's outcome: the error of a failed page, or the next page's URL (`undefined` at the end).
#[wasm_bindgen]
pub fn page(
    status: u16,
    retry_after: Option<String>,
    link: &str,
    relay: &str,
    relay_origin: &str,
) -> Answer<Option<String>> {
    if !(200..300).contains(&status) {
        return Err(failure(page_error(status, retry_after.as_deref())));
    }
    next_page_url(link, relay, relay_origin).map_err(failure)
}

/// `webSessionUrl(returnTo)`'s page on this Canvas.
#[wasm_bindgen]
pub fn web_session_page(canvas: &str, return_to: &str) -> Answer<String> {
    Ok(CanvasUrl::parse(canvas).map_err(failure)?.page_url(return_to))
}

#[wasm_bindgen]
pub fn quota(header: Option<String>) -> Option<f64> {
    parse_quota(header.as_deref())
}

/// How long to wait before retrying a throttled answer, or `undefined` for no retry.
#[wasm_bindgen]
pub fn retry_delay(
    attempts: u32,
    max_delay_ms: u32,
    done: u32,
    status: u16,
    method: &str,
    retry_after: Option<String>,
    random: f64,
) -> Option<u32> {
    if !is_throttled(status) || !is_retryable_method(method) {
        return None;
    }
    let policy = RetryPolicy { attempts, max_delay_ms };
    retry_delay_ms(policy, done, parse_retry_after(retry_after.as_deref()), random)
}

#[wasm_bindgen]
pub fn graphql(status: u16, body: JsValue) -> Answer<()> {
    graphql_outcome(status, &Js(body)).map_err(failure)
}

/// `signOut`'s answer, and where Canvas ends its own session.
#[wasm_bindgen]
pub fn revoked(canvas: &str, answer: JsValue) -> Answer<JsValue> {
    let canvas = CanvasUrl::parse(canvas).map_err(failure)?;
    let (revocation, forward_url) = decode_revoke_answer(&Js(answer));
    let out = object();
    set(&out, "revocation", revocation.as_str());
    if let Some(url) = &forward_url {
        set(&out, "forwardUrl", url.as_str());
    }
    set(&out, "signOutUrl", canvas_sign_out_url(&canvas, forward_url.as_deref()));
    Ok(out)
}
