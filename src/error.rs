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

/// Why a call failed, inside the driver. It stays a Rust value until an exported function
/// returns it: only there does `From<Failure> for JsValue` make it the thrown JavaScript value.
/// Boxed: one pointer through every future's `Result` (the unboxed enum cost ~4 KB of wasm).
#[derive(Clone)]
pub(crate) struct Failure(Box<Kind>);

#[derive(Clone)]
enum Kind {
    /// Ours: thrown as a CanvasAuthError.
    Auth(Error),
    /// A `graphql_error`, with Canvas's `errors` and partial `data` as Canvas sent them.
    Graphql { error: Error, errors: JsValue, data: JsValue },
    /// A JavaScript exception passed on as it is: the caller's own abort reason, or what the
    /// platform threw for the caller's own arguments (a `RequestInit` it cannot use).
    Js(JsValue),
}

impl Failure {
    /// A `graphql_error` carrying Canvas's `errors` and `data`.
    pub fn graphql(error: Error, errors: JsValue, data: JsValue) -> Self {
        Failure(Box::new(Kind::Graphql { error, errors, data }))
    }

    /// The stable code, when the failure is ours.
    pub fn code(&self) -> Option<ErrorCode> {
        match &*self.0 {
            Kind::Auth(error) | Kind::Graphql { error, .. } => Some(error.code),
            Kind::Js(_) => None,
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure(Box::new(Kind::Auth(error)))
    }
}

impl From<JsValue> for Failure {
    fn from(thrown: JsValue) -> Self {
        Failure(Box::new(Kind::Js(thrown)))
    }
}

impl From<Failure> for JsValue {
    fn from(failure: Failure) -> Self {
        match *failure.0 {
            Kind::Auth(error) => js_error(error),
            Kind::Graphql { error, errors, data } => {
                let thrown = js_error(error);
                set(&thrown, "errors", errors);
                set(&thrown, "data", data);
                thrown
            }
            Kind::Js(thrown) => thrown,
        }
    }
}

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
pub(crate) fn err(code: ErrorCode, description: &str) -> Failure {
    Error::new(code, description).into()
}

pub(crate) fn window() -> Result<web_sys::Window, Failure> {
    web_sys::window().ok_or_else(|| err(ErrorCode::InvalidArgument, "CanvasAuth needs a browser window"))
}
