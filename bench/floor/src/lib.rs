//! A measurement, not shipped (`node bench/floor.mjs`, BENCHMARKS.md "The floor"): core's browser
//! decisions alone, one wasm export each, with nothing of the library's driver — no state, no
//! futures, no timers, no fetch, no storage. It is what the package would weigh if every await,
//! listener and option check moved to JavaScript and Rust were called once per decision: the
//! least a wasm core of today's `core/` can cost, whatever drives it.
//!
//! Each export is what such a driver would call where `src/` calls core today: options, starting
//! a sign-in, the callback check, the grant, relay errors and what they mean for the session,
//! peer messages, API paths and `Link`, throttling, GraphQL, sign-out, the popup, and the free
//! functions. Answers are plain objects; errors `{ code, description }`.

use canvas_oauth_core::{
    accept_popup_message, after_refresh_error, authorize_url, canvas_sign_out_url, check_callback, concat,
    decode_cookie_check, decode_grant, decode_peer_message, decode_revoke_answer, decode_stored_flow, error_from_relay,
    flow_expired, graphql_outcome, is_api_path, is_callback, is_retryable_method, is_throttled, is_userinfo_grant,
    next_link, normalize_scopes, opener_lost, parse_callback, parse_client_id, parse_quota, parse_redirect_uri,
    parse_retry_after, pkce_challenge, plain_text, popup_page, popup_poll, popup_state, retry_delay_ms,
    safe_return_path, strip_callback_params, AfterRefreshError, AuthorizeRequest, Callback, CallbackTarget, CanvasUrl,
    Error, ErrorBody, ErrorCode, FlowStore, HttpUrl, PeerMessage, PendingFlow, PkceVerifier, PopupEvent, PopupPage,
    Prompt, Record, RetryPolicy, Session, State, Value, RANDOM_BYTES,
};
use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;

#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

type Answer<T> = Result<T, JsValue>;

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn set(target: &JsValue, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(target, &key.into(), &value.into());
}

fn object() -> JsValue {
    Object::new().into()
}

fn failure(error: Error) -> JsValue {
    let out = object();
    set(&out, "code", error.code.as_str());
    set(&out, "description", error.description);
    if error.retry_after > 0 {
        set(&out, "retryAfter", error.retry_after);
    }
    out
}

fn strings(values: &[String]) -> Array {
    values.iter().map(|s| JsValue::from(s.as_str())).collect()
}

/// The library's reader of untrusted JS values (src/js.rs), repeated: the floor cannot link
/// src/ without its exports.
#[derive(Clone)]
struct Js(JsValue);

impl Record for Js {
    fn get(&self, key: &str) -> Value<Self> {
        let value = get(&self.0, key);
        if !Array::is_array(&value) {
            return scalar_of(value);
        }
        let items = Array::from(&value);
        if items.length() > 4096 {
            return Value::Other;
        }
        Value::List(items.iter().map(|v| if Array::is_array(&v) { Value::Other } else { scalar_of(v) }).collect())
    }
}

fn scalar_of(value: JsValue) -> Value<Js> {
    if value.is_undefined() {
        Value::Missing
    } else if value.is_null() {
        Value::Null
    } else if let Some(b) = value.as_bool() {
        Value::Bool(b)
    } else if let Some(n) = value.as_f64() {
        Value::Number(n)
    } else if let Some(text) = value.as_string() {
        Value::Text(text)
    } else if value.is_object() {
        Value::Object(Js(value))
    } else {
        Value::Other
    }
}

/// `new CanvasAuth(options)`'s checks of the URLs, the client id and the scopes (the driver
/// type-checks the option object and resolves a relay path against the page).
#[wasm_bindgen]
pub fn config(canvas: &str, client_id: &str, redirect_uri: &str, relay: &str, scopes: Vec<String>) -> Answer<JsValue> {
    let canvas = CanvasUrl::parse(canvas).map_err(failure)?;
    let client_id = parse_client_id(client_id).map_err(failure)?;
    let redirect_uri = parse_redirect_uri(redirect_uri).map_err(failure)?;
    let relay = HttpUrl::parse("relayUrl", relay).and_then(|u| u.require_secure("relayUrl")).map_err(failure)?;
    if relay.query.is_some() || relay.fragment.is_some() {
        return Err(failure(Error::new(ErrorCode::ConfigInvalid, "relayUrl: must not have a query or fragment")));
    }
    let scopes = normalize_scopes(&scopes).map_err(failure)?;
    let out = object();
    set(&out, "canvas", canvas.origin());
    set(&out, "clientId", client_id);
    set(&out, "redirectUri", redirect_uri);
    set(&out, "relay", concat(&[&relay.origin(), relay.path.trim_end_matches('/')]));
    set(&out, "scopes", strings(&scopes));
    Ok(out)
}

/// `authorizeUrl`: a new flow from 64 random bytes; answers the URL, the state and the entry
/// to store under it.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn start(
    canvas: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: Vec<String>,
    random: &[u8],
    popup: bool,
    purpose: Option<String>,
    force_login: bool,
    unique_id: Option<String>,
    prompt: Option<String>,
    return_to: &str,
    now_ms: f64,
) -> Answer<JsValue> {
    let canvas = CanvasUrl::parse(canvas).map_err(failure)?;
    let scopes = normalize_scopes(&scopes).map_err(failure)?;
    let bad_random = || JsValue::from("need 64 random bytes");
    let (for_state, for_verifier) = random.split_at(RANDOM_BYTES.min(random.len()));
    let for_state: &[u8; RANDOM_BYTES] = for_state.try_into().map_err(|_| bad_random())?;
    let for_verifier: &[u8; RANDOM_BYTES] = for_verifier.try_into().map_err(|_| bad_random())?;
    let state = if popup { popup_state(for_state) } else { State::from_random(for_state) };
    let verifier = PkceVerifier::from_random(for_verifier);
    let prompt = prompt.map(|p| Prompt::parse(&p)).transpose().map_err(failure)?;
    let url = authorize_url(&AuthorizeRequest {
        canvas: &canvas,
        client_id,
        redirect_uri,
        state: state.as_str(),
        code_challenge: &verifier.challenge(),
        scopes: &scopes,
        purpose: purpose.as_deref(),
        force_login,
        unique_id: unique_id.as_deref(),
        prompt,
    })
    .map_err(failure)?;
    let flow = PendingFlow {
        state: state.as_str().into(),
        verifier,
        redirect_uri: redirect_uri.into(),
        canvas_origin: canvas.origin().into(),
        created_ms: now_ms,
        return_to: safe_return_path(return_to),
        scopes,
    };
    let out = object();
    set(&out, "url", url);
    set(&out, "state", state.as_str());
    set(&out, "entry", flow.to_json());
    Ok(out)
}

/// The pending flows as the driver keeps them: `store.take(state)` answers the parsed entry.
struct JsFlows(JsValue);

impl FlowStore for JsFlows {
    fn take(&mut self, state: &str) -> Option<PendingFlow> {
        let take: Function = get(&self.0, "take").dyn_into().ok()?;
        let entry = take.call1(&self.0, &state.into()).ok()?;
        decode_stored_flow(&Js(entry)).ok()
    }
}

/// `handleCallback`'s check; answers the code exchange and the cleaned address.
#[wasm_bindgen]
pub fn callback(url: &str, flows: JsValue, canvas_origin: &str, redirect_uri: &str, now_ms: f64) -> Answer<JsValue> {
    let target = CallbackTarget { canvas_origin, redirect_uri };
    let exchange = check_callback(url, &mut JsFlows(flows), &target, now_ms).map_err(failure)?;
    let out = object();
    set(&out, "code", exchange.request.code.secret());
    set(&out, "verifier", exchange.request.code_verifier.secret());
    set(&out, "scopes", strings(&exchange.scopes));
    set(&out, "returnTo", exchange.return_to);
    set(&out, "cleanUrl", strip_callback_params(url));
    Ok(out)
}

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

#[wasm_bindgen]
pub fn api_path(path: &str) -> bool {
    is_api_path(path)
}

#[wasm_bindgen]
pub fn next_page(link: &str) -> Option<String> {
    next_link(link)
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

/// `completePopup`: `true` to forward the callback to the opener, `false` when no popup's.
#[wasm_bindgen]
pub fn popup_forward(url: &str, has_opener: bool) -> Answer<bool> {
    match popup_page(url, has_opener) {
        PopupPage::NotPopup => Ok(false),
        PopupPage::Forward => Ok(true),
        PopupPage::OpenerLost => Err(failure(opener_lost())),
    }
}

#[wasm_bindgen]
pub fn popup_message(from_popup: bool, origin: &str, own_origin: &str, data: JsValue, state: &str) -> Option<String> {
    accept_popup_message(&PopupEvent { from_popup, origin, own_origin, data: &Js(data) }, state)
}

#[wasm_bindgen]
pub fn popup_check(closed_polls: u32, now_ms: f64, deadline_ms: f64) -> Answer<()> {
    popup_poll(closed_polls, now_ms, deadline_ms).map_or(Ok(()), |e| Err(failure(e)))
}

#[wasm_bindgen]
pub fn cookie_check(answer: JsValue) -> Option<bool> {
    decode_cookie_check(&Js(answer))
}

#[wasm_bindgen]
pub fn flow_is_expired(created_ms: f64, now_ms: f64) -> bool {
    flow_expired(created_ms, now_ms)
}

#[wasm_bindgen]
pub fn callback_in(url: &str) -> bool {
    is_callback(url)
}

/// The free function `parseCallback`.
#[wasm_bindgen]
pub fn parse(url: &str) -> Answer<JsValue> {
    let out = object();
    match parse_callback(url).map_err(failure)? {
        Callback::Code { code, state } => {
            set(&out, "code", code.secret());
            set(&out, "state", state);
        }
        Callback::Error { error, description, state } => {
            set(&out, "error", error.as_str());
            set(&out, "state", state);
            if let Some(description) = description {
                set(&out, "errorDescription", description);
            }
        }
    }
    Ok(out)
}

#[wasm_bindgen]
pub fn challenge(verifier: &str) -> Answer<String> {
    pkce_challenge(verifier).map_err(failure)
}

#[wasm_bindgen]
pub fn description(text: &str) -> String {
    plain_text(text)
}
