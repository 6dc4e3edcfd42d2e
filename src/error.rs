//! The one error shape thrown to JavaScript: an `Error` with `name === "CanvasAuthError"`,
//! a stable `code`, and `description` (Canvas's `error_description` where there is one).

use crate::js::{get, set};
use canvas_oauth_core::{Error, ErrorCode};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR: &'static str = r#"
/** Every stable `code` a CanvasAuthError can carry. */
export type CanvasAuthErrorCode =
  | "state_missing" | "state_unknown" | "state_expired" | "callback_malformed"
  | "access_denied" | "login_required" | "interaction_required" | "invalid_scope"
  | "unauthorized_client" | "unsupported_response_type" | "unsupported_prompt_type"
  | "client_not_allowed_for_user" | "invalid_request" | "authorization_error"
  | "invalid_grant" | "not_signed_in" | "relay_unreachable" | "relay_timeout"
  | "relay_error" | "rate_limited" | "invalid_response" | "config_invalid" | "invalid_argument";

/** What every function of this package throws (or rejects with). */
export interface CanvasAuthError extends Error {
  name: "CanvasAuthError";
  code: CanvasAuthErrorCode;
  /** Plain text, never HTML: Canvas's `error_description` where there is one. */
  description: string;
}
"#;

/// Converts a core error into the thrown JavaScript value.
pub fn js_error(error: Error) -> JsValue {
    let js = js_sys::Error::new(&format!("{} ({})", error.description, error.code));
    js.set_name("CanvasAuthError");
    set(&js, "code", error.code.as_str());
    set(&js, "description", error.description);
    js.into()
}

/// A string argument, or a CanvasAuthError naming it. `URL` objects are read through `href`.
pub(crate) fn string_arg(value: &JsValue, name: &str) -> Result<String, JsValue> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if value.is_object() {
        if let Some(href) = get(value, "href").as_string() {
            return Ok(href);
        }
    }
    Err(js_error(Error::new(ErrorCode::InvalidArgument, format!("{name} must be a string"))))
}
