//! The free functions in a real browser: `wasm-pack test --headless --chrome` (and --firefox).
#![cfg(target_arch = "wasm32")]

use canvas_oauth::{create_state, parse_callback, pkce_challenge};
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const STATE: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

/// Asserts `thrown` is a CanvasAuthError with `code`, and returns its description.
fn assert_canvas_error(thrown: JsValue, code: &str) -> String {
    let error = thrown.dyn_ref::<js_sys::Error>().expect("an Error instance");
    assert_eq!(String::from(error.name()), "CanvasAuthError");
    assert_eq!(get(&thrown, "code").as_string().as_deref(), Some(code));
    let description = get(&thrown, "description").as_string().expect("a description");
    assert!(String::from(error.message()).contains(code));
    description
}

#[wasm_bindgen_test]
fn create_state_is_43_char_base64url_and_unique() {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..500 {
        let state = create_state().unwrap();
        assert_eq!(state.len(), 43);
        assert!(state.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{state}");
        assert!(seen.insert(state), "createState repeated a value");
    }
}

#[wasm_bindgen_test]
fn pkce_challenge_matches_rfc7636_appendix_b() {
    let challenge = pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()).unwrap();
    assert_eq!(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

#[wasm_bindgen_test]
fn pkce_challenge_rejects_bad_input_with_a_code() {
    for bad in [JsValue::from("short"), JsValue::from("a".repeat(129)), JsValue::from(format!("{}!", "a".repeat(43)))] {
        let description = assert_canvas_error(pkce_challenge(bad).unwrap_err(), "invalid_argument");
        assert!(description.contains("RFC 7636"), "{description}");
    }
    for bad in [JsValue::UNDEFINED, JsValue::NULL, JsValue::from(42), js_sys::Object::new().into()] {
        assert_canvas_error(pkce_challenge(bad).unwrap_err(), "invalid_argument");
    }
}

#[wasm_bindgen_test]
fn parse_callback_reads_a_code_response() {
    let result = parse_callback(format!("https://app.example.edu/cb?code=abc123&state={STATE}").into()).unwrap();
    assert_eq!(get(&result, "code").as_string().as_deref(), Some("abc123"));
    assert_eq!(get(&result, "state").as_string().as_deref(), Some(STATE));
    assert!(get(&result, "error").is_undefined());
}

#[wasm_bindgen_test]
fn parse_callback_accepts_url_objects() {
    let ctor: js_sys::Function = get(&js_sys::global(), "URL").unchecked_into();
    let args = js_sys::Array::of1(&format!("https://app.example.edu/cb?code=xyz&state={STATE}").into());
    let url = Reflect::construct(&ctor, &args).unwrap();
    let result = parse_callback(url).unwrap();
    assert_eq!(get(&result, "code").as_string().as_deref(), Some("xyz"));
}

#[wasm_bindgen_test]
fn parse_callback_returns_error_responses_as_data() {
    let url = format!("https://app.example.edu/cb?error=access_denied&state={STATE}");
    let result = parse_callback(url.into()).unwrap();
    assert_eq!(get(&result, "error").as_string().as_deref(), Some("access_denied"));
    assert!(get(&result, "errorDescription").is_null());
    let url = format!("https://app.example.edu/cb?error=weird&error_description=%3Cb%3Ehi%3C%2Fb%3E&state={STATE}");
    let result = parse_callback(url.into()).unwrap();
    assert_eq!(get(&result, "error").as_string().as_deref(), Some("authorization_error"));
    assert_eq!(
        get(&result, "errorDescription").as_string().as_deref(),
        Some("<b>hi</b>"),
        "plain text, left for the app to escape"
    );
}

#[wasm_bindgen_test]
fn parse_callback_throws_typed_errors() {
    let cases = [
        ("https://a.example/cb?code=abc".to_string(), "state_missing"),
        (format!("https://a.example/cb?code=abc&code=def&state={STATE}"), "callback_malformed"),
        (format!("https://a.example/cb#code=abc&state={STATE}"), "callback_malformed"),
        (format!("https://a.example/cb?code=a%ZZ&state={STATE}"), "callback_malformed"),
        (format!("https://a.example/cb?code=abc&state={STATE}&access_token=x"), "callback_malformed"),
        ("https://a.example/plain".to_string(), "callback_malformed"),
    ];
    for (url, code) in cases {
        assert_canvas_error(parse_callback(url.into()).unwrap_err(), code);
    }
    assert_canvas_error(parse_callback(JsValue::UNDEFINED).unwrap_err(), "invalid_argument");
}

#[wasm_bindgen_test]
fn module_keeps_working_after_bad_calls() {
    // A panic would poison the wasm instance; bad input must never panic.
    for _ in 0..50 {
        let _ = parse_callback(JsValue::from("\u{0}%%%?&&==#")).unwrap_err();
        let _ = parse_callback(JsValue::from(format!("https://x/?{}", "é".repeat(5000)))).unwrap_err();
        let _ = pkce_challenge(JsValue::from("é".repeat(50))).unwrap_err();
    }
    assert_eq!(create_state().unwrap().len(), 43);
    assert!(parse_callback(format!("https://a/cb?code=c&state={STATE}").into()).is_ok());
}
