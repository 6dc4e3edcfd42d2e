//! The floor's sign-in decisions: options, the authorization request, the callback, the popup,
//! and the free functions.

use crate::{failure, get, object, set, strings, Answer, Js};
use canvas_oauth_core::{
    accept_popup_message, authorize_url, check_callback, decode_cookie_check, decode_stored_flow, flow_expired,
    is_callback, normalize_scopes, opener_lost, parse_callback, parse_client_id, parse_redirect_uri, parse_relay_url,
    pkce_challenge, plain_text, popup_page, popup_poll, popup_state, safe_return_path, strip_callback_params,
    AuthorizeRequest, Callback, CallbackTarget, CanvasUrl, FlowStore, PendingFlow, PkceVerifier, PopupEvent, PopupPage,
    Prompt, State, RANDOM_BYTES,
};
use js_sys::Function;
use wasm_bindgen::prelude::*;

/// `new CanvasAuth(options)`'s checks of the URLs, the client id and the scopes (the driver
/// type-checks the option object).
#[wasm_bindgen]
pub fn config(
    canvas: &str,
    client_id: &str,
    redirect_uri: &str,
    relay: &str,
    page_origin: Option<String>,
    scopes: Vec<String>,
) -> Answer<JsValue> {
    let canvas = CanvasUrl::parse(canvas).map_err(failure)?;
    let client_id = parse_client_id(client_id).map_err(failure)?;
    let redirect_uri = parse_redirect_uri(redirect_uri).map_err(failure)?;
    let relay = parse_relay_url(relay, page_origin.as_deref()).map_err(failure)?;
    let scopes = normalize_scopes(&scopes).map_err(failure)?;
    let out = object();
    set(&out, "canvas", canvas.origin());
    set(&out, "clientId", client_id);
    set(&out, "redirectUri", redirect_uri);
    set(&out, "relay", relay.base);
    set(&out, "relayOrigin", relay.origin);
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
