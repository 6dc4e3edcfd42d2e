//! The free functions: `createState`, `parseCallback`, `pkceChallenge`.

use crate::error::js_error;
use crate::js::set;
use crate::options::string_arg;
use crate::random::random_bytes;
use canvas_oauth_core::{Callback, State};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_CALLBACK: &'static str = r#"
/** A successful authorization response. */
export interface CallbackCode { code: string; state: string }
/** An authorization error response; only meaningful once `state` has been checked. */
export interface CallbackError {
  error: "access_denied" | "login_required" | "interaction_required" | "invalid_scope"
    | "unauthorized_client" | "unsupported_response_type" | "unsupported_prompt_type"
    | "client_not_allowed_for_user" | "invalid_request" | "authorization_error";
  /** Plain text, capped; `null` when Canvas sent none. */
  errorDescription: string | null;
  state: string;
}
export type CallbackResult = CallbackCode | CallbackError;
"#;

/// 32 bytes from `crypto.getRandomValues` (no fallback), base64url: 43 characters (L1).
#[wasm_bindgen(js_name = createState)]
pub fn create_state() -> Result<String, JsValue> {
    Ok(State::from_random(&random_bytes()?).as_str().to_owned())
}

/// Reads an authorization response from `url` (a string or `URL`) under rules L3–L6.
/// Throws `state_missing` or `callback_malformed`; an `error` response is returned, not thrown,
/// because it means nothing until its `state` has been matched to a pending flow.
#[wasm_bindgen(js_name = parseCallback, unchecked_return_type = "CallbackResult")]
pub fn parse_callback(#[wasm_bindgen(unchecked_param_type = "string | URL")] url: JsValue) -> Result<JsValue, JsValue> {
    let url = string_arg(&url, "url")?;
    let result = js_sys::Object::new();
    match canvas_oauth_core::parse_callback(&url).map_err(js_error)? {
        Callback::Code { code, state } => {
            set(&result, "code", code.into_secret());
            set(&result, "state", state);
        }
        Callback::Error { error, description, state } => {
            set(&result, "error", error.as_str());
            set(&result, "errorDescription", description.map_or(JsValue::NULL, JsValue::from));
            set(&result, "state", state);
        }
    }
    Ok(result.into())
}

/// `base64url(SHA-256(verifier))` (RFC 7636 §4.2); throws `invalid_argument` unless the
/// verifier is 43–128 unreserved characters.
#[wasm_bindgen(js_name = pkceChallenge)]
pub fn pkce_challenge(#[wasm_bindgen(unchecked_param_type = "string")] verifier: JsValue) -> Result<String, JsValue> {
    let verifier = string_arg(&verifier, "verifier")?;
    canvas_oauth_core::pkce_challenge(&verifier).map_err(js_error)
}
