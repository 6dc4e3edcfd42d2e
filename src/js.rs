//! Small helpers over js-sys for reading and writing plain JavaScript objects.

use crate::error::js_error;
use canvas_oauth_core::{Error, ErrorCode};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

pub(crate) fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

pub(crate) fn set(target: &JsValue, key: &str, value: impl Into<JsValue>) {
    // Reflect.set on a plain object or Error this module created cannot fail.
    let _ = Reflect::set(target, &key.into(), &value.into());
}

pub(crate) fn object() -> JsValue {
    Object::new().into()
}

/// An optional string field: absent (`undefined`/`null`) is `None`, another type an error.
pub(crate) fn opt_string(options: &JsValue, key: &str, code: ErrorCode) -> Result<Option<String>, JsValue> {
    let value = get(options, key);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| js_error(Error::new(code, format!("{key} must be a string"))))
}

pub(crate) fn opt_bool(options: &JsValue, key: &str, code: ErrorCode) -> Result<bool, JsValue> {
    let value = get(options, key);
    if value.is_undefined() || value.is_null() {
        return Ok(false);
    }
    value.as_bool().ok_or_else(|| js_error(Error::new(code, format!("{key} must be true or false"))))
}

/// An optional number within `range` (inclusive).
pub(crate) fn opt_number(options: &JsValue, key: &str, default: f64, range: (f64, f64)) -> Result<f64, JsValue> {
    let value = get(options, key);
    if value.is_undefined() || value.is_null() {
        return Ok(default);
    }
    match value.as_f64() {
        Some(n) if n >= range.0 && n <= range.1 => Ok(n),
        _ => Err(js_error(Error::new(
            ErrorCode::ConfigInvalid,
            format!("{key} must be a number from {} to {}", range.0 as u64, range.1 as u64),
        ))),
    }
}

/// An optional array of strings.
pub(crate) fn opt_strings(options: &JsValue, key: &str, code: ErrorCode) -> Result<Option<Vec<String>>, JsValue> {
    let value = get(options, key);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let bad = || js_error(Error::new(code, format!("{key} must be an array of strings")));
    if !js_sys::Array::is_array(&value) {
        return Err(bad());
    }
    js_sys::Array::from(&value).iter().map(|v| v.as_string().ok_or_else(bad)).collect::<Result<_, _>>().map(Some)
}

pub(crate) fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub(crate) fn window() -> Result<web_sys::Window, JsValue> {
    web_sys::window()
        .ok_or_else(|| js_error(Error::new(ErrorCode::InvalidArgument, "CanvasAuth needs a browser window")))
}
