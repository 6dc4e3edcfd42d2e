//! `POST /api/graphql`: Canvas's GraphQL, served only when `RELAY_API_ALLOW` has
//! `POST:/api/graphql`. The whole body is read and checked before anything is forwarded:
//! `application/json`, at most `RELAY_MAX_GRAPHQL_BODY` bytes, one JSON object with `query` (a
//! non-empty string), `variables` (an object or null) and `operationName` (a string or null), and
//! no other key. Anything else is 400 `invalid_request`. Canvas gets the Bearer token,
//! `Content-Type: application/json` and the checked body, re-serialized: no cookie, no other
//! browser header, no query string (R1, R7). Its answer passes as the API proxy's does.

use super::{body, passed_on, respond};
use crate::config::GRAPHQL_PATH;
use crate::error::RelayError;
use crate::extract::{read_body, Bearer};
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The body as GraphQL-over-HTTP defines it, and nothing more. Duplicate keys are refused too.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct GraphqlBody {
    query: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    variables: Option<Map<String, Value>>,
    #[serde(default, rename = "operationName", skip_serializing_if = "Option::is_none")]
    operation_name: Option<String>,
}

/// The descriptions are fixed text: nothing of the caller's body is echoed.
const NOT_JSON: &str = "the GraphQL body is not JSON";
const WRONG_SHAPE: &str = "the GraphQL body must be a JSON object with query (a string), variables (an object or \
                           null) and operationName (a string or null), and no other key";

pub(crate) async fn graphql(
    State(state): State<Arc<AppState>>,
    Bearer(token): Bearer,
    req: Request,
) -> Result<Response, RelayError> {
    let (parts, body) = req.into_parts();
    if parts.uri.query().is_some() {
        return Err(RelayError::invalid_request("the GraphQL route takes no query string"));
    }
    json_only(&parts.headers)?;
    let cap = state.config.max_graphql_body;
    let expected = body::expected_len(&parts.headers, cap).map_err(|e| oversized(e, cap))?;
    let _reserved = state.api_bodies.reserve(expected)?;
    let bytes = read_body(&parts.headers, body, cap, state.config.body_timeout).await.map_err(|e| oversized(e, cap))?;
    let checked: GraphqlBody = serde_json::from_slice(&bytes).map_err(|e| {
        RelayError::invalid_request(if e.classify() == serde_json::error::Category::Data {
            WRONG_SHAPE
        } else {
            NOT_JSON
        })
    })?;
    if checked.query.trim().is_empty() {
        return Err(RelayError::invalid_request("the GraphQL query is empty"));
    }
    let forwarded = serde_json::to_vec(&checked).map_err(|_| RelayError::invalid_request(NOT_JSON))?;

    let url = format!("{}{GRAPHQL_PATH}", state.config.canvas_origin());
    let out = state
        .upstream
        .client
        .post(url)
        .header(header::AUTHORIZATION.as_str(), format!("Bearer {token}"))
        .header(header::CONTENT_TYPE.as_str(), "application/json")
        .body(forwarded);
    let resp = state.upstream.send(out, state.config.max_api_response).await?;
    match passed_on(&resp) {
        Ok((status, headers)) => Ok(respond(status, headers, resp)),
        Err(refusal) => Ok(*refusal),
    }
}

/// `application/json`, parameters allowed (`; charset=utf-8`), exactly one Content-Type.
fn json_only(headers: &HeaderMap) -> Result<(), RelayError> {
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    let media = match (values.next(), values.next()) {
        (Some(v), None) => v.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase(),
        _ => String::new(),
    };
    if media != "application/json" {
        return Err(RelayError::invalid_request("the GraphQL body must be Content-Type: application/json"));
    }
    Ok(())
}

/// An oversized GraphQL body is a 400 like every other bad GraphQL body (docs/protocol.md).
fn oversized(error: RelayError, cap: usize) -> RelayError {
    if error.status == StatusCode::PAYLOAD_TOO_LARGE {
        return RelayError::invalid_request(format!("the GraphQL body is larger than {cap} bytes"));
    }
    error
}
