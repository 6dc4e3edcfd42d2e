//! `auth.fetch` and `auth.paginate`: the Canvas API through the relay's `/api/v1` proxy.
//!
//! Deadlines and size caps (L15, S9): `paginate` reads each page itself, through the capped
//! reader and under the same deadline as the request. `fetch` hands the Response to the
//! caller, so its deadline covers the response head only: reading the body is the caller's to
//! bound (their `init.signal` stays attached to it) and the relay caps its size
//! (`RELAY_MAX_API_RESPONSE`). Keeping our timer on the body would abort a caller that reads it
//! later, even when it has fully arrived.

use crate::client::Inner;
use crate::error::{js_error, window};
use crate::js::{get, object, promise, set};
use crate::relay::{read_capped, Deadline};
use canvas_oauth_core::{concat, decimal, is_api_path, next_link, Error, ErrorCode, RELAY_HEADER};
use js_sys::{Object, Promise, JSON};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// Canvas's answer for a token it does not accept, which includes an hourly-expired one
/// (docs/canvas.md §6.3): the only 401 that is worth one refresh.
const INVALID_TOKEN: &str = "Invalid access token.";
/// Largest answer the library reads itself (`paginate`'s pages, `graphql`'s answer), in bytes: the
/// relay's default `RELAY_MAX_API_RESPONSE`.
pub(crate) const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

#[wasm_bindgen(
    inline_js = "export function asyncIterable(it) { it[Symbol.asyncIterator] = function () { return this; }; return it; }"
)]
extern "C" {
    #[wasm_bindgen(js_name = asyncIterable)]
    fn async_iterable(iterator: JsValue) -> JsValue;
}

/// The relay URL for a Canvas API path (`/api/v1/...`) or a relay URL from a `Link` header.
/// Anything else — another origin, another relay path, dot segments — is refused: the token
/// goes only to the relay's API proxy.
fn api_url(inner: &Inner, path: &str) -> Result<String, JsValue> {
    let relay = &inner.config.relay;
    let api_path = path.strip_prefix(relay.as_str()).unwrap_or(path);
    if is_api_path(api_path) {
        return Ok(concat(&[relay, api_path]));
    }
    Err(js_error(Error::new(ErrorCode::InvalidArgument, "path must be a Canvas API path such as /api/v1/users/self")))
}

/// The caller's signal and our deadline together (`AbortSignal.any`), so a caller's signal
/// does not switch the timeout off (L15). Engines without `AbortSignal.any` keep the caller's.
fn combined_signal(caller: &JsValue, deadline: &Deadline) -> JsValue {
    let ours: JsValue = deadline.controller.signal().into();
    if caller.is_undefined() || caller.is_null() {
        return ours;
    }
    let any = get(&get(&js_sys::global(), "AbortSignal"), "any");
    match any.dyn_ref::<js_sys::Function>() {
        Some(any) => any.call1(&JsValue::NULL, &js_sys::Array::of2(caller, &ours)).unwrap_or_else(|_| caller.clone()),
        None => caller.clone(),
    }
}

/// A request to `url` with the caller's `init`, the token, and a signal that includes the deadline.
fn request(url: &str, init: &JsValue, deadline: &Deadline, token: &str) -> Result<Request, JsValue> {
    let init: RequestInit =
        Object::assign(&Object::new(), &Object::from(if init.is_object() { init.clone() } else { object() }))
            .unchecked_into();
    set(&init, "signal", combined_signal(&get(&init, "signal"), deadline));
    let request = Request::new_with_str_and_init(url, &init)
        .map_err(|_| js_error(Error::new(ErrorCode::InvalidArgument, "init is not a valid RequestInit")))?;
    request.headers().set("Authorization", &concat(&["Bearer ", token]))?;
    request.headers().set(RELAY_HEADER, "1")?;
    Ok(request)
}

async fn send(request: &Request, deadline: &Deadline, caller_signal: &JsValue) -> Result<Response, JsValue> {
    match JsFuture::from(window()?.fetch_with_request(request)).await {
        Ok(response) => Ok(response.unchecked_into()),
        // The caller's own abort keeps its AbortError; ours is a relay_timeout.
        Err(error) if !deadline.expired() && get(caller_signal, "aborted").is_truthy() => Err(error),
        Err(_) => Err(js_error(deadline.fetch_error())),
    }
}

async fn is_invalid_token(response: &Response, deadline: &Deadline) -> bool {
    if response.status() != 401 {
        return false;
    }
    let Ok(copy) = response.clone() else { return false };
    let Ok(text) = read_capped(&copy, 16 * 1024, deadline).await else { return false };
    let Ok(body) = JSON::parse(&text) else { return false };
    get(&get(&get(&body, "errors"), "0"), "message").as_string().as_deref() == Some(INVALID_TOKEN)
}

pub(crate) async fn fetch(inner: &Rc<Inner>, path: &str, init: &JsValue) -> Result<Response, JsValue> {
    send_api(inner, path, init).await.map(|(response, _deadline)| response)
}

/// The API call with the deadline still running, for a caller that goes on to read the body.
pub(crate) async fn send_api(inner: &Rc<Inner>, path: &str, init: &JsValue) -> Result<(Response, Deadline), JsValue> {
    let url = api_url(inner, path)?;
    let caller_signal = if init.is_object() { get(init, "signal") } else { JsValue::UNDEFINED };
    let token = inner.access_token().await?;
    let deadline = Deadline::start(inner.config.timeout_ms)?;
    let first = request(&url, init, &deadline, &token)?;
    // Kept unsent for the retry: a Request's body can be read only once.
    let spare = first.clone()?;
    let response = send(&first, &deadline, &caller_signal).await?;
    if !is_invalid_token(&response, &deadline).await {
        return Ok((response, deadline));
    }
    drop(deadline);
    // L13: refresh once, retry once, never loop. The retry gets its own deadline.
    let token = inner.refresh(Some(token)).await?;
    let deadline = Deadline::start(inner.config.timeout_ms)?;
    let retry_init = RequestInit::new();
    set(&retry_init, "signal", combined_signal(&caller_signal, &deadline));
    let retry = Request::new_with_request_and_init(&spare, &retry_init)?;
    retry.headers().set("Authorization", &concat(&["Bearer ", &token]))?;
    let response = send(&retry, &deadline, &caller_signal).await?;
    Ok((response, deadline))
}

/// The pages of a list, as an async iterator of each page's parsed JSON.
pub(crate) fn paginate(inner: Rc<Inner>, path: String) -> Result<JsValue, JsValue> {
    api_url(&inner, &path)?;
    Ok(async_iterable(Pages { inner, next: Rc::new(RefCell::new(Some(path))) }.into()))
}

#[wasm_bindgen]
pub struct Pages {
    inner: Rc<Inner>,
    next: Rc<RefCell<Option<String>>>,
}

#[wasm_bindgen]
impl Pages {
    /// The async-iterator protocol: `{ value: page, done: false }`, then `{ done: true }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<unknown>>")]
    pub fn next(&self) -> Promise {
        let inner = self.inner.clone();
        let next = self.next.clone();
        promise(async move {
            let result = object();
            let Some(path) = next.borrow_mut().take() else {
                set(&result, "done", true);
                set(&result, "value", JsValue::UNDEFINED);
                return Ok(result);
            };
            let (response, deadline) = send_api(&inner, &path, &JsValue::UNDEFINED).await?;
            if !response.ok() {
                let code = match response.status() {
                    401 => ErrorCode::NotSignedIn,
                    429 | 503 => ErrorCode::RateLimited,
                    _ => ErrorCode::RelayError,
                };
                return Err(js_error(Error::new(
                    code,
                    concat(&["Canvas answered HTTP ", &decimal(response.status().into()), " for a page"]),
                )));
            }
            let link = response.headers().get("Link").ok().flatten().unwrap_or_default();
            if let Some(mut url) = next_link(&link) {
                // The relay writes path-absolute links unless it knows its public URL.
                if url.starts_with('/') && !url.starts_with("//") {
                    url = concat(&[inner.config.relay_origin.as_str(), &url]);
                }
                api_url(&inner, &url).map_err(|_| {
                    js_error(Error::new(ErrorCode::InvalidResponse, "a Link header points outside the relay"))
                })?;
                *next.borrow_mut() = Some(url);
            }
            // S9: the page is read capped and under the request's deadline.
            let text = read_capped(&response, MAX_ANSWER_BYTES, &deadline).await.map_err(js_error)?;
            let page = JSON::parse(&text)
                .map_err(|_| js_error(Error::new(ErrorCode::InvalidResponse, "a page is not JSON")))?;
            set(&result, "done", false);
            set(&result, "value", page);
            Ok(result)
        })
    }

    /// Ends the iteration early (`break` in `for await`).
    #[wasm_bindgen(js_name = "return", unchecked_return_type = "Promise<IteratorResult<unknown>>")]
    pub fn finish(&self) -> Promise {
        self.next.borrow_mut().take();
        let result = object();
        set(&result, "done", true);
        Promise::resolve(&result)
    }
}
