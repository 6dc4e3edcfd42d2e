//! Small helpers over js-sys: plain objects, promises, and core's [`Record`] view of a
//! JavaScript value. It knows CanvasAuthError only as
//! [`Failure`], which `promise` turns into the rejection.

use crate::error::Failure;
use canvas_oauth_core::{Record, Value};
use js_sys::{Array, Object, Promise, Reflect};
use std::future::Future;
use std::pin::Pin;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

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

pub(crate) fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Runs an async block as a Promise; a [`Failure`] becomes its rejection here, at the boundary.
/// Boxed so that `future_to_promise` and `settle` are compiled once, not once per async method.
pub(crate) fn promise<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue, Failure>> + 'static,
{
    future_to_promise(settle(Box::pin(future)))
}

async fn settle(future: Pin<Box<dyn Future<Output = Result<JsValue, Failure>>>>) -> Result<JsValue, JsValue> {
    future.await.map_err(JsValue::from)
}

/// A JavaScript value read by core's decoders (relay answers, storage entries, messages).
#[derive(Clone)]
pub(crate) struct Js(pub JsValue);

impl Record for Js {
    fn get(&self, key: &str) -> Value<Self> {
        value_of(get(&self.0, key))
    }
}

/// Longest array read as a list; no field the decoders read is longer (scopes).
const MAX_LIST: u32 = 4096;

fn value_of(value: JsValue) -> Value<Js> {
    if Array::is_array(&value) {
        // One level only, and bounded: a message can hold an array that contains itself
        // (structured clone keeps cycles) or millions of items; neither may trap or stall us.
        let items = Array::from(&value);
        if items.length() > MAX_LIST {
            return Value::Other;
        }
        return Value::List(
            items.iter().map(|v| if Array::is_array(&v) { Value::Other } else { scalar_of(v) }).collect(),
        );
    }
    scalar_of(value)
}

fn scalar_of(value: JsValue) -> Value<Js> {
    if value.is_undefined() {
        Value::Missing
    } else if value.is_null() {
        Value::Null
    } else if let Some(b) = value.as_bool() {
        Value::Bool(b)
    } else if let Some(n) = value.as_f64() {
        Value::Number(n)
    } else if let Some(text) = value.as_string() {
        Value::Text(text)
    } else if value.is_object() {
        Value::Object(Js(value))
    } else {
        Value::Other
    }
}
