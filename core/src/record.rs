//! Untrusted structured input — relay answers, sessionStorage entries, messages from other
//! tabs — as the decoders see it. The caller adapts its own object type (a JavaScript object
//! in the browser, `serde_json::Value` natively) to [`Record`]; core decides what is valid.
//! Objects stay opaque `R` values, so a decoder can keep one (Canvas's `user`) unconverted.

use crate::authorize::normalize_scopes;
use crate::error::{Error, ErrorCode};
use alloc::string::String;
use alloc::vec::Vec;

/// One field's value. `Other` is anything else a JavaScript value can be (a function, a
/// symbol, a BigInt): never valid where a decoder expects data.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<R> {
    /// No such field (`undefined`).
    Missing,
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Any number, NaN and ±∞ included: decoders check.
    Number(f64),
    /// A string.
    Text(String),
    /// An array, its items read the same way.
    List(Vec<Value<R>>),
    /// A nested object, left in the caller's type.
    Object(R),
    /// Anything else (see above).
    Other,
}

/// An object whose fields can be read by name.
pub trait Record: Sized {
    /// The field `key`, or [`Value::Missing`].
    fn get(&self, key: &str) -> Value<Self>;
}

impl<R> Value<R> {
    /// `undefined` or `null`: an optional field left out.
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Missing | Self::Null)
    }

    /// The string, if it is one.
    pub fn into_text(self) -> Option<String> {
        match self {
            Self::Text(text) => Some(text),
            _ => None,
        }
    }

    /// A finite number, or absent (`Ok(None)`); NaN, ±∞ and other types are `invalid()`.
    pub fn finite_or_absent(&self, invalid: impl Fn() -> Error) -> Result<Option<f64>, Error> {
        match self {
            v if v.is_absent() => Ok(None),
            Self::Number(n) if n.is_finite() => Ok(Some(*n)),
            _ => Err(invalid()),
        }
    }

    /// Text or absent; other types are `invalid()`.
    pub fn text_or_absent(self, invalid: impl Fn() -> Error) -> Result<Option<String>, Error> {
        match self {
            v if v.is_absent() => Ok(None),
            Self::Text(text) => Ok(Some(text)),
            _ => Err(invalid()),
        }
    }
}

/// A list of scopes, each checked like configured ones ([`normalize_scopes`]); absent is none.
pub(crate) fn scopes_of<R>(value: Value<R>, invalid: impl Fn() -> Error) -> Result<Vec<String>, Error> {
    let items = match value {
        v if v.is_absent() => return Ok(Vec::new()),
        Value::List(items) => items,
        _ => return Err(invalid()),
    };
    let texts: Option<Vec<String>> = items.into_iter().map(Value::into_text).collect();
    normalize_scopes(&texts.ok_or_else(&invalid)?).map_err(|_| invalid())
}

/// Canvas's `user`: an object with an integer `id` (§7.10); the object is kept as it is.
pub(crate) fn user_of<R: Record>(value: Value<R>) -> Option<R> {
    match value {
        Value::Object(user) => match user.get("id") {
            Value::Number(id) if id.is_finite() && id.fract() == 0.0 => Some(user),
            _ => None,
        },
        _ => None,
    }
}

/// An id of a cross-tab question or claim: 1 to 64 printable ASCII characters.
pub(crate) fn id_of<R>(value: Value<R>) -> Option<String> {
    value.into_text().filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()))
}

pub(crate) fn invalid(what: &'static str) -> impl Fn() -> Error {
    move || Error::new(ErrorCode::InvalidResponse, what)
}

#[cfg(any(test, feature = "json"))]
impl Record for serde_json::Value {
    fn get(&self, key: &str) -> Value<Self> {
        serde_json::Value::get(self, key).map_or(Value::Missing, from_json)
    }
}

#[cfg(any(test, feature = "json"))]
fn from_json(value: &serde_json::Value) -> Value<serde_json::Value> {
    use serde_json::Value as J;
    match value {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => n.as_f64().map_or(Value::Other, Value::Number),
        J::String(s) => Value::Text(s.clone()),
        J::Array(items) => Value::List(items.iter().map(from_json).collect()),
        J::Object(_) => Value::Object(value.clone()),
    }
}
