//! Sign-in: the authorization URL with its pending flow, and the callback — checked by core's
//! `check_callback`, with the address bar cleaned first (L7) — then the code exchange.

use crate::client::Inner;
use crate::error::{err, window, Failure};
use crate::flows::{self, SessionFlows};
use crate::js::{now_ms, object, promise, set};
use crate::options::{opt_bool, opt_string, opt_strings, string_arg};
use crate::random::random_pair;
use crate::relay;
use crate::session;
use canvas_oauth_core::{
    authorize_url, check_callback, concat, normalize_scopes, popup_state, safe_return_path, strip_callback_params,
    AuthorizeRequest, CallbackTarget, CodeExchange, ErrorCode, FlowStore, PendingFlow, PkceVerifier, Prompt, State,
};
use js_sys::Promise;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// The URL that starts a redirect sign-in; saves the pending flow in sessionStorage under its state.
pub(crate) fn redirect(inner: &Inner, options: JsValue) -> Result<String, Failure> {
    let (url, flow) = start(inner, options, false)?;
    flows::save(&flow, flow.created_ms, &inner.flow_index)?;
    Ok(url)
}

/// The URL that starts a sign-in, and its pending flow. A popup sign-in's state is marked (L17)
/// so its redirect page knows to hand the callback back.
pub(crate) fn start(inner: &Inner, options: JsValue, popup: bool) -> Result<(String, PendingFlow), Failure> {
    let config = &inner.config;
    let options = if options.is_object() {
        options
    } else if options.is_undefined() || options.is_null() {
        object()
    } else {
        return Err(err(ErrorCode::InvalidArgument, "options must be an object"));
    };
    let code = ErrorCode::InvalidArgument;
    let return_to = match opt_string(&options, "returnTo", code)? {
        Some(path) => safe_return_path(&path),
        None => {
            // The current page, read from the location's parts rather than cut out of href.
            let location = window()?.location();
            let here = concat(&[&location.pathname()?, &location.search()?, &location.hash()?]);
            safe_return_path(&strip_callback_params(&here))
        }
    };
    let purpose = opt_string(&options, "purpose", code)?;
    let unique_id = opt_string(&options, "uniqueId", code)?;
    let force_login = opt_bool(&options, "forceLogin", code)?;
    let prompt = opt_string(&options, "prompt", code)?.map(|p| Prompt::parse(&p)).transpose()?;
    let scopes = match opt_strings(&options, "scopes", code)? {
        Some(scopes) => normalize_scopes(&scopes)?,
        None => config.scopes.clone(),
    };
    let (state_bytes, verifier_bytes) = random_pair()?;
    let state = if popup { popup_state(&state_bytes) } else { State::from_random(&state_bytes) };
    let verifier = PkceVerifier::from_random(&verifier_bytes);
    let url = authorize_url(&AuthorizeRequest {
        canvas: &config.canvas,
        client_id: &config.client_id,
        redirect_uri: &config.redirect_uri,
        state: state.as_str(),
        code_challenge: &verifier.challenge(),
        scopes: &scopes,
        purpose: purpose.as_deref(),
        force_login,
        unique_id: unique_id.as_deref(),
        prompt,
    })?;
    let now = now_ms();
    let flow = PendingFlow {
        state: state.as_str().to_owned(),
        verifier,
        redirect_uri: config.redirect_uri.clone(),
        canvas_origin: config.canvas.origin().to_owned(),
        created_ms: now,
        return_to,
        scopes,
    };
    Ok((url, flow))
}

/// `handleCallback(url)`: a second call for the same URL, or on the page this call cleaned,
/// gets the first call's promise (React StrictMode calls twice).
pub(crate) fn handle_callback(inner: &Rc<Inner>, url: JsValue) -> Result<Promise, Failure> {
    let location = window()?.location();
    let current = location.href()?;
    let url = if url.is_undefined() { current.clone() } else { string_arg(&url, "url")? };
    if let Some((seen, cleaned, pending)) = inner.callback.borrow().as_ref() {
        if *seen == url || (url == current && *cleaned == current) {
            return Ok(pending.clone());
        }
    }
    // L7, S13: on any attempt on the current address, whatever a callback parser would read
    // or reject leaves the address bar now, before the first await, even if it is bad. An
    // explicit URL leaves the address bar alone.
    let mut cleaned = String::new();
    if url == current {
        let stripped = strip_callback_params(&url);
        if stripped != url {
            window()?.history()?.replace_state_with_url(&JsValue::NULL, "", Some(&stripped))?;
        }
        cleaned = window()?.location().href()?;
    }
    let target =
        CallbackTarget { canvas_origin: inner.config.canvas.origin(), redirect_uri: &inner.config.redirect_uri };
    // Every check, the state lookup included, happens here before any await (L2).
    let checked = SessionFlows::open()
        .and_then(|mut store| Ok(check_callback(&url, &mut store as &mut dyn FlowStore, &target, now_ms())?));
    let pending = match checked {
        Ok(exchange) => {
            let inner = inner.clone();
            promise(async move { exchange_code(&inner, exchange).await })
        }
        Err(error) => Promise::reject(&error.into()),
    };
    *inner.callback.borrow_mut() = Some((url, cleaned, pending.clone()));
    Ok(pending)
}

/// Exchanges the code through the relay; never retried, a code is single-use (L15).
pub(crate) async fn exchange_code(inner: &Rc<Inner>, exchange: CodeExchange) -> Result<JsValue, Failure> {
    let body = object();
    set(&body, "code", exchange.request.code.secret());
    set(&body, "code_verifier", exchange.request.code_verifier.secret());
    let grant = relay::post(&inner.config, "/token", Some(&body), None).await?;
    let session = session::from_grant(
        &grant,
        now_ms(),
        inner.config.refresh_margin_secs,
        exchange.scopes,
        Some(exchange.return_to),
    )?;
    let kept = crate::persist::cookie_kept(&inner.config).await;
    inner.persistent.set(kept);
    inner.set_session(session, false);
    if !kept {
        inner.emit("not-persistent", false);
    }
    Ok(inner.session_js())
}
