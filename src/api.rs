//! `auth.fetch` and `auth.paginate`: the Canvas API through the relay's `/api/v1` proxy.
//!
//! Deadlines and size caps (L15, S9): `paginate` reads each page itself, through the capped
//! reader and under the same deadline as the request. `fetch` hands the Response to the
//! caller, so its deadline covers the response head only: reading the body is the caller's to
//! bound (their `init.signal` stays attached to it) and the relay caps its size
//! (`RELAY_MAX_API_RESPONSE`). Keeping our timer on the body would abort a caller that reads it
//! later, even when it has fully arrived.

use crate::client::Inner;
use crate::error::Failure;
use crate::io::{api_request, async_iterable, attempt, failure_code, read_json, set_token, Deadline};
use crate::js::{get, object, promise, set, Js};
use crate::throttle::{self, Slot};
use canvas_oauth_core::{
    is_invalid_token, is_retryable_method, is_throttled, may_be_invalid_token, next_page_url, page_error,
    parse_retry_after, relay_api_url, retry_delay_ms, Error, ErrorCode, RELAY_HEADER,
};
use js_sys::{Math, Promise};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{Request, Response};

/// Largest answer the library reads itself (`paginate`'s pages, `graphql`'s answer), in bytes: the
/// relay's default `RELAY_MAX_API_RESPONSE`.
pub(crate) const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

fn api_url(inner: &Inner, path: &str) -> Result<String, Failure> {
    Ok(relay_api_url(&inner.config.relay.base, path)?)
}

/// The caller's request with the token; each attempt sends a copy of it.
fn request(url: &str, init: &JsValue, token: &str) -> Result<Request, Failure> {
    let request = api_request(url, init, token, RELAY_HEADER);
    match failure_code(&request) {
        Some(_) => Err(Error::new(ErrorCode::InvalidArgument, "init is not a valid RequestInit").into()),
        None => Ok(request.unchecked_into()),
    }
}

/// L13: the 401 that is Canvas refusing the token, read from a copy of the answer.
async fn refused_token(response: &Response, deadline: &Deadline) -> bool {
    if !may_be_invalid_token(response.status()) {
        return false;
    }
    let Ok(copy) = response.clone() else { return false };
    let Ok(Some(body)) = read_json(&copy, 16 * 1024, deadline).await else { return false };
    is_invalid_token(&Js(body))
}

pub(crate) async fn fetch(inner: &Rc<Inner>, path: &str, init: &JsValue) -> Result<Response, Failure> {
    send_api(inner, path, init).await.map(|(response, ..)| response)
}

/// The API call with the deadline still running and the slot held, for a caller that goes on to
/// read the body. L13: on a 401 "Invalid access token." one refresh and one retry, never a loop.
/// L18: a throttled GET or HEAD is retried within the back-off budget; other methods never.
pub(crate) async fn send_api(
    inner: &Rc<Inner>,
    path: &str,
    init: &JsValue,
) -> Result<(Response, Deadline, Slot), Failure> {
    let url = api_url(inner, path)?;
    let caller = if init.is_object() { get(init, "signal") } else { JsValue::UNDEFINED };
    let slot = throttle::acquire(inner, &caller).await?;
    let mut token = inner.access_token().await?;
    let template = request(&url, init, &token)?;
    let retryable = is_retryable_method(&template.method());
    let (mut refreshed, mut retries) = (false, 0);
    loop {
        let deadline = Deadline::start(inner.config.timeout_ms);
        let response = attempt(&template, &caller, &deadline).await?;
        throttle::note_quota(inner, &response);
        if !refreshed && refused_token(&response, &deadline).await {
            refreshed = true;
            token = inner.refresh(Some(token)).await?;
            set_token(&template, &token);
            continue;
        }
        let wait = Some(response.status()).filter(|s| retryable && is_throttled(*s)).and_then(|_| {
            let header = response.headers().get("Retry-After").ok().flatten();
            retry_delay_ms(inner.config.retry, retries, parse_retry_after(header.as_deref()), Math::random())
        });
        let Some(ms) = wait else { return Ok((response, deadline, slot)) };
        drop(deadline);
        retries += 1;
        throttle::back_off(ms, &caller).await?;
    }
}

/// The pages of a list, as an async iterator of each page's parsed JSON.
pub(crate) fn paginate(inner: Rc<Inner>, path: String) -> Result<JsValue, Failure> {
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
            let (response, deadline, _slot) = send_api(&inner, &path, &JsValue::UNDEFINED).await?;
            let header = |name: &str| response.headers().get(name).ok().flatten();
            if !response.ok() {
                return Err(page_error(response.status(), header("Retry-After").as_deref()).into());
            }
            let link = header("Link").unwrap_or_default();
            *next.borrow_mut() = next_page_url(&link, &inner.config.relay.base, &inner.config.relay.origin)?;
            // S9: the page is read capped and under the request's deadline.
            let page = read_json(&response, MAX_ANSWER_BYTES, &deadline)
                .await?
                .ok_or_else(|| Error::new(ErrorCode::InvalidResponse, "a page is not JSON"))?;
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
