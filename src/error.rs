//! The one error shape thrown to JavaScript: an `Error` with `name === "CanvasAuthError"`,
//! a stable `code`, and `description` (Canvas's `error_description` where there is one).

use crate::js::set;
use canvas_oauth_core::{concat, Error, ErrorCode};
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
  | "relay_error" | "rate_limited" | "invalid_response" | "config_invalid" | "invalid_argument"
  | "graphql_error"
  | "popup_blocked" | "popup_closed" | "popup_timeout" | "popup_opener_lost";

/** One of the `errors` Canvas's GraphQL answers (graphql-ruby's shape). */
export interface CanvasGraphQLError {
  message: string;
  locations?: { line: number; column: number }[];
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What every function of this package throws (or rejects with). */
export interface CanvasAuthError extends Error {
  name: "CanvasAuthError";
  code: CanvasAuthErrorCode;
  /** Plain text, never HTML: Canvas's `error_description` where there is one. */
  description: string;
  /** With code "graphql_error": Canvas's GraphQL `errors`, as Canvas sent them. */
  errors?: CanvasGraphQLError[];
  /** With code "graphql_error": the partial `data` Canvas answered alongside, if any. */
  data?: Record<string, unknown>;
  /** With `rate_limited` only: seconds to wait before trying again (the relay's `Retry-After`,
   *  at most 3600; 5 when the answer gave none). */
  retryAfter?: number;
}
"#;

/// Converts a core error into the thrown JavaScript value.
pub fn js_error(error: Error) -> JsValue {
    let js = js_sys::Error::new(&concat(&[&error.description, " (", error.code.as_str(), ")"]));
    js.set_name("CanvasAuthError");
    set(&js, "code", error.code.as_str());
    set(&js, "description", error.description);
    if error.retry_after > 0 {
        set(&js, "retryAfter", error.retry_after);
    }
    js.into()
}

/// A CanvasAuthError with `code` and a fixed `description`.
pub(crate) fn err(code: ErrorCode, description: &str) -> JsValue {
    js_error(Error::new(code, description))
}

pub(crate) fn window() -> Result<web_sys::Window, JsValue> {
    web_sys::window().ok_or_else(|| err(ErrorCode::InvalidArgument, "CanvasAuth needs a browser window"))
}
