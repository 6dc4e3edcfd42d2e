//! What the API proxy accepts as a request body (S3, S4), decided from the headers before a byte
//! of it is read where possible: no body on GET, HEAD or DELETE; a global budget of body bytes in
//! flight; on the other methods, media types read the way Rack reads them, every `multipart/*`
//! refused, and no `_method` form field under any spelling Rack would turn into a method.

use crate::error::RelayError;
use axum::http::{header, HeaderMap, Method};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Retry-After when the budget is spent: bodies in flight finish or time out within seconds.
const BUDGET_RETRY_AFTER: u64 = 1;

/// RFC 9110 gives a body on these no meaning and it would only cost memory; Rails reads their
/// parameters (e.g. `DELETE /api/v1/courses/:id?event=delete`) from the query as well.
pub(super) fn refuse_body_on(method: &Method, headers: &HeaderMap) -> Result<(), RelayError> {
    if !matches!(*method, Method::GET | Method::HEAD | Method::DELETE) {
        return Ok(());
    }
    let declared = headers.get_all(header::CONTENT_LENGTH).iter().any(|v| v.as_bytes() != b"0");
    if declared || headers.contains_key(header::TRANSFER_ENCODING) {
        return Err(RelayError::invalid_request(format!(
            "a {method} request must not have a body; send its parameters in the query"
        )));
    }
    Ok(())
}

/// How many bytes a body may take: its declared length, the cap when it is chunked, 0 without one.
/// A declared length over the cap is refused here (413), before the budget is touched.
pub(super) fn expected_len(headers: &HeaderMap, cap: usize) -> Result<usize, RelayError> {
    match headers.get(header::CONTENT_LENGTH) {
        Some(v) => match v.to_str().ok().and_then(|v| v.parse::<u64>().ok()) {
            Some(n) if n <= cap as u64 => Ok(n as usize),
            Some(_) => Err(RelayError::too_large()),
            None => Err(RelayError::invalid_request("Content-Length is malformed")),
        },
        None if headers.contains_key(header::TRANSFER_ENCODING) => Ok(cap),
        None => Ok(0),
    }
}

/// Bytes of API request bodies the relay holds at once (`RELAY_API_BODY_BUDGET`). A body reserves
/// its expected length before it is read and keeps it until Canvas has answered; when the budget
/// is spent the request is answered 503 at once instead of waiting (S3: a memory bound that many
/// slow bodies from many addresses cannot exceed).
pub(crate) struct BodyBudget(Arc<Semaphore>);

impl BodyBudget {
    pub(crate) fn new(bytes: usize) -> Self {
        Self(Arc::new(Semaphore::new(bytes.min(u32::MAX as usize))))
    }

    pub(super) fn reserve(&self, bytes: usize) -> Result<OwnedSemaphorePermit, RelayError> {
        u32::try_from(bytes).ok().and_then(|n| self.0.clone().try_acquire_many_owned(n).ok()).ok_or_else(|| {
            RelayError::unavailable("the relay holds too many request bodies; retry shortly", BUDGET_RETRY_AFTER)
        })
    }
}

/// Whether the body must be searched for `_method` once read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BodyKind {
    /// Rack parses it as form parameters: urlencoded, or a POST without Content-Type.
    Form,
    /// Rack leaves it alone (JSON and everything else that is not a form or multipart).
    Opaque,
}

/// The media type as `Rack::MediaType.type` reads it: up to the first `;` or `,`, trimmed and
/// lower-cased (S4: `application/x-www-form-urlencoded, x` is a form to Rack). Every `multipart/*`
/// is refused: Rack parses form-data, mixed and related alike, and the relay does not.
pub(super) fn body_kind(headers: &HeaderMap) -> Result<BodyKind, RelayError> {
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    let Some(value) = values.next() else { return Ok(BodyKind::Form) };
    if values.next().is_some() {
        return Err(RelayError::invalid_request("Content-Type appears twice"));
    }
    let value = value.to_str().map_err(|_| RelayError::invalid_request("Content-Type is malformed"))?;
    let media = value.split([';', ',']).next().unwrap_or("").trim().to_ascii_lowercase();
    match media.as_str() {
        m if m.starts_with("multipart/") => {
            Err(RelayError::invalid_request("multipart bodies are not forwarded; send JSON"))
        }
        "" | "application/x-www-form-urlencoded" => Ok(BodyKind::Form),
        _ => Ok(BodyKind::Opaque),
    }
}

/// Rails' Rack::MethodOverride turns a POST into the method named by a `_method` form field,
/// which would bypass the method allow-list: a form body naming it is refused.
pub(super) fn no_method_override(kind: BodyKind, body: &[u8]) -> Result<(), RelayError> {
    if kind == BodyKind::Form && form_names(body).iter().any(|n| rack_name(n) == "_method") {
        return Err(RelayError::invalid_request("_method is not accepted in a form body"));
    }
    Ok(())
}

/// The decoded parameter names of a query or form body, split on `&` and `;` (Rack 2 splits on
/// both), `+` as space, leading spaces dropped.
pub(super) fn form_names(raw: &[u8]) -> Vec<String> {
    raw.split(|b| *b == b'&' || *b == b';')
        .filter(|p| !p.is_empty())
        .filter_map(|p| url::form_urlencoded::parse(p).next().map(|(k, _)| k.trim_start().to_string()))
        .collect()
}

/// The top-level parameter a key fills in Rack: Rack 2's `normalize_params` drops leading `[` and
/// `]` and stops at the next bracket (`[_method]`, `_method]`, `_method[x]` all fill `_method`);
/// Rack 3 stops at the first `[`. The union of both is taken.
pub(super) fn rack_name(key: &str) -> &str {
    key.trim_start_matches(['[', ']']).split(['[', ']']).next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ct(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn media_types_as_rack_reads_them() {
        for form in ["application/x-www-form-urlencoded, x", " Application/X-WWW-Form-Urlencoded ;charset=utf-8", ""] {
            assert_eq!(body_kind(&ct(form)).unwrap(), BodyKind::Form, "{form:?}");
        }
        assert_eq!(body_kind(&HeaderMap::new()).unwrap(), BodyKind::Form);
        for multi in ["multipart/form-data; boundary=x", "multipart/mixed", "Multipart/Related, x"] {
            assert!(body_kind(&ct(multi)).is_err(), "{multi}");
        }
        assert_eq!(body_kind(&ct("application/json; charset=utf-8")).unwrap(), BodyKind::Opaque);
    }

    #[test]
    fn method_override_names() {
        let names = form_names(b"a=1&%5Fmethod=DELETE; b=2;+_method[x]=y");
        assert_eq!(names, vec!["a", "_method", "b", "_method[x]"]);
        for key in ["_method", "_method[]", "[_method]", "]]_method", "_method]", "[_method][x]"] {
            assert_eq!(rack_name(key), "_method", "{key}");
        }
        for key in ["_methods", "x_method", "x[_method]"] {
            assert_ne!(rack_name(key), "_method", "{key}");
        }
    }
}
