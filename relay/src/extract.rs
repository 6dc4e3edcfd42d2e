//! Request parsing as axum extractors (R2). Each refuses with the relay's OAuth error body. Axum
//! runs a handler's extractors in argument order, the body extractor last, so the argument order
//! is the order of the checks (a handler takes `Result<Bearer, _>` to check the token after the body).

use crate::cookie::CookieValue;
use crate::error::RelayError;
use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

const MAX_BEARER_LEN: usize = 4096;

/// Refuses any query string: protocol routes take their parameters in the JSON body only.
pub(crate) struct NoQuery;

impl<S: Sync> FromRequestParts<S> for NoQuery {
    type Rejection = RelayError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, RelayError> {
        match parts.uri.query() {
            Some(_) => Err(RelayError::invalid_request("query parameters are not accepted on this route")),
            None => Ok(NoQuery),
        }
    }
}

/// A JSON object body of a known shape (`RELAY_MAX_BODY`, `RELAY_BODY_TIMEOUT_MS`): unknown and
/// duplicated fields refused (serde derive with `deny_unknown_fields`); an empty body refused.
pub(crate) struct StrictJson<T>(pub T);

/// Like [`StrictJson`], but an empty (or all-white-space) body is `None`.
pub(crate) struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for StrictJson<T> {
    type Rejection = RelayError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, RelayError> {
        json_object(req, state)
            .await?
            .map(StrictJson)
            .ok_or_else(|| RelayError::invalid_request("a JSON body is required"))
    }
}

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for OptionalJson<T> {
    type Rejection = RelayError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, RelayError> {
        json_object(req, state).await.map(OptionalJson)
    }
}

async fn json_object<T: DeserializeOwned>(req: Request, state: &AppState) -> Result<Option<T>, RelayError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(&parts.headers, body, state.config.max_body, state.config.body_timeout).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(RelayError::invalid_request("Content-Type must be application/json"));
    }
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(RelayError::invalid_request("the body must be a JSON object"));
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|_| RelayError::invalid_request("the body has an unknown, duplicated, missing or malformed field"))
}

/// The whole body, at most `limit` bytes (413) and within `deadline` (408: a client that declares a
/// Content-Length and then trickles or stalls must not hold the connection forever).
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    deadline: Duration,
) -> Result<bytes::Bytes, RelayError> {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(RelayError::too_large());
    }
    match tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await {
        Ok(read) => read.map_err(|_| RelayError::too_large()),
        Err(_) => Err(RelayError::body_timeout()),
    }
}

/// `Authorization: Bearer <token>` (RFC 6750 §2.1), exactly once; nothing else. As `Option<Bearer>`,
/// no Authorization header at all is `None` (a malformed one is still refused).
pub(crate) struct Bearer(pub String);

impl<S: Sync> FromRequestParts<S> for Bearer {
    type Rejection = RelayError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, RelayError> {
        let found = <Self as OptionalFromRequestParts<S>>::from_request_parts(parts, state).await?;
        found.ok_or_else(|| RelayError::invalid_token("an access token (Authorization: Bearer) is required"))
    }
}

impl<S: Sync> OptionalFromRequestParts<S> for Bearer {
    type Rejection = RelayError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, RelayError> {
        let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
        let Some(value) = values.next() else { return Ok(None) };
        if values.next().is_some() {
            return Err(RelayError::invalid_request("Authorization appears twice"));
        }
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|t| !t.is_empty() && t.len() <= MAX_BEARER_LEN && t.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| RelayError::invalid_token("the Authorization header must be Bearer <token>"))?;
        Ok(Some(Bearer(token.to_string())))
    }
}

/// The request's session cookie as sent (opened later by `routes::open_cookie`, so that a bad body
/// is reported before a missing session). Several cookies with our name count as no session.
pub(crate) struct SessionCookie(pub CookieValue);

impl FromRequestParts<Arc<AppState>> for SessionCookie {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        Ok(SessionCookie(state.cookie.read(&parts.headers)))
    }
}
