//! Shared helpers of the browser suites: a CanvasAuth wired to the stand-in and relay that
//! `scripts/with-servers.sh` starts, codes minted through the stand-in's test hook (as an
//! approved authorization would), and the relay's request counters.
#![allow(dead_code)]

use canvas_oauth::CanvasAuth;
use js_sys::{Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

pub const STANDIN: &str = match option_env!("CANVAS_TEST_STANDIN") {
    Some(v) => v,
    None => "http://127.0.0.1:17100",
};
pub const RELAY: &str = match option_env!("CANVAS_TEST_RELAY") {
    Some(v) => v,
    None => "http://127.0.0.1:17101",
};
pub const CLIENT_ID: &str = "10000000000001";
/// A port with-servers.sh keeps free: connections are refused.
pub const DEAD_RELAY: &str = "http://127.0.0.1:17104";
/// A server that accepts connections and never answers (started by with-servers.sh).
pub const SILENT_RELAY: &str = match option_env!("CANVAS_TEST_SILENT") {
    Some(v) => v,
    None => "http://127.0.0.1:17103",
};

/// The misbehaving relay of scripts/fake-relay.py; append `/<case>`.
pub const FAKE_RELAY: &str = match option_env!("CANVAS_TEST_FAKE_RELAY") {
    Some(v) => v,
    None => "http://127.0.0.1:17105",
};

pub fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

pub fn origin() -> String {
    web_sys::window().unwrap().location().origin().unwrap()
}

pub fn redirect_uri() -> String {
    format!("{}/callback", origin())
}

pub fn options(extra: &[(&str, JsValue)]) -> JsValue {
    let o = obj(&[
        ("canvasUrl", STANDIN.into()),
        ("clientId", CLIENT_ID.into()),
        ("redirectUri", redirect_uri().into()),
        ("relayUrl", RELAY.into()),
    ]);
    for (k, v) in extra {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o
}

pub fn auth(extra: &[(&str, JsValue)]) -> CanvasAuth {
    CanvasAuth::new(options(extra)).unwrap_or_else(|e| panic!("config rejected: {:?}", get(&e, "description")))
}

pub async fn wait(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

pub fn code_of(error: &JsValue) -> String {
    assert_eq!(get(error, "name").as_string().as_deref(), Some("CanvasAuthError"), "not a CanvasAuthError: {error:?}");
    get(error, "code").as_string().unwrap_or_default()
}

pub async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

/// One query parameter of `url`, form-decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| canvas_oauth_core::form_decode(v).unwrap())
    })
}

async fn fetch_json(url: &str, method: &str, body: Option<JsValue>, credentials: bool) -> (u16, JsValue) {
    let init = RequestInit::new();
    init.set_method(method);
    if credentials {
        init.set_credentials(web_sys::RequestCredentials::Include);
    }
    let headers = web_sys::Headers::new().unwrap();
    if url.starts_with(RELAY) {
        headers.set("X-Canvas-Relay", "1").unwrap();
    }
    if let Some(body) = body {
        headers.set("Content-Type", "application/json").unwrap();
        init.set_body(&JSON::stringify(&body).unwrap());
    }
    init.set_headers(&headers);
    let response: Response =
        JsFuture::from(web_sys::window().unwrap().fetch_with_str_and_init(url, &init)).await.unwrap().unchecked_into();
    let status = response.status();
    let text = JsFuture::from(response.text().unwrap()).await.unwrap().as_string().unwrap();
    (status, JSON::parse(&text).unwrap_or(JsValue::NULL))
}

/// A code for `challenge`, minted by the stand-in exactly as an approved authorization would.
pub async fn mint_code(challenge: &str) -> String {
    let body = obj(&[
        ("client_id", CLIENT_ID.into()),
        ("user_id", 1.into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]);
    let (status, json) = fetch_json(&format!("{STANDIN}/__test/code"), "POST", Some(body), false).await;
    assert_eq!(status, 200, "minting a code failed: {json:?}");
    get(&json, "code").as_string().unwrap()
}

/// The callback URL Canvas would redirect to after approving `authorize_url`.
pub async fn approved_callback(authorize_url: &str) -> String {
    let state = query_param(authorize_url, "state").expect("state in the authorization URL");
    let challenge = query_param(authorize_url, "code_challenge").expect("code_challenge");
    let code = mint_code(&challenge).await;
    format!("{}?code={code}&state={state}", redirect_uri())
}

/// Signs `auth` in through the relay; returns the session object.
pub async fn sign_in(auth: &CanvasAuth) -> JsValue {
    let url = auth.authorize_url(None).unwrap();
    let callback = approved_callback(&url).await;
    wait(auth.handle_callback(Some(callback.into())))
        .await
        .unwrap_or_else(|e| panic!("sign-in failed: {:?}", get(&e, "message")))
}

/// The relay's request counters (`test-hooks` build), after resetting them with `reset_relay`.
pub async fn relay_stats() -> JsValue {
    fetch_json(&format!("{RELAY}/__test/stats"), "GET", None, false).await.1
}

pub async fn relay_count(route: &str) -> u32 {
    get(&relay_stats().await, route).as_f64().unwrap_or(-1.0) as u32
}

pub async fn reset_relay() {
    let (status, _) = fetch_json(&format!("{RELAY}/__test/reset"), "POST", None, false).await;
    assert_eq!(status, 200);
}

/// Asserts the relay received no request at all since the last reset.
pub async fn assert_no_relay_calls() {
    let stats = relay_stats().await;
    for route in ["token", "refresh", "revoke", "session_url", "cookie_check", "api", "graphql"] {
        assert_eq!(
            get(&stats, route).as_f64(),
            Some(0.0),
            "relay route {route} was called: {:?}",
            JSON::stringify(&stats)
        );
    }
}

/// Calls the relay directly with the page's cookie, as another client of the same grant would.
pub async fn relay_post(path: &str, bearer: Option<&str>, body: JsValue) -> (u16, JsValue) {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_credentials(web_sys::RequestCredentials::Include);
    let headers = web_sys::Headers::new().unwrap();
    headers.set("X-Canvas-Relay", "1").unwrap();
    if let Some(token) = bearer {
        headers.set("Authorization", &format!("Bearer {token}")).unwrap();
    }
    if !body.is_null() {
        headers.set("Content-Type", "application/json").unwrap();
        init.set_body(&JSON::stringify(&body).unwrap());
    }
    init.set_headers(&headers);
    let response: Response =
        JsFuture::from(web_sys::window().unwrap().fetch_with_str_and_init(&format!("{RELAY}{path}"), &init))
            .await
            .unwrap()
            .unchecked_into();
    let status = response.status();
    let text = JsFuture::from(response.text().unwrap()).await.unwrap().as_string().unwrap();
    (status, JSON::parse(&text).unwrap_or(JsValue::NULL))
}

/// The library's cross-tab lock, held the way another tab would hold it.
pub struct HeldLock {
    /// `canvas-oauth:<canvas origin>:<client id>`.
    pub name: String,
    /// Lets go of the lock.
    pub release: Function,
    /// The `navigator.locks.request` promise: settles once the lock is let go.
    pub holding: Promise,
}

/// Takes the library's lock for the stand-in's web key and returns once it is granted.
pub async fn hold_library_lock() -> HeldLock {
    let locks = get(&get(&js_sys::global(), "navigator"), "locks");
    let name = format!("canvas-oauth:{STANDIN}:{CLIENT_ID}");
    let (mut release, mut granted): (Option<Function>, Option<Function>) = (None, None);
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let acquired = Promise::new(&mut |resolve, _| granted = Some(resolve));
    let holder = Closure::once_into_js(move |_lock: JsValue| {
        granted.unwrap().call0(&JsValue::NULL).unwrap();
        held
    });
    let request: Function = get(&locks, "request").unchecked_into();
    let holding: Promise = request.call2(&locks, &name.clone().into(), &holder).unwrap().unchecked_into();
    JsFuture::from(acquired).await.unwrap();
    HeldLock { name, release: release.unwrap(), holding }
}
