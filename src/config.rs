//! `new CanvasAuth(options)`: every option checked up front; a bad one throws `config_invalid`
//! naming the field.

use crate::error::Failure;
use crate::js::get;
use crate::options::{opt_number, opt_string, opt_strings};
use canvas_oauth_core::{
    concat, decimal, normalize_scopes, parse_client_id, parse_redirect_uri, parse_relay_url, CanvasUrl, Error,
    ErrorCode, RelayUrl, RetryPolicy,
};
use wasm_bindgen::prelude::*;

pub(crate) struct Config {
    pub canvas: CanvasUrl,
    pub client_id: String,
    pub redirect_uri: String,
    /// The relay: its base URL (no trailing slash) and its origin, for its `Link` headers.
    pub relay: RelayUrl,
    pub scopes: Vec<String>,
    pub timeout_ms: f64,
    pub refresh_margin_secs: u64,
    pub retry: RetryPolicy,
    pub max_in_flight: u32,
}

fn invalid(field: &str, why: &str) -> Failure {
    Error::new(ErrorCode::ConfigInvalid, concat(&[field, ": ", why])).into()
}

fn required(options: &JsValue, field: &str) -> Result<String, Failure> {
    opt_string(options, field, ErrorCode::ConfigInvalid)?.ok_or_else(|| invalid(field, "is required"))
}

impl Config {
    pub fn from_js(options: &JsValue) -> Result<Self, Failure> {
        if !options.is_object() {
            return Err(invalid("options", "must be an object"));
        }
        let canvas = CanvasUrl::parse(&required(options, "canvasUrl")?)?;
        let client_id = get(options, "clientId");
        // A whole number is accepted too; formatted as an integer (float formatting costs ~15 KB of wasm).
        let as_integer = |n: f64| (n.fract() == 0.0 && (1.0..9.0e15).contains(&n)).then(|| decimal(n as u64));
        let client_id = client_id.as_string().or_else(|| client_id.as_f64().and_then(as_integer)).unwrap_or_default();
        let client_id = parse_client_id(&client_id)?;
        let redirect_uri = parse_redirect_uri(&required(options, "redirectUri")?)?;
        // The page's origin, for a relay path: read here, decided in core.
        let page_origin = web_sys::window().and_then(|w| w.location().origin().ok());
        let relay = parse_relay_url(&required(options, "relayUrl")?, page_origin.as_deref())?;
        let scopes = opt_strings(options, "scopes", ErrorCode::ConfigInvalid)?.unwrap_or_default();
        let scopes = normalize_scopes(&scopes).map_err(|e| invalid("scopes", &e.description))?;
        let timeout_ms = opt_number(options, "timeoutMs", 15_000.0, (100.0, 120_000.0))?;
        let refresh_margin_secs = opt_number(options, "refreshMarginSeconds", 60.0, (0.0, 3_600.0))? as u64;
        let retry = retry_policy(&get(options, "retry"))?;
        let max_in_flight = opt_number(options, "maxInFlight", 4.0, (1.0, 64.0))? as u32;
        Ok(Self {
            canvas,
            client_id,
            redirect_uri,
            relay,
            scopes,
            timeout_ms,
            refresh_margin_secs,
            retry,
            max_in_flight,
        })
    }

    /// Name shared by this app's tabs for the BroadcastChannel and the refresh lock.
    pub fn channel_name(&self) -> String {
        concat(&["canvas-oauth:", self.canvas.origin(), ":", &self.client_id])
    }
}

/// `retry`: absent for the default, `false` for none, or `{ attempts?, maxDelayMs? }`.
fn retry_policy(value: &JsValue) -> Result<RetryPolicy, Failure> {
    let d = RetryPolicy::DEFAULT;
    if value.is_undefined() || value.is_null() || value.as_bool() == Some(true) {
        return Ok(d);
    }
    if value.as_bool() == Some(false) {
        return Ok(RetryPolicy::OFF);
    }
    if !value.is_object() {
        return Err(invalid("retry", "must be false or { attempts, maxDelayMs }"));
    }
    Ok(RetryPolicy {
        attempts: opt_number(value, "attempts", d.attempts.into(), (0.0, 10.0))? as u32,
        max_delay_ms: opt_number(value, "maxDelayMs", d.max_delay_ms.into(), (0.0, 60_000.0))? as u32,
    })
}
