//! Canvas throttling in a real browser (L18), against the throttled stand-in of
//! scripts/with-servers.sh: a bucket of 3 units leaking 2 per second, each request reserving 1
//! while in flight (100 ms) and costing 3 (one request fills it for about a second), and its relay
//! (Retry-After 1 s).
#![cfg(target_arch = "wasm32")]

mod support;

use canvas_oauth::CanvasAuth;
use js_sys::{Array, Promise, JSON};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{RequestInit, Response};

wasm_bindgen_test_configure!(run_in_browser);

const CANVAS: &str = match option_env!("CANVAS_TEST_THROTTLED_STANDIN") {
    Some(v) => v,
    None => "http://127.0.0.1:17106",
};
const THROTTLED_RELAY: &str = match option_env!("CANVAS_TEST_THROTTLED_RELAY") {
    Some(v) => v,
    None => "http://127.0.0.1:17107",
};

async fn call(url: &str, method: &str, body: Option<&JsValue>) -> (u16, JsValue) {
    call_as(url, method, body, None).await
}

async fn call_as(url: &str, method: &str, body: Option<&JsValue>, token: Option<&str>) -> (u16, JsValue) {
    let init = RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().unwrap();
    if let Some(token) = token {
        headers.set("Authorization", &format!("Bearer {token}")).unwrap();
    }
    if let Some(body) = body {
        headers.set("Content-Type", "application/json").unwrap();
        init.set_body(&JSON::stringify(body).unwrap());
    }
    init.set_headers(&headers);
    let r: Response =
        JsFuture::from(web_sys::window().unwrap().fetch_with_str_and_init(url, &init)).await.unwrap().unchecked_into();
    let text = JsFuture::from(r.text().unwrap()).await.unwrap().as_string().unwrap();
    (r.status(), JSON::parse(&text).unwrap_or(JsValue::NULL))
}

/// A CanvasAuth on the throttled pair, signed in (a fresh token: an empty bucket).
async fn signed_in(extra: &[(&str, JsValue)]) -> CanvasAuth {
    let mut all = vec![("canvasUrl", CANVAS.into()), ("relayUrl", THROTTLED_RELAY.into())];
    all.extend(extra.iter().cloned());
    let auth = auth(&all);
    let url = auth.authorize_url(None).unwrap();
    let body = obj(&[
        ("client_id", CLIENT_ID.into()),
        ("user_id", 1.into()),
        ("code_challenge", query_param(&url, "code_challenge").unwrap().into()),
        ("code_challenge_method", "S256".into()),
    ]);
    let (_, code) = call(&format!("{CANVAS}/__test/code"), "POST", Some(&body)).await;
    let code = get(&code, "code").as_string().unwrap();
    let state = query_param(&url, "state").unwrap();
    let callback = format!("{}?code={code}&state={state}", redirect_uri());
    wait(auth.handle_callback(Some(callback.into()))).await.unwrap();
    auth
}

async fn canvas_stats() -> JsValue {
    call(&format!("{CANVAS}/__test/stats"), "GET", None).await.1
}

async fn api_calls() -> u32 {
    get(&canvas_stats().await, "api_requests").as_f64().unwrap() as u32
}

async fn relay_refreshes() -> u32 {
    get(&call(&format!("{THROTTLED_RELAY}/__test/stats"), "GET", None).await.1, "refresh").as_f64().unwrap() as u32
}

fn fetch(auth: &CanvasAuth, path: &str, init: Option<JsValue>) -> Promise {
    auth.fetch(path.into(), init)
}

async fn status(promise: Promise) -> u16 {
    wait(promise).await.unwrap().unchecked_into::<Response>().status()
}

/// Fills the token's bucket with GETs straight to the relay (not through the library, which would
/// retry) until it answers 503: for about a second every call with this token is refused.
async fn exhaust(auth: &CanvasAuth) {
    let token = wait(auth.access_token()).await.unwrap().as_string().unwrap();
    for _ in 0..10 {
        let (status, _) = call_as(&format!("{THROTTLED_RELAY}/api/v1/users/self"), "GET", None, Some(&token)).await;
        if status == 503 {
            return;
        }
    }
    panic!("the bucket never filled");
}

#[wasm_bindgen_test]
async fn throttled_pages_arrive_complete_and_in_order_and_the_session_survives() {
    let auth = signed_in(&[]).await;
    let refreshes = relay_refreshes().await;
    let before = api_calls().await;
    let iterator = auth.paginate("/api/v1/courses?per_page=2".into()).unwrap();
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let step = wait(get(&iterator, "next").unchecked_into::<js_sys::Function>().call0(&iterator).unwrap().into())
            .await
            .unwrap_or_else(|e| panic!("a page failed: {:?}", get(&e, "message")));
        if get(&step, "done").is_truthy() {
            break;
        }
        pages += 1;
        for course in Array::from(&get(&step, "value")).iter() {
            ids.push(get(&course, "id").as_f64().unwrap() as u32);
        }
    }
    assert_eq!(ids, (101..=112).collect::<Vec<_>>(), "every course once, in order");
    let calls = api_calls().await - before;
    assert!(calls > pages, "some pages were throttled and retried: {calls} calls for {pages} pages");
    assert!(!auth.session().is_null(), "still signed in");
    assert_eq!(relay_refreshes().await, refreshes, "throttling never refreshes");
}

#[wasm_bindgen_test]
async fn a_throttled_get_is_retried_and_a_post_or_delete_never() {
    let auth = signed_in(&[]).await;
    exhaust(&auth).await;
    let before = api_calls().await;
    assert_eq!(status(fetch(&auth, "/api/v1/users/self", None)).await, 200, "retried until the bucket had room");
    assert!(api_calls().await - before >= 2, "the GET was sent again");
    for method in ["POST", "DELETE"] {
        exhaust(&auth).await;
        let before = api_calls().await;
        let init = obj(&[("method", method.into())]);
        assert_eq!(status(fetch(&auth, "/api/v1/courses/101/discussion_topics", Some(init))).await, 503, "{method}");
        assert_eq!(api_calls().await - before, 1, "{method} reached Canvas once: never retried");
    }
    assert!(!auth.session().is_null(), "still signed in");
}

#[wasm_bindgen_test]
async fn rate_limited_carries_retry_after_and_rate_limit_the_quota() {
    let auth = signed_in(&[("retry", false.into())]).await;
    assert!(auth.rate_limit().is_null(), "no API answer yet");
    let t0 = js_sys::Date::now();
    assert_eq!(status(fetch(&auth, "/api/v1/users/self", None)).await, 200);
    let quota = auth.rate_limit();
    assert_eq!(get(&quota, "cost").as_f64(), Some(3.0));
    let remaining = get(&quota, "remaining").as_f64().unwrap();
    assert!((0.0..3.0).contains(&remaining), "{remaining}");
    let at = get(&quota, "at").as_f64().unwrap();
    assert!(at >= t0 && at <= js_sys::Date::now());
    exhaust(&auth).await;
    assert_eq!(status(fetch(&auth, "/api/v1/users/self", None)).await, 503, "retry: false hands the 503 back");
    let remaining = get(&auth.rate_limit(), "remaining").as_f64().unwrap();
    assert!(remaining < 1.0, "the refusal's quota: {remaining}");
    let iterator = auth.paginate("/api/v1/courses".into()).unwrap();
    let next = get(&iterator, "next").unchecked_into::<js_sys::Function>();
    let error = wait(next.call0(&iterator).unwrap().into()).await.unwrap_err();
    assert_eq!(code_of(&error), "rate_limited");
    assert_eq!(get(&error, "retryAfter").as_f64(), Some(1.0), "the relay's Retry-After");
    assert!(!auth.session().is_null(), "still signed in");
}

#[wasm_bindgen_test]
async fn calls_in_flight_are_capped_and_an_aborted_queued_call_never_runs() {
    let peak = || async { get(&canvas_stats().await, "api_peak_in_flight").as_f64().unwrap() as u32 };
    let reset_url = format!("{CANVAS}/__test/throttle/reset");
    for (cap, expect_over) in [(2, false), (64, true)] {
        let auth = signed_in(&[("maxInFlight", cap.into())]).await;
        call(&reset_url, "POST", None).await;
        // Distinct URLs: Chrome's cache lock would serialise identical GETs by itself.
        let calls: Array = (0..5).map(|i| fetch(&auth, &format!("/api/v1/users/self?n={i}"), None)).collect();
        wait(Promise::all(&calls)).await.unwrap();
        let seen = peak().await;
        if expect_over {
            assert!(seen > 2, "control: without the cap the calls overlap ({seen})");
        } else {
            assert_eq!(seen, 2, "at most maxInFlight at once, and the cap is reached");
        }
    }
    // One slot: a queued call that is aborted leaves the queue without reaching Canvas.
    let auth = signed_in(&[("maxInFlight", 1.into()), ("retry", false.into())]).await;
    let before = api_calls().await;
    let first = fetch(&auth, "/api/v1/users/self", None);
    let controller = web_sys::AbortController::new().unwrap();
    let queued = fetch(&auth, "/api/v1/users/self", Some(obj(&[("signal", controller.signal().into())])));
    let after = fetch(&auth, "/api/v1/users/self", None);
    sleep(30).await; // both wait behind the first call (100 ms) by now
    controller.abort();
    let error = wait(queued).await.unwrap_err();
    assert_eq!(get(&error, "name").as_string().as_deref(), Some("AbortError"));
    assert_eq!(status(first).await, 200);
    assert!([200, 503].contains(&status(after).await), "the slot went on to the next call");
    assert_eq!(api_calls().await - before, 2, "the aborted call never ran");
}
