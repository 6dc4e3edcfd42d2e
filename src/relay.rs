//! Calls to the relay (protocol v1): a timeout on every call via AbortController and a cap on
//! the response size (L15). Nothing here retries; callers decide (a code exchange never is).

use crate::config::Config;
use crate::error::window;
use crate::js::get;
use canvas_oauth_core::{concat, error_from_relay, parse_u64, Error, ErrorBody, ErrorCode, RELAY_HEADER};
use js_sys::{Promise, Uint8Array, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, ReadableStreamDefaultReader, RequestCredentials, RequestInit, Response};

/// Largest relay protocol answer read, in bytes.
const MAX_RELAY_RESPONSE: usize = 64 * 1024;

/// Aborts its controller after a delay unless dropped first.
pub(crate) struct Deadline {
    pub controller: AbortController,
    timer: i32,
    _on_timeout: Closure<dyn FnMut()>,
}

impl Deadline {
    pub fn start(timeout_ms: f64) -> Result<Self, JsValue> {
        let controller = AbortController::new()?;
        let abort = controller.clone();
        let on_timeout = Closure::<dyn FnMut()>::new(move || abort.abort());
        let timer = window()?.set_timeout_with_callback_and_timeout_and_arguments_0(
            on_timeout.as_ref().unchecked_ref(),
            timeout_ms as i32,
        )?;
        Ok(Self { controller, timer, _on_timeout: on_timeout })
    }

    pub fn expired(&self) -> bool {
        self.controller.signal().aborted()
    }

    /// The error for a failed fetch: our own abort is a timeout, anything else unreachable.
    pub fn fetch_error(&self) -> Error {
        if self.expired() {
            Error::new(ErrorCode::RelayTimeout, "the relay did not answer in time")
        } else {
            Error::new(ErrorCode::RelayUnreachable, "the relay could not be reached")
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_timeout_with_handle(self.timer);
        }
    }
}

/// POSTs to `relay + path`, with the relay cookie, `X-Canvas-Relay: 1`, an optional Bearer
/// token and an optional JSON body. Returns the JSON object of a 2xx answer.
pub(crate) async fn post(
    config: &Config,
    path: &str,
    body: Option<&JsValue>,
    bearer: Option<&str>,
) -> Result<JsValue, Error> {
    let internal = |_| Error::new(ErrorCode::RelayError, "the request could not be built");
    let deadline = Deadline::start(config.timeout_ms).map_err(internal)?;
    let headers = Headers::new().map_err(internal)?;
    headers.set(RELAY_HEADER, "1").map_err(internal)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_credentials(RequestCredentials::Include);
    init.set_signal(Some(&deadline.controller.signal()));
    if let Some(token) = bearer {
        headers.set("Authorization", &concat(&["Bearer ", token])).map_err(internal)?;
    }
    if let Some(body) = body {
        headers.set("Content-Type", "application/json").map_err(internal)?;
        let text = JSON::stringify(body).map_err(internal)?;
        init.set_body(&text);
    }
    init.set_headers(&headers);

    let url = concat(&[&config.relay, path]);
    let window = window().map_err(|_| deadline.fetch_error())?;
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|_| deadline.fetch_error())?
        .unchecked_into();
    let text = read_capped(&response, MAX_RELAY_RESPONSE, &deadline).await?;
    let json = JSON::parse(&text).ok().filter(|v| v.is_object() && !js_sys::Array::is_array(v));
    if response.ok() {
        return json.ok_or_else(|| Error::new(ErrorCode::InvalidResponse, "the relay's answer is not a JSON object"));
    }
    let body = json.and_then(|v| {
        let error = get(&v, "error").as_string()?;
        Some(ErrorBody { error, error_description: get(&v, "error_description").as_string() })
    });
    let retry_after = response.headers().get("Retry-After").ok().flatten();
    Err(error_from_relay(response.status(), body.as_ref()).with_retry_after(retry_after.as_deref()))
}

/// Reads a response body as UTF-8 text, refusing more than `cap` bytes without buffering them.
pub(crate) async fn read_capped(response: &Response, cap: usize, deadline: &Deadline) -> Result<String, Error> {
    let too_large = || Error::new(ErrorCode::InvalidResponse, "the relay's answer is too large");
    let declared = response
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| parse_u64(&v))
        .and_then(|n| usize::try_from(n).ok());
    if declared.is_some_and(|n| n > cap) {
        return Err(too_large());
    }
    let Some(stream) = response.body() else { return Ok(String::new()) };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|_| deadline.fetch_error())?;
        if get(&chunk, "done").is_truthy() {
            break;
        }
        let part: Uint8Array = get(&chunk, "value").unchecked_into();
        if bytes.len() + part.length() as usize > cap {
            let _: Promise = reader.cancel();
            return Err(too_large());
        }
        bytes.extend_from_slice(&part.to_vec());
    }
    String::from_utf8(bytes).map_err(|_| Error::new(ErrorCode::InvalidResponse, "the relay's answer is not UTF-8"))
}
