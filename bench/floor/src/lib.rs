//! A measurement, not shipped (built by `bench/floor/build.sh`, measured by bench/size.mjs;
//! BENCHMARKS.md "The floor"): core's browser decisions alone, one wasm export each, with nothing
//! of the library's driver — no state, no futures, no timers, no fetch, no storage. It is what the
//! package would weigh if every await, listener and option check moved to JavaScript and Rust were
//! called once per decision: what a wasm core of today's `core/` costs, whatever drives it.
//!
//! Each export is what such a driver would call where `src/` calls core today: options, starting
//! a sign-in, the callback check, the grant, relay errors and what they mean for the session,
//! peer messages, API paths and `Link`, throttling, GraphQL, sign-out, the popup, and the free
//! functions. Answers are plain objects; errors `{ code, description }`.

mod session;
mod signin;

use canvas_oauth_core::{Error, Record, Value};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

type Answer<T> = Result<T, JsValue>;

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn set(target: &JsValue, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(target, &key.into(), &value.into());
}

fn object() -> JsValue {
    Object::new().into()
}

fn failure(error: Error) -> JsValue {
    let out = object();
    set(&out, "code", error.code.as_str());
    set(&out, "description", error.description);
    if error.retry_after > 0 {
        set(&out, "retryAfter", error.retry_after);
    }
    out
}

fn strings(values: &[String]) -> Array {
    values.iter().map(|s| JsValue::from(s.as_str())).collect()
}

/// The library's reader of untrusted JS values (src/js.rs), repeated: the floor cannot link
/// src/ without its exports.
#[derive(Clone)]
struct Js(JsValue);

impl Record for Js {
    fn get(&self, key: &str) -> Value<Self> {
        let value = get(&self.0, key);
        if !Array::is_array(&value) {
            return scalar_of(value);
        }
        let items = Array::from(&value);
        if items.length() > 4096 {
            return Value::Other;
        }
        Value::List(items.iter().map(|v| if Array::is_array(&v) { Value::Other } else { scalar_of(v) }).collect())
    }
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
