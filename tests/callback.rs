//! Sign-in and callback in a real browser against the relay and stand-in (L1–L11, L15).
#![cfg(target_arch = "wasm32")]

mod support;

use support::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().session_storage().unwrap().unwrap()
}

fn clear_flows() {
    for key in flow_keys() {
        storage().remove_item(&key).unwrap();
    }
}

fn flow_keys() -> Vec<String> {
    let s = storage();
    (0..s.length().unwrap()).filter_map(|i| s.key(i).unwrap()).filter(|k| k.starts_with("canvas-oauth:flow:")).collect()
}

#[wasm_bindgen_test]
fn config_is_validated_naming_the_field() {
    let cases: [(&str, JsValue, &str); 10] = [
        ("canvasUrl", "http://canvas.example.edu".into(), "canvasUrl"),
        ("canvasUrl", "not a url".into(), "canvasUrl"),
        ("canvasUrl", JsValue::UNDEFINED, "canvasUrl"),
        ("clientId", "abc".into(), "clientId"),
        ("redirectUri", "https://app.example.edu/cb#frag".into(), "redirectUri"),
        ("redirectUri", "http://app.example.edu/cb".into(), "redirectUri"),
        // S23: Canvas appends to the query; a query of ours would mix with its answer.
        ("redirectUri", "https://app.example.edu/cb?app=1".into(), "redirectUri"),
        ("relayUrl", "http://relay.example.edu".into(), "relayUrl"),
        ("timeoutMs", (-5).into(), "timeoutMs"),
        ("scopes", "url:GET|/api/v1/x".into(), "scopes"),
    ];
    for (field, value, named) in cases {
        let error = canvas_oauth::CanvasAuth::new(options(&[(field, value)])).err().expect(field);
        assert_eq!(code_of(&error), "config_invalid", "{field}");
        let description = get(&error, "description").as_string().unwrap();
        assert!(description.starts_with(named), "{field}: {description}");
    }
    assert_eq!(code_of(&canvas_oauth::CanvasAuth::new(JsValue::UNDEFINED).err().unwrap()), "config_invalid");
    // Accepted: numeric client id, https anywhere, a same-origin relay path.
    assert!(canvas_oauth::CanvasAuth::new(options(&[("clientId", JsValue::from(10000000000001.0))])).is_ok());
    assert!(canvas_oauth::CanvasAuth::new(options(&[("relayUrl", "/canvas-relay".into())])).is_ok());
}

#[wasm_bindgen_test]
fn authorize_url_saves_one_flow_per_state_with_pkce() {
    let auth = auth(&[("scopes", js_sys::Array::of1(&"url:GET|/api/v1/users/:id".into()).into())]);
    clear_flows();
    let first = auth.authorize_url(None).unwrap();
    let second =
        auth.authorize_url(Some(obj(&[("returnTo", "//evil.example/x".into()), ("forceLogin", true.into())]))).unwrap();
    assert!(
        first.starts_with(&format!("{STANDIN}/login/oauth2/auth?client_id={CLIENT_ID}&response_type=code&")),
        "{first}"
    );
    let (s1, s2) = (query_param(&first, "state").unwrap(), query_param(&second, "state").unwrap());
    assert_ne!(s1, s2, "a fresh state per flow");
    assert_eq!(s1.len(), 43);
    assert_eq!(flow_keys().len(), 2, "both flows kept, keyed by state (L1)");
    let stored = storage().get_item(&format!("canvas-oauth:flow:{s1}")).unwrap().expect("flow stored under its state");
    let stored = js_sys::JSON::parse(&stored).unwrap();
    let verifier = get(&stored, "v").as_string().unwrap();
    // L9: S256 of the stored verifier; the verifier itself never in the URL.
    assert_eq!(
        query_param(&first, "code_challenge").unwrap(),
        canvas_oauth::pkce_challenge(verifier.clone().into()).unwrap()
    );
    assert_eq!(query_param(&first, "code_challenge_method").as_deref(), Some("S256"));
    assert!(!first.contains(&verifier));
    assert_eq!(query_param(&first, "scope").as_deref(), Some("url:GET|/api/v1/users/:id"));
    assert_eq!(query_param(&first, "force_login"), None);
    assert_eq!(query_param(&second, "force_login").as_deref(), Some("1"));
    // L8: an off-origin return path is replaced, and kept out of the state.
    let stored2 =
        js_sys::JSON::parse(&storage().get_item(&format!("canvas-oauth:flow:{s2}")).unwrap().unwrap()).unwrap();
    assert_eq!(get(&stored2, "p").as_string().as_deref(), Some("/"));
    assert!(!s2.contains("evil"));
    // Nothing token-like in storage: only the verifier of a pending flow (L11).
    assert!(!get(&stored, "accessToken").is_truthy());
}

#[wasm_bindgen_test]
fn authorize_url_rejects_bad_options() {
    let auth = auth(&[]);
    for bad in [
        obj(&[("prompt", "consent".into())]),
        obj(&[("prompt", "".into())]),
        obj(&[("scopes", js_sys::Array::of1(&"two words".into()).into())]),
        obj(&[("forceLogin", "yes".into())]),
        JsValue::from("not an object"),
    ] {
        assert_eq!(code_of(&auth.authorize_url(Some(bad)).unwrap_err()), "invalid_argument");
    }
}

#[wasm_bindgen_test]
async fn full_sign_in_through_the_relay() {
    reset_relay().await;
    let auth = auth(&[]);
    let url = auth.authorize_url(Some(obj(&[("returnTo", "/courses?x=1".into())]))).unwrap();
    let state = query_param(&url, "state").unwrap();
    let callback = approved_callback(&url).await;
    let session = wait(auth.handle_callback(Some(callback.into()))).await.unwrap();
    assert_eq!(get(&get(&session, "user"), "id").as_f64(), Some(1.0));
    assert_eq!(get(&get(&session, "user"), "name").as_string().as_deref(), Some("Sam Student"));
    assert_eq!(get(&session, "returnTo").as_string().as_deref(), Some("/courses?x=1"));
    assert!(get(&session, "expiresAt").as_f64().unwrap() > js_sys::Date::now());
    assert!(get(&session, "accessToken").is_undefined(), "the session object carries no token");
    assert!(storage().get_item(&format!("canvas-oauth:flow:{state}")).unwrap().is_none(), "flow consumed");
    let token = wait(auth.access_token()).await.unwrap().as_string().unwrap();
    assert!(!token.is_empty());
    assert_eq!(relay_count("token").await, 1);
    // L11: the token is nowhere but memory.
    let window = web_sys::window().unwrap();
    for store in [window.local_storage().unwrap().unwrap(), storage()] {
        for i in 0..store.length().unwrap() {
            let key = store.key(i).unwrap().unwrap();
            let value = store.get_item(&key).unwrap().unwrap_or_default();
            assert!(!value.contains(&token) && !key.contains(&token), "token found in web storage under {key}");
        }
    }
    let cookie =
        js_sys::Reflect::get(&window.document_unchecked(), &"cookie".into()).unwrap().as_string().unwrap_or_default();
    assert!(!cookie.contains(&token), "token readable from document.cookie");
}

trait DocumentUnchecked {
    fn document_unchecked(&self) -> JsValue;
}
impl DocumentUnchecked for web_sys::Window {
    fn document_unchecked(&self) -> JsValue {
        get(self, "document")
    }
}

#[wasm_bindgen_test]
async fn a_double_callback_exchanges_once() {
    reset_relay().await;
    let auth = auth(&[]);
    let callback = approved_callback(&auth.authorize_url(None).unwrap()).await;
    // React StrictMode runs effects twice: two concurrent calls, one exchange.
    let first = auth.handle_callback(Some(callback.clone().into()));
    let second = auth.handle_callback(Some(callback.clone().into()));
    let (a, b) = (wait(first).await.unwrap(), wait(second).await.unwrap());
    assert_eq!(get(&get(&a, "user"), "id").as_f64(), get(&get(&b, "user"), "id").as_f64());
    assert_eq!(relay_count("token").await, 1);
    // A reload (a new instance) with the same callback finds no pending flow, and calls nothing.
    let reloaded = support::auth(&[]);
    let error = wait(reloaded.handle_callback(Some(callback.into()))).await.unwrap_err();
    assert_eq!(code_of(&error), "state_unknown");
    assert_eq!(relay_count("token").await, 1);
}

/// Every rejected callback: the right code, and not one request to the relay.
#[wasm_bindgen_test]
async fn rejected_callbacks_make_no_relay_call() {
    let auth = auth(&[]);
    let cb = redirect_uri();
    let pending = auth.authorize_url(None).unwrap();
    let state = query_param(&pending, "state").unwrap();
    let cases = [
        (format!("{cb}?code=abc"), "state_missing"),
        (format!("{cb}?code=abc&state="), "state_missing"),
        (format!("{cb}?code=abc&state=never-issued"), "state_unknown"),
        (format!("{cb}?error=access_denied&state=never-issued"), "state_unknown"),
        (format!("{cb}?code=abc&code=def&state={state}"), "callback_malformed"),
        (format!("{cb}?code=abc&state={state}&state={state}"), "callback_malformed"),
        (format!("{cb}#code=abc&state={state}"), "callback_malformed"),
        (format!("{cb}?code=abc&state={state}&access_token=x"), "callback_malformed"),
        (format!("{cb}?code=%ZZ&state={state}"), "callback_malformed"),
        (format!("{cb}?code={}&state={state}", "a".repeat(600)), "callback_malformed"),
    ];
    reset_relay().await;
    for (url, code) in cases {
        let error = wait(auth.handle_callback(Some(url.clone().into()))).await.expect_err(&url);
        assert_eq!(code_of(&error), code, "{url}");
    }
    // The pending flow survived all of that: malformed input never reached the state lookup.
    assert!(storage().get_item(&format!("canvas-oauth:flow:{state}")).unwrap().is_some());
    // Arrived somewhere other than the redirect URI.
    let elsewhere = format!("{}/elsewhere?code=abc&state={state}", origin());
    assert_eq!(code_of(&wait(auth.handle_callback(Some(elsewhere.into()))).await.unwrap_err()), "callback_malformed");
    assert_no_relay_calls().await;
}

#[wasm_bindgen_test]
async fn an_expired_flow_is_refused_without_a_relay_call() {
    let auth = auth(&[]);
    let url = auth.authorize_url(None).unwrap();
    let state = query_param(&url, "state").unwrap();
    let key = format!("canvas-oauth:flow:{state}");
    let flow = js_sys::JSON::parse(&storage().get_item(&key).unwrap().unwrap()).unwrap();
    js_sys::Reflect::set(&flow, &"t".into(), &(js_sys::Date::now() - 601_000.0).into()).unwrap();
    storage().set_item(&key, &String::from(js_sys::JSON::stringify(&flow).unwrap())).unwrap();
    reset_relay().await;
    let callback = format!("{}?code=abc&state={state}", redirect_uri());
    assert_eq!(code_of(&wait(auth.handle_callback(Some(callback.into()))).await.unwrap_err()), "state_expired");
    assert!(storage().get_item(&key).unwrap().is_none(), "an expired flow is removed");
    assert_no_relay_calls().await;
}

#[wasm_bindgen_test]
async fn canvas_errors_surface_after_the_state_check() {
    let auth = auth(&[]);
    let state = query_param(&auth.authorize_url(None).unwrap(), "state").unwrap();
    reset_relay().await;
    let url = format!(
        "{}?error=login_required&error_description=prompt%3Dnone+but+there+is+no+current+session&state={state}",
        redirect_uri()
    );
    let error = wait(auth.handle_callback(Some(url.into()))).await.unwrap_err();
    assert_eq!(code_of(&error), "login_required");
    assert_eq!(get(&error, "description").as_string().as_deref(), Some("prompt=none but there is no current session"));
    assert!(storage().get_item(&format!("canvas-oauth:flow:{state}")).unwrap().is_none(), "the flow is used up");
    assert_no_relay_calls().await;
}

#[wasm_bindgen_test]
async fn the_code_leaves_the_address_bar_before_any_await() {
    let window = web_sys::window().unwrap();
    let history = window.history().unwrap();
    let original = window.location().href().unwrap();
    let auth = auth(&[]);
    let callback = approved_callback(&auth.authorize_url(None).unwrap()).await;
    let on_page = format!("{callback}&keep=1#section");
    history.push_state_with_url(&JsValue::NULL, "", Some(&on_page)).unwrap();
    assert!(auth.is_callback(None).unwrap());
    let pending = auth.handle_callback(None);
    // Synchronously, before the promise has had a chance to run (L7): replaced, not pushed.
    let now = window.location().href().unwrap();
    assert_eq!(now, format!("{}?keep=1#section", redirect_uri()));
    assert!(!auth.is_callback(None).unwrap());
    wait(pending).await.unwrap();
    // Calling again on the cleaned page (StrictMode) reuses the first result.
    wait(auth.handle_callback(None)).await.unwrap();
    history.replace_state_with_url(&JsValue::NULL, "", Some(&original)).unwrap();
}

#[wasm_bindgen_test]
async fn relay_down_and_relay_timeout_are_typed() {
    for (relay, timeout, code) in [(DEAD_RELAY, 5_000, "relay_unreachable"), (SILENT_RELAY, 300, "relay_timeout")] {
        let auth = auth(&[("relayUrl", relay.into()), ("timeoutMs", timeout.into())]);
        let callback = approved_callback(&auth.authorize_url(None).unwrap()).await;
        let started = js_sys::Date::now();
        let error = wait(auth.handle_callback(Some(callback.into()))).await.unwrap_err();
        assert_eq!(code_of(&error), code, "{relay}");
        assert!(js_sys::Date::now() - started < 4_000.0, "{relay} took too long");
        assert_eq!(code_of(&wait(auth.restore()).await.unwrap_err()), code, "restore via {relay}");
    }
}

#[wasm_bindgen_test]
fn pending_flows_are_pruned_oldest_and_expired_first() {
    let store = storage();
    // An abandoned flow from 11 minutes ago goes on the next sign-in.
    let stale = "canvas-oauth:flow:stale-flow";
    store.set_item(stale, &format!(r#"{{"k":"stale-flow","t":{}}}"#, js_sys::Date::now() - 660_000.0)).unwrap();
    let auth = auth(&[]);
    let urls: Vec<String> = (0..25).map(|_| auth.authorize_url(None).unwrap()).collect();
    assert!(store.get_item(stale).unwrap().is_none(), "expired flow removed");
    let keys = flow_keys();
    assert!(keys.len() <= 20, "at most 20 pending flows, found {}", keys.len());
    let newest = query_param(urls.last().unwrap(), "state").unwrap();
    assert!(keys.contains(&format!("canvas-oauth:flow:{newest}")), "the newest flow is kept");
}

/// L12 and L15 against a relay that misbehaves on purpose: every bad answer is a typed error.
#[wasm_bindgen_test]
async fn relay_answers_are_parsed_strictly_and_capped() {
    let cases = [
        ("null-token", "invalid_response"),
        ("empty-token", "invalid_response"),
        ("mac", "invalid_response"),
        ("negative-expiry", "invalid_response"),
        ("fractional-expiry", "invalid_response"),
        ("no-user", "invalid_response"),
        ("array", "invalid_response"),
        ("html", "invalid_response"),
        ("huge", "invalid_response"),
        ("huge-declared", "invalid_response"),
        ("not-utf8", "invalid_response"),
        ("status-502", "relay_error"),
        ("status-429", "rate_limited"),
        ("status-401", "invalid_grant"),
    ];
    for (case, code) in cases {
        let auth = auth(&[("relayUrl", format!("{FAKE_RELAY}/{case}").into())]);
        let state = query_param(&auth.authorize_url(None).unwrap(), "state").unwrap();
        let callback = format!("{}?code=abc&state={state}", redirect_uri());
        let error = wait(auth.handle_callback(Some(callback.into()))).await.unwrap_err();
        assert_eq!(code_of(&error), code, "{case}");
        assert!(auth.session().is_null(), "{case}: no session from a bad answer");
    }
    // The good answer works through the same path, so the failures above are the answers'.
    let auth = auth(&[("relayUrl", format!("{FAKE_RELAY}/ok").into())]);
    let state = query_param(&auth.authorize_url(None).unwrap(), "state").unwrap();
    let session =
        wait(auth.handle_callback(Some(format!("{}?code=abc&state={state}", redirect_uri()).into()))).await.unwrap();
    assert_eq!(get(&get(&session, "user"), "id").as_f64(), Some(1.0));
    // S21: a null token is accepted for a userinfo sign-in, and for nothing else (above).
    let auth = support::auth(&[("relayUrl", format!("{FAKE_RELAY}/null-token").into())]);
    let userinfo = obj(&[("scopes", js_sys::Array::of1(&"/auth/userinfo".into()).into())]);
    let state = query_param(&auth.authorize_url(Some(userinfo)).unwrap(), "state").unwrap();
    let session =
        wait(auth.handle_callback(Some(format!("{}?code=abc&state={state}", redirect_uri()).into()))).await.unwrap();
    assert_eq!(get(&get(&session, "user"), "id").as_f64(), Some(1.0));
    assert_eq!(code_of(&wait(auth.access_token()).await.unwrap_err()), "not_signed_in", "no token to hand out");
}

/// S13: the address bar is cleaned by what the parser reads, on any attempt: an encoded key
/// (`c%6Fde=` is `code=`), and parameters in the fragment that get the callback rejected.
#[wasm_bindgen_test]
async fn the_address_bar_is_cleaned_of_anything_a_callback_parser_reads() {
    let window = web_sys::window().unwrap();
    let history = window.history().unwrap();
    let original = window.location().href().unwrap();
    let auth = auth(&[]);
    let callback = approved_callback(&auth.authorize_url(None).unwrap()).await;
    let encoded = callback.replacen("?code=", "?c%6Fde=", 1);
    history.push_state_with_url(&JsValue::NULL, "", Some(&format!("{encoded}&keep=1"))).unwrap();
    assert!(auth.is_callback(None).unwrap(), "c%6Fde= is a code, as the parser reads it");
    let pending = auth.handle_callback(None);
    assert_eq!(window.location().href().unwrap(), format!("{}?keep=1", redirect_uri()));
    wait(pending).await.expect("an encoded key is exchanged like a plain one");
    let state = query_param(&auth.authorize_url(None).unwrap(), "state").unwrap();
    let rejected = format!("{}?tab=2#access_token=leak&state={state}&route=x", redirect_uri());
    history.replace_state_with_url(&JsValue::NULL, "", Some(&rejected)).unwrap();
    let pending = auth.handle_callback(None);
    assert_eq!(window.location().href().unwrap(), format!("{}?tab=2#route=x", redirect_uri()));
    assert_eq!(code_of(&wait(pending).await.unwrap_err()), "callback_malformed");
    history.replace_state_with_url(&JsValue::NULL, "", Some(&original)).unwrap();
}

/// S12: signing out forgets this tab's pending sign-ins and their verifiers.
#[wasm_bindgen_test]
async fn sign_out_clears_pending_flows() {
    let auth = auth(&[]);
    sign_in(&auth).await;
    let pending = auth.authorize_url(None).unwrap();
    auth.authorize_url(None).unwrap();
    assert!(flow_keys().len() >= 2);
    wait(auth.sign_out(None)).await.unwrap();
    assert_eq!(flow_keys(), Vec::<String>::new(), "no pending flow is left");
    // The sign-in started before the sign-out cannot complete afterwards.
    reset_relay().await;
    let late = approved_callback(&pending).await;
    assert_eq!(code_of(&wait(auth.handle_callback(Some(late.into()))).await.unwrap_err()), "state_unknown");
    assert_no_relay_calls().await;
}

/// S11: a pending flow read back from sessionStorage is checked again, as if new: an edited
/// return path is made safe, an entry that no longer holds a valid verifier is no flow at all.
#[wasm_bindgen_test]
async fn stored_flows_are_revalidated() {
    let auth = auth(&[]);
    let edit = |url: &str, key: &str, value: JsValue| {
        let state = query_param(url, "state").unwrap();
        let storage_key = format!("canvas-oauth:flow:{state}");
        let flow = js_sys::JSON::parse(&storage().get_item(&storage_key).unwrap().unwrap()).unwrap();
        js_sys::Reflect::set(&flow, &key.into(), &value).unwrap();
        storage().set_item(&storage_key, &String::from(js_sys::JSON::stringify(&flow).unwrap())).unwrap();
    };
    let url = auth.authorize_url(Some(obj(&[("returnTo", "/courses".into())]))).unwrap();
    edit(&url, "p", "//evil.example/phish".into());
    let session = wait(auth.handle_callback(Some(approved_callback(&url).await.into()))).await.unwrap();
    assert_eq!(get(&session, "returnTo").as_string().as_deref(), Some("/"));
    let url = auth.authorize_url(None).unwrap();
    edit(&url, "v", "short".into());
    reset_relay().await;
    let error = wait(auth.handle_callback(Some(approved_callback(&url).await.into()))).await.unwrap_err();
    assert_eq!(code_of(&error), "state_unknown");
    assert_no_relay_calls().await;
}

#[wasm_bindgen_test]
fn the_default_return_path_is_the_current_page() {
    let window = web_sys::window().unwrap();
    let history = window.history().unwrap();
    let original = window.location().href().unwrap();
    history.push_state_with_url(&JsValue::NULL, "", Some("/courses/7?tab=files&code=leftover#top")).unwrap();
    let url = auth(&[]).authorize_url(None).unwrap();
    history.replace_state_with_url(&JsValue::NULL, "", Some(&original)).unwrap();
    let state = query_param(&url, "state").unwrap();
    let flow =
        js_sys::JSON::parse(&storage().get_item(&format!("canvas-oauth:flow:{state}")).unwrap().unwrap()).unwrap();
    assert_eq!(
        get(&flow, "p").as_string().as_deref(),
        Some("/courses/7?tab=files#top"),
        "path, query and fragment, minus OAuth parameters"
    );
    assert_eq!(get(&flow, "t").as_f64().map(|t| t > 0.0), Some(true));
    assert_eq!(js_sys::Array::from(&get(&flow, "s")).length(), 0);
}
