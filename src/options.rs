//! Reading the option objects and arguments JavaScript passes in: a wrong type is a
//! CanvasAuthError naming the field, never a trap.

use crate::error::Failure;
use crate::js::get;
use canvas_oauth_core::{concat, decimal, Error, ErrorCode};
use wasm_bindgen::prelude::*;

/// An optional string field: absent (`undefined`/`null`) is `None`, another type an error.
pub(crate) fn opt_string(options: &JsValue, key: &str, code: ErrorCode) -> Result<Option<String>, Failure> {
    let value = get(options, key);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| Error::new(code, concat(&[key, " must be a string"])).into())
}

pub(crate) fn opt_bool(options: &JsValue, key: &str, code: ErrorCode) -> Result<bool, Failure> {
    let value = get(options, key);
    if value.is_undefined() || value.is_null() {
        return Ok(false);
    }
    value.as_bool().ok_or_else(|| Error::new(code, concat(&[key, " must be true or false"])).into())
}

/// An optional number within `range` (inclusive).
pub(crate) fn opt_number(options: &JsValue, key: &str, default: f64, range: (f64, f64)) -> Result<f64, Failure> {
    let value = get(options, key);
    if value.is_undefined() || value.is_null() {
        return Ok(default);
    }
    match value.as_f64() {
        Some(n) if n >= range.0 && n <= range.1 => Ok(n),
        _ => Err(Error::new(
            ErrorCode::ConfigInvalid,
            concat(&[key, " must be a number from ", &decimal(range.0 as u64), " to ", &decimal(range.1 as u64)]),
        )
        .into()),
    }
}

/// An optional array of strings.
pub(crate) fn opt_strings(options: &JsValue, key: &str, code: ErrorCode) -> Result<Option<Vec<String>>, Failure> {
    let value = get(options, key);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let bad = || Failure::from(Error::new(code, concat(&[key, " must be an array of strings"])));
    if !js_sys::Array::is_array(&value) {
        return Err(bad());
    }
    js_sys::Array::from(&value).iter().map(|v| v.as_string().ok_or_else(bad)).collect::<Result<_, _>>().map(Some)
}

/// A string argument, or a CanvasAuthError naming it. `URL` objects are read through `href`.
pub(crate) fn string_arg(value: &JsValue, name: &str) -> Result<String, Failure> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if value.is_object() {
        if let Some(href) = get(value, "href").as_string() {
            return Ok(href);
        }
    }
    Err(Error::new(ErrorCode::InvalidArgument, concat(&[name, " must be a string"])).into())
}
