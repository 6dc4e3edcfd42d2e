//! The browser I/O of `src/io.js`, each call one promise: a relay POST, an API attempt, a capped
//! JSON body read, a deadline, a sleep, a Web Lock. The failures it reports as numbers become typed errors here.

use crate::error::Failure;
use canvas_oauth_core::{Error, ErrorCode};
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Request, Response};

#[wasm_bindgen(module = "/src/io.js")]
extern "C" {
    fn deadline(ms: f64) -> AbortController;
    #[wasm_bindgen(js_name = clearDeadline)]
    fn clear_deadline(controller: &AbortController);
    fn expired(controller: &AbortController) -> bool;
    #[wasm_bindgen(js_name = readJson)]
    fn read_json_js(response: &Response, cap: f64) -> Promise;
    #[wasm_bindgen(js_name = relayPost)]
    pub(crate) fn relay_post(
        url: &str,
        header: &str,
        body: JsValue,
        bearer: Option<&str>,
        ms: f64,
        cap: f64,
    ) -> Promise;
    #[wasm_bindgen(js_name = apiRequest)]
    pub(crate) fn api_request(url: &str, init: &JsValue, token: &str, header: &str) -> JsValue;
    #[wasm_bindgen(js_name = setToken)]
    pub(crate) fn set_token(request: &Request, token: &str);
    #[wasm_bindgen(js_name = apiAttempt)]
    fn api_attempt(template: &Request, caller: &JsValue, controller: &AbortController) -> Promise;
    /// Resolves after `ms`, or at once when `signal` (if an AbortSignal) aborts.
    #[wasm_bindgen(js_name = sleep)]
    pub(crate) fn timer(ms: f64, signal: &JsValue) -> Promise;
    /// The Web Lock `name` held while `task(waited)`'s promise runs: `[its value]`, or null
    /// when no lock could be asked for and the task did not run.
    #[wasm_bindgen(js_name = withLock)]
    pub(crate) fn with_lock(name: &str, task: &js_sys::Function) -> Promise;
    #[wasm_bindgen(js_name = asyncIterable)]
    pub(crate) fn async_iterable(pages: JsValue) -> JsValue;
    #[wasm_bindgen(js_name = graphqlInit)]
    pub(crate) fn graphql_init(query: &JsValue, variables: &JsValue) -> JsValue;
}

/// What `io.js` answers with instead of a value (its constants of the same names; the others
/// are READ_FAILED 3, UNREACHABLE 5 and BAD_INIT 6).
const TOO_LARGE: u32 = 1;
const NOT_UTF8: u32 = 2;
const TIMED_OUT: u32 = 4;
const NOT_JSON: u32 = 7;

/// A failure number of `io.js` as the typed error; `READ_FAILED` and `UNREACHABLE` (3, 5) both
/// mean the relay could not be read, unless the deadline had passed.
pub(crate) fn io_error(code: u32, expired: bool) -> Error {
    match code {
        TOO_LARGE => Error::new(ErrorCode::InvalidResponse, "the relay's answer is too large"),
        NOT_UTF8 => Error::new(ErrorCode::InvalidResponse, "the relay's answer is not UTF-8"),
        _ if expired || code == TIMED_OUT => Error::new(ErrorCode::RelayTimeout, "the relay did not answer in time"),
        _ => Error::new(ErrorCode::RelayUnreachable, "the relay could not be reached"),
    }
}

/// A number `io.js` answered with instead of a value.
pub(crate) fn failure_code(value: &JsValue) -> Option<u32> {
    value.as_f64().map(|n| n as u32)
}

/// Aborts its controller after a delay unless dropped first.
pub(crate) struct Deadline(pub AbortController);

impl Deadline {
    pub fn start(timeout_ms: f64) -> Self {
        Self(deadline(timeout_ms))
    }

    pub fn expired(&self) -> bool {
        expired(&self.0)
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        clear_deadline(&self.0);
    }
}

/// Reads a response body as JSON (UTF-8, at most `cap` bytes, refused without buffering more):
/// `None` when it is not JSON; a read cut short is a timeout when `deadline` has passed.
pub(crate) async fn read_json(response: &Response, cap: usize, deadline: &Deadline) -> Result<Option<JsValue>, Error> {
    let answer = JsFuture::from(read_json_js(response, cap as f64)).await.unwrap_or(JsValue::UNDEFINED);
    match failure_code(&answer) {
        Some(NOT_JSON) => Ok(None),
        Some(code) => Err(io_error(code, deadline.expired())),
        None => Ok(Some(crate::js::get(&answer, "0"))),
    }
}

/// One API attempt under `deadline`: the Response, a typed timeout or unreachable error, or
/// the caller's own abort (or what `Request` threw for its signal) as it was thrown.
pub(crate) async fn attempt(template: &Request, caller: &JsValue, deadline: &Deadline) -> Result<Response, Failure> {
    let answer = JsFuture::from(api_attempt(template, caller, &deadline.0)).await?;
    match failure_code(&answer) {
        Some(code) => Err(io_error(code, deadline.expired()).into()),
        None => Ok(answer.unchecked_into()),
    }
}

/// Resolves after `ms` milliseconds, or earlier when `signal` aborts.
pub(crate) async fn sleep(ms: f64, signal: &JsValue) {
    let _ = JsFuture::from(timer(ms, signal)).await;
}
