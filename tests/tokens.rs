//! The signed-in session in a real browser: refresh, API calls, restore, sign-out (L11–L15).
//! The stand-in issues 4-second access tokens (scripts/with-servers.sh).
#![cfg(target_arch = "wasm32")]

mod support;

use js_sys::{Array, Function, Promise};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Milliseconds until a fresh stand-in token expires, plus slack.
const PAST_EXPIRY_MS: i32 = 4_600;

fn no_margin() -> [(&'static str, JsValue); 1] {
    [("refreshMarginSeconds", 0.into())]
}

async fn token(auth: &canvas_oauth::CanvasAuth) -> String {
    wait(auth.access_token())
        .await
        .unwrap_or_else(|e| panic!("accessToken failed: {:?}", get(&e, "message")))
        .as_string()
        .unwrap()
}

/// Each onChange event as (`type`, `fromOtherTab`), in order.
type Events = std::rc::Rc<std::cell::RefCell<Vec<(String, bool)>>>;

/// Records every onChange event; returns the record and the unsubscribe function.
fn record_events(auth: &canvas_oauth::CanvasAuth) -> (Events, JsValue) {
    let events = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = events.clone();
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        sink.borrow_mut()
            .push((get(&event, "type").as_string().unwrap(), get(&event, "fromOtherTab").as_bool().unwrap()));
    });
    let unsubscribe = auth.on_change(listener.into_js_value()).unwrap();
    (events, unsubscribe)
}

#[wasm_bindgen_test]
async fn twenty_concurrent_callers_share_one_refresh() {
    let auth = auth(&no_margin());
    sign_in(&auth).await;
    let first = token(&auth).await;
    sleep(PAST_EXPIRY_MS).await;
    reset_relay().await;
    let calls: Array = (0..20).map(|_| JsValue::from(auth.access_token())).collect();
    let tokens = JsFuture::from(Promise::all(&calls)).await.unwrap();
    let tokens: Vec<String> = Array::from(&tokens).iter().map(|t| t.as_string().unwrap()).collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]), "every caller got the same token");
    assert_ne!(tokens[0], first, "a new token after expiry");
    assert_eq!(relay_count("refresh").await, 1, "exactly one refresh reached the relay");
}

#[wasm_bindgen_test]
async fn api_calls_go_through_the_relay_with_the_token() {
    let auth = auth(&[]);
    sign_in(&auth).await;
    reset_relay().await;
    let response: web_sys::Response =
        wait(auth.fetch("/api/v1/users/self".into(), None)).await.unwrap().unchecked_into();
    assert_eq!(response.status(), 200);
    let user = JsFuture::from(response.json().unwrap()).await.unwrap();
    assert_eq!(get(&user, "id").as_f64(), Some(1.0));
    assert_eq!(relay_count("api").await, 1);
    // The token goes only to the relay: other URLs are refused before any request.
    for bad in [
        "https://evil.example/api/v1/users/self",
        "/login/oauth2/token",
        "//evil.example/api/v1/x",
        "api/v1/users/self",
        "/api/v1/../../token",
        "/api/v1/%2e%2e/refresh",
    ] {
        assert_eq!(code_of(&wait(auth.fetch(bad.into(), None)).await.unwrap_err()), "invalid_argument", "{bad}");
    }
    assert_eq!(relay_count("api").await, 1);
}

#[wasm_bindgen_test]
async fn a_401_invalid_token_refreshes_once_and_retries_once() {
    let auth = auth(&[]);
    sign_in(&auth).await;
    let old = token(&auth).await;
    // Another client of the same grant refreshes: Canvas kills `old` at once (§7.6).
    let (status, _) = relay_post("/refresh", None, JsValue::NULL).await;
    assert_eq!(status, 200);
    reset_relay().await;
    let response: web_sys::Response =
        wait(auth.fetch("/api/v1/users/self".into(), None)).await.unwrap().unchecked_into();
    assert_eq!(response.status(), 200, "retried with a fresh token");
    assert_eq!(relay_count("api").await, 2, "the failed call and one retry");
    assert_eq!(relay_count("refresh").await, 1);
    assert_ne!(token(&auth).await, old);
}

#[wasm_bindgen_test]
async fn a_403_never_refreshes_or_signs_out() {
    let auth = auth(&[]);
    sign_in(&auth).await;
    reset_relay().await;
    // The relay allows DELETE only under /api/v1/users/self/favorites/ (scripts/with-servers.sh): the
    // cross-origin preflight passes (it lists the allow-list's methods) and the relay answers 403.
    let init = obj(&[("method", "DELETE".into())]);
    let response: web_sys::Response =
        wait(auth.fetch("/api/v1/courses/101".into(), Some(init))).await.unwrap().unchecked_into();
    assert_eq!(response.status(), 403);
    assert_eq!(relay_count("refresh").await, 0);
    assert!(!auth.session().is_null(), "still signed in");
}

#[wasm_bindgen_test]
async fn paginate_follows_link_headers_through_the_relay() {
    let auth = auth(&[]);
    sign_in(&auth).await;
    let iterator = auth.paginate("/api/v1/courses?per_page=5".into()).unwrap();
    let next: Function = get(&iterator, "next").unchecked_into();
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let step = JsFuture::from(next.call0(&iterator).unwrap().unchecked_into::<Promise>()).await.unwrap();
        if get(&step, "done").as_bool().unwrap() {
            break;
        }
        pages += 1;
        for course in Array::from(&get(&step, "value")).iter() {
            ids.push(get(&course, "id").as_f64().unwrap() as u32);
        }
        assert!(pages < 10, "runaway pagination");
    }
    assert_eq!(pages, 3, "12 courses, 5 per page");
    assert_eq!(ids, (101..=112).collect::<Vec<_>>());
    // It is an async iterable for `for await`.
    let symbol = js_sys::Symbol::async_iterator();
    assert!(js_sys::Reflect::get(&iterator, &symbol).unwrap().is_function());
}

#[wasm_bindgen_test]
async fn restore_asks_open_tabs_before_using_the_cookie() {
    let open_tab = auth(&[]);
    sign_in(&open_tab).await;
    let tab_token = token(&open_tab).await;
    reset_relay().await;
    // A second instance stands for a newly opened tab: an open tab answers, no refresh is made
    // (a refresh would kill the open tab's token).
    let new_tab = auth(&[]);
    let session = wait(new_tab.restore()).await.unwrap();
    assert_eq!(get(&get(&session, "user"), "id").as_f64(), Some(1.0));
    assert_eq!(token(&new_tab).await, tab_token);
    assert_eq!(relay_count("refresh").await, 0);
    // With no tab open (the page was reloaded), the cookie restores it through one refresh.
    drop(open_tab);
    drop(new_tab);
    let reloaded = auth(&[]);
    let session = wait(reloaded.restore()).await.unwrap();
    assert_eq!(get(&get(&session, "user"), "id").as_f64(), Some(1.0));
    assert_eq!(relay_count("refresh").await, 1);
}

#[wasm_bindgen_test]
async fn a_refresh_in_one_tab_reaches_the_other() {
    let a = auth(&no_margin());
    sign_in(&a).await;
    let b = auth(&no_margin());
    wait(b.restore()).await.unwrap();
    let (events, _unsubscribe) = record_events(&b);
    sleep(PAST_EXPIRY_MS).await;
    reset_relay().await;
    let new_a = token(&a).await;
    sleep(50).await;
    assert_eq!(token(&b).await, new_a, "b uses the token a refreshed, without refreshing itself");
    assert_eq!(relay_count("refresh").await, 1);
    assert!(events.borrow().contains(&("refreshed".to_string(), true)));
}

#[wasm_bindgen_test]
async fn sign_out_revokes_and_reaches_other_tabs() {
    let a = auth(&[]);
    sign_in(&a).await;
    let b = auth(&[]);
    wait(b.restore()).await.unwrap();
    let (events_a, _ua) = record_events(&a);
    let (events_b, _ub) = record_events(&b);
    reset_relay().await;
    let result = wait(a.sign_out(Some(obj(&[("expireSessions", true.into())])))).await.unwrap();
    assert!(result.is_object());
    assert_eq!(relay_count("revoke").await, 1);
    assert!(a.session().is_null());
    sleep(50).await;
    assert!(b.session().is_null(), "the other tab signed out too");
    assert_eq!(*events_a.borrow(), vec![("signed-out".to_string(), false)]);
    assert_eq!(*events_b.borrow(), vec![("signed-out".to_string(), true)]);
    assert_eq!(code_of(&wait(a.access_token()).await.unwrap_err()), "not_signed_in");
    // The cookie is gone: a reload finds no session.
    let reloaded = auth(&[]);
    assert!(wait(reloaded.restore()).await.unwrap().is_null());
}

#[wasm_bindgen_test]
async fn a_dead_grant_ends_the_session() {
    let auth = auth(&no_margin());
    sign_in(&auth).await;
    let (events, _u) = record_events(&auth);
    // The user revokes the app in Canvas: here, a revoke through the relay behind our back.
    let current = token(&auth).await;
    let (status, _) = relay_post("/revoke", Some(&current), obj(&[])).await;
    assert_eq!(status, 200);
    sleep(PAST_EXPIRY_MS).await;
    let error = wait(auth.access_token()).await.unwrap_err();
    assert_eq!(code_of(&error), "invalid_grant");
    assert!(auth.session().is_null());
    assert_eq!(events.borrow().last().cloned(), Some(("signed-out".to_string(), false)));
}

#[wasm_bindgen_test]
async fn web_session_url_comes_from_canvas() {
    let auth = auth(&[]);
    sign_in(&auth).await;
    let url = wait(auth.web_session_url(Some(format!("{STANDIN}/courses").into()))).await.unwrap().as_string().unwrap();
    assert!(url.starts_with(&format!("{STANDIN}/courses?session_token=")), "{url}");
    // A path means a page of this Canvas.
    let url = wait(auth.web_session_url(Some("/courses".into()))).await.unwrap().as_string().unwrap();
    assert!(url.starts_with(&format!("{STANDIN}/courses?session_token=")), "{url}");
}

#[wasm_bindgen_test]
async fn listeners_unsubscribe_and_may_throw() {
    let auth = auth(&[]);
    let thrower = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| wasm_bindgen::throw_str("listener bug"));
    let _keep = auth.on_change(thrower.into_js_value()).unwrap();
    let (events, unsubscribe) = record_events(&auth);
    sign_in(&auth).await;
    assert_eq!(events.borrow().len(), 1, "a throwing listener does not stop the others");
    unsubscribe.unchecked_ref::<Function>().call0(&JsValue::NULL).unwrap();
    wait(auth.sign_out(None)).await.unwrap();
    assert_eq!(events.borrow().len(), 1, "no events after unsubscribing");
    assert_eq!(code_of(&auth.on_change(JsValue::from(5)).unwrap_err()), "invalid_argument");
}

#[wasm_bindgen_test]
async fn an_unreachable_relay_keeps_the_session() {
    let online = auth(&no_margin());
    sign_in(&online).await;
    // A tab whose relay is down gets the session from the open tab, without the relay...
    let offline = auth(&[("relayUrl", DEAD_RELAY.into()), ("refreshMarginSeconds", 0.into())]);
    assert!(!wait(offline.restore()).await.unwrap().is_null());
    drop(online);
    sleep(PAST_EXPIRY_MS).await;
    // ...and when its refresh cannot reach the relay, the user stays signed in (L13).
    assert_eq!(code_of(&wait(offline.access_token()).await.unwrap_err()), "relay_unreachable");
    assert!(!offline.session().is_null());
}

#[wasm_bindgen_test]
async fn rate_limiting_never_signs_the_user_out() {
    // The fake relay issues a token that is due at once and throttles every refresh (429).
    let auth = auth(&[("relayUrl", format!("{FAKE_RELAY}/ok-then-429").into())]);
    let state = query_param(&auth.authorize_url(None).unwrap(), "state").unwrap();
    wait(auth.handle_callback(Some(format!("{}?code=abc&state={state}", redirect_uri()).into()))).await.unwrap();
    let (events, _u) = record_events(&auth);
    for _ in 0..3 {
        assert_eq!(code_of(&wait(auth.access_token()).await.unwrap_err()), "rate_limited");
    }
    assert!(!auth.session().is_null(), "still signed in (L13)");
    assert!(events.borrow().is_empty(), "no sign-out event");
}

/// Hides `navigator.locks` (as in a browser without Web Locks) until dropped.
struct WithoutWebLocks;
impl WithoutWebLocks {
    fn new() -> Self {
        let navigator = get(&js_sys::global(), "navigator");
        let descriptor = obj(&[("value", JsValue::UNDEFINED), ("configurable", true.into())]);
        js_sys::Reflect::define_property(
            navigator.unchecked_ref::<js_sys::Object>(),
            &"locks".into(),
            &descriptor.unchecked_into(),
        )
        .unwrap();
        assert!(get(&get(&js_sys::global(), "navigator"), "locks").is_undefined());
        WithoutWebLocks
    }
}
impl Drop for WithoutWebLocks {
    fn drop(&mut self) {
        let navigator = get(&js_sys::global(), "navigator");
        js_sys::Reflect::delete_property(navigator.unchecked_ref::<js_sys::Object>(), &"locks".into()).unwrap();
    }
}

#[wasm_bindgen_test]
async fn without_web_locks_tabs_still_refresh_once() {
    let _no_locks = WithoutWebLocks::new();
    let a = auth(&no_margin());
    sign_in(&a).await;
    let b = auth(&no_margin());
    wait(b.restore()).await.unwrap();
    sleep(PAST_EXPIRY_MS).await;
    reset_relay().await;
    // Both tabs find the token due at the same moment.
    let both = Array::of2(&a.access_token().into(), &b.access_token().into());
    let tokens = Array::from(&JsFuture::from(Promise::all(&both)).await.unwrap());
    assert_eq!(tokens.get(0).as_string(), tokens.get(1).as_string(), "both tabs use one new token");
    assert_eq!(relay_count("refresh").await, 1, "claims on the BroadcastChannel let one tab refresh");
}

#[wasm_bindgen_test]
async fn a_callers_signal_does_not_switch_the_timeout_off() {
    let auth = auth(&[("relayUrl", format!("{FAKE_RELAY}/ok").into()), ("timeoutMs", 300.into())]);
    let state = query_param(&auth.authorize_url(None).unwrap(), "state").unwrap();
    wait(auth.handle_callback(Some(format!("{}?code=abc&state={state}", redirect_uri()).into()))).await.unwrap();
    let controller = web_sys::AbortController::new().unwrap();
    let init = obj(&[("signal", controller.signal().into())]);
    let started = js_sys::Date::now();
    let error = wait(auth.fetch("/api/v1/slow".into(), Some(init))).await.unwrap_err();
    assert_eq!(code_of(&error), "relay_timeout");
    assert!(js_sys::Date::now() - started < 2_500.0, "the 300 ms deadline applied");
}

#[wasm_bindgen_test]
async fn sign_out_without_a_token_in_memory_still_ends_the_grant() {
    // A dedicated logout page: signed in earlier, nothing restored in this instance.
    let earlier = auth(&[]);
    sign_in(&earlier).await;
    drop(earlier);
    reset_relay().await;
    let logout_page = auth(&[]);
    assert!(logout_page.session().is_null());
    wait(logout_page.sign_out(None)).await.unwrap();
    assert_eq!(relay_count("revoke").await, 1, "the relay was asked even without a token");
    let next_visitor = auth(&[]);
    assert!(wait(next_visitor.restore()).await.unwrap().is_null(), "the refresh cookie is gone");
}

/// What another tab (or any same-origin script) can post on the library's channel.
fn post_to_tabs(message: &JsValue) {
    let channel = web_sys::BroadcastChannel::new(&format!("canvas-oauth:{STANDIN}:{CLIENT_ID}")).unwrap();
    channel.post_message(message).unwrap();
    channel.close();
}

fn peer_session(extra: &[(&str, JsValue)]) -> JsValue {
    let now = js_sys::Date::now();
    let message = obj(&[
        ("type", "session".into()),
        ("accessToken", "from-a-peer".into()),
        ("user", obj(&[("id", 1.into())])),
        ("expiresAt", (now + 60_000.0).into()),
        ("dueAt", (now + 50_000.0).into()),
        ("scopes", Array::new().into()),
        ("canvasRegion", JsValue::NULL),
        ("returnTo", JsValue::NULL),
    ]);
    for (k, v) in extra {
        js_sys::Reflect::set(&message, &(*k).into(), v).unwrap();
    }
    message
}

/// S11: sessions from other tabs are validated like relay answers: a due time that can never
/// fall due (NaN, ∞), a user that is not an object, bad scopes — ignored; an unsafe return
/// path becomes "/".
#[wasm_bindgen_test]
async fn messages_from_other_tabs_are_revalidated() {
    let auth = auth(&[]);
    // Structured clone keeps cycles: an array that contains itself, and one far too long.
    let cyclic = Array::new();
    cyclic.push(&cyclic);
    let long: Array = (0..5000).map(|_| JsValue::from("a")).collect();
    let bad: [(&str, JsValue); 8] = [
        ("scopes", cyclic.into()),
        ("scopes", long.into()),
        ("dueAt", f64::NAN.into()),
        ("expiresAt", f64::INFINITY.into()),
        ("user", "sam".into()),
        ("user", obj(&[("id", "1".into())])),
        ("scopes", Array::of1(&"a b".into()).into()),
        ("accessToken", 5.into()),
    ];
    for (key, value) in bad {
        post_to_tabs(&peer_session(&[(key, value)]));
        sleep(50).await;
        assert!(auth.session().is_null(), "a session with a bad {key} is ignored");
    }
    post_to_tabs(&obj(&[("type", "ask".into())]));
    post_to_tabs(&JsValue::from("session"));
    post_to_tabs(&peer_session(&[("returnTo", "//evil.example".into())]));
    sleep(50).await;
    assert_eq!(get(&auth.session(), "returnTo").as_string().as_deref(), Some("/"));
    assert_eq!(token(&auth).await, "from-a-peer", "a well-formed session is taken");
}

/// S14: a tab that waited for another tab's lock uses that tab's new session, even when the
/// session message arrives after the lock was handed over (here: 150 ms after).
#[wasm_bindgen_test]
async fn a_tab_that_waited_for_the_lock_uses_the_winners_session() {
    let auth = auth(&no_margin());
    sign_in(&auth).await;
    sleep(PAST_EXPIRY_MS).await;
    reset_relay().await;
    let lock = hold_library_lock().await;
    let pending = auth.access_token();
    sleep(100).await;
    // The winner lets go of the lock; its session message is delivered late.
    lock.release.call0(&JsValue::NULL).unwrap();
    JsFuture::from(lock.holding).await.unwrap();
    sleep(150).await;
    post_to_tabs(&peer_session(&[("accessToken", "the-winners-token".into())]));
    let fresh = wait(pending).await.unwrap_or_else(|e| panic!("accessToken failed: {:?}", get(&e, "message")));
    assert_eq!(fresh.as_string().as_deref(), Some("the-winners-token"));
    assert_eq!(relay_count("refresh").await, 0, "no second refresh");
}

/// S9: paginate reads each page through the size cap and under the request's deadline.
#[wasm_bindgen_test]
async fn paginate_pages_are_capped_and_deadlined() {
    let auth = auth(&[("relayUrl", format!("{FAKE_RELAY}/ok").into()), ("timeoutMs", 300.into())]);
    let state = query_param(&auth.authorize_url(None).unwrap(), "state").unwrap();
    wait(auth.handle_callback(Some(format!("{}?code=abc&state={state}", redirect_uri()).into()))).await.unwrap();
    let first_page = |path: &str| {
        let pages = auth.paginate(path.into()).unwrap();
        let next: Function = get(&pages, "next").unchecked_into();
        let promise: Promise = next.call0(&pages).unwrap().unchecked_into();
        promise
    };
    assert_eq!(code_of(&wait(first_page("/api/v1/huge-page")).await.unwrap_err()), "invalid_response");
    let started = js_sys::Date::now();
    assert_eq!(code_of(&wait(first_page("/api/v1/stalled-page")).await.unwrap_err()), "relay_timeout");
    assert!(js_sys::Date::now() - started < 2_500.0, "the 300 ms deadline covered the body");
    let page = wait(first_page("/api/v1/courses")).await.unwrap();
    assert!(Array::is_array(&get(&page, "value")), "an ordinary page still reads");
}

async fn sign_out_through(relay: &str) -> (JsValue, bool) {
    let auth = auth(&[("relayUrl", relay.into())]);
    let state = query_param(&auth.authorize_url(None).unwrap(), "state").unwrap();
    let signed_in =
        wait(auth.handle_callback(Some(format!("{}?code=abc&state={state}", redirect_uri()).into()))).await.is_ok();
    let result = wait(auth.sign_out(None)).await.unwrap_or_else(|e| panic!("signOut rejected: {e:?}"));
    assert!(auth.session().is_null(), "{relay}: the session ends whatever the relay said");
    (result, signed_in)
}

/// The sign-out result: what the relay says about the revocation, "unknown" when it says
/// nothing (an older relay) or cannot be reached.
#[wasm_bindgen_test]
async fn sign_out_reports_the_revocation() {
    let (result, _) = sign_out_through(&format!("{FAKE_RELAY}/revoke-pending")).await;
    assert_eq!(get(&result, "revocation").as_string().as_deref(), Some("pending"));
    assert!(get(&result, "forwardUrl").is_undefined());
    let (result, _) = sign_out_through(&format!("{FAKE_RELAY}/revoke-confirmed")).await;
    assert_eq!(get(&result, "revocation").as_string().as_deref(), Some("confirmed"));
    assert_eq!(get(&result, "forwardUrl").as_string().as_deref(), Some("https://canvas.example/logout"));
    // The fake relay's other cases answer /revoke with a plain grant: the old `{...}` shape.
    let (result, _) = sign_out_through(&format!("{FAKE_RELAY}/ok")).await;
    assert_eq!(get(&result, "revocation").as_string().as_deref(), Some("unknown"));
    let (result, signed_in) = sign_out_through(DEAD_RELAY).await;
    assert!(!signed_in);
    assert_eq!(get(&result, "revocation").as_string().as_deref(), Some("unknown"));
}

/// Bad `signOut` options are refused before anything happens: still signed in, no relay call.
/// (`endCanvasSession: true` itself leaves the page, so tests/e2e/signout.test.mjs covers it.)
#[wasm_bindgen_test]
async fn sign_out_refuses_bad_options_before_anything() {
    let auth = auth(&[]);
    sign_in(&auth).await;
    reset_relay().await;
    for options in [
        JsValue::from("endCanvasSession"),
        JsValue::from(true),
        obj(&[("endCanvasSession", "yes".into())]),
        obj(&[("endCanvasSession", 1.into())]),
        obj(&[("expireSessions", "true".into())]),
    ] {
        let error = wait(auth.sign_out(Some(options))).await.unwrap_err();
        assert_eq!(code_of(&error), "invalid_argument", "{:?}", get(&error, "message"));
    }
    assert!(!auth.session().is_null(), "still signed in");
    assert_no_relay_calls().await;
}
