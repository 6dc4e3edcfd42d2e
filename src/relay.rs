//! Calls to the relay (protocol v1): a timeout on every call and a cap on the response size
//! (L15), performed by `io.js`'s `relayPost`. Nothing here retries; callers decide (a code
//! exchange never is).

use crate::config::Config;
use crate::io::{failure_code, io_error, relay_post};
use crate::js::get;
use canvas_oauth_core::{concat, error_from_relay, Error, ErrorBody, ErrorCode, RELAY_HEADER};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Largest relay protocol answer read, in bytes.
const MAX_RELAY_RESPONSE: f64 = 64.0 * 1024.0;

/// POSTs to `relay + path`, with the relay cookie, `X-Canvas-Relay: 1`, an optional Bearer
/// token and an optional JSON body. Returns the JSON object of a 2xx answer.
pub(crate) async fn post(
    config: &Config,
    path: &str,
    body: Option<&JsValue>,
    bearer: Option<&str>,
) -> Result<JsValue, Error> {
    let url = concat(&[&config.relay.base, path]);
    let body = body.cloned().unwrap_or(JsValue::UNDEFINED);
    let pending = relay_post(&url, RELAY_HEADER, body, bearer, config.timeout_ms, MAX_RELAY_RESPONSE);
    // relayPost settles with a value or a failure number; it does not reject.
    let answer = JsFuture::from(pending).await.unwrap_or(JsValue::UNDEFINED);
    if let Some(code) = failure_code(&answer) {
        return Err(io_error(code, false));
    }
    let (status, json) = (get(&answer, "0").as_f64().unwrap_or(0.0) as u16, get(&answer, "1"));
    if (200..300).contains(&status) {
        return Some(json)
            .filter(JsValue::is_object)
            .ok_or_else(|| Error::new(ErrorCode::InvalidResponse, "the relay's answer is not a JSON object"));
    }
    let body = get(&json, "error")
        .as_string()
        .map(|error| ErrorBody { error, error_description: get(&json, "error_description").as_string() });
    let retry_after = get(&answer, "2").as_string();
    Err(error_from_relay(status, body.as_ref()).with_retry_after(retry_after.as_deref()))
}
