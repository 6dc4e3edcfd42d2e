//! The routes /session-url, /lti/token, /jwks.json (the session routes are in `routes/`), and the
//! JSON answer they share.

use crate::error::{RelayError, UpstreamStatus};
use crate::extract::{Bearer, NoQuery, OptionalJson, StrictJson};
use crate::upstream::{self, TokenOutcome};
use crate::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use canvas_oauth_core::{LtiTokenRequest, LtiTokenResponse, SessionUrlRequest};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) fn json_response(status: StatusCode, body: impl Into<bytes::Bytes>, upstream: u16) -> Response {
    let mut r = (status, [(header::CONTENT_TYPE, "application/json")], body.into()).into_response();
    r.extensions_mut().insert(UpstreamStatus(upstream));
    r
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// POST /session-url

/// The access token is checked after the body (a bad body answers 400 first).
pub(crate) async fn session_url(
    State(state): State<Arc<AppState>>,
    _: NoQuery,
    bearer: Result<Bearer, RelayError>,
    OptionalJson(req): OptionalJson<SessionUrlRequest>,
) -> Result<Response, RelayError> {
    let req = req.unwrap_or_default();
    let Bearer(access) = bearer?;
    let origin = state.config.canvas_origin();
    if let Some(rt) = &req.return_to {
        let ok = rt.len() <= 2048
            && url::Url::parse(rt).is_ok_and(|u| {
                u.origin().ascii_serialization() == origin && u.username().is_empty() && u.password().is_none()
            });
        if !ok {
            return Err(RelayError::invalid_request("return_to must be a URL on the Canvas origin"));
        }
    }
    let mut url = url::Url::parse(&format!("{origin}/login/session_token")).expect("canvas URL");
    if let Some(rt) = &req.return_to {
        url.query_pairs_mut().append_pair("return_to", rt);
    }
    let request =
        state.upstream.client.get(url.as_str()).bearer_auth(&access).header(header::ACCEPT, "application/json");
    let resp = state.upstream.send(request, 64 * 1024).await?;
    match resp.status {
        200 => {
            let session_url = serde_json::from_slice::<serde_json::Value>(&resp.body)
                .ok()
                .and_then(|v| v.get("session_url").and_then(|u| u.as_str()).map(str::to_string))
                .filter(|u| u.len() <= 8192 && u.starts_with(&format!("{origin}/")))
                .ok_or_else(|| {
                    RelayError::bad_gateway("Canvas sent an unusable session_token answer").with_upstream(200)
                })?;
            let body = serde_json::json!({ "session_url": session_url }).to_string().into_bytes();
            Ok(json_response(StatusCode::OK, body, 200))
        }
        401 => Err(RelayError::invalid_token("Canvas refused the access token").with_upstream(401)),
        403 | 429 if upstream::is_throttled(&resp) => Err(upstream::throttled(&resp)),
        403 => Err(RelayError::forbidden("Canvas refused the session URL").with_upstream(403)),
        400 => Err(RelayError::invalid_request("Canvas refused return_to").with_upstream(400)),
        s => Err(RelayError::bad_gateway("Canvas failed").with_upstream(s)),
    }
}

// ---------------------------------------------------------------------------------------------
// POST /lti/token, GET /jwks.json

/// Constant-time equality of two secrets: core's compare over their SHA-256 digests, which have
/// one length, so the secrets' lengths leak nothing either.
fn secret_eq(a: &str, b: &str) -> bool {
    canvas_oauth_core::constant_time_eq(&Sha256::digest(a.as_bytes()), &Sha256::digest(b.as_bytes()))
}

/// `/lti/token` is for the app's own server: the route exists only with both a signing key and a
/// caller token (404 otherwise: deny by default), and the caller sends
/// `Authorization: Bearer <LTI_CALLER_TOKEN>` exactly once (401 `invalid_client` otherwise).
pub(crate) struct LtiCaller;

impl FromRequestParts<Arc<AppState>> for LtiCaller {
    type Rejection = RelayError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, RelayError> {
        let (Some(_), Some(caller)) = (&state.config.lti, &state.config.lti_caller_token) else {
            return Err(RelayError::new(StatusCode::NOT_FOUND, "not_found", "LTI is not configured on this relay"));
        };
        lti_caller(&parts.headers, caller.secret()).map(|()| LtiCaller)
    }
}

fn lti_caller(headers: &HeaderMap, expected: &str) -> Result<(), RelayError> {
    let refuse = || {
        RelayError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "the LTI caller token (Authorization: Bearer) is missing or wrong",
        )
    };
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else { return Err(refuse()) };
    let presented = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).ok_or_else(refuse)?;
    if secret_eq(presented, expected) {
        Ok(())
    } else {
        Err(refuse())
    }
}

pub(crate) async fn lti_token(
    State(state): State<Arc<AppState>>,
    _: LtiCaller,
    _: NoQuery,
    StrictJson(req): StrictJson<LtiTokenRequest>,
) -> Result<Response, RelayError> {
    let lti = state.config.lti.as_ref().expect("LtiCaller found the LTI settings");
    let scope = crate::lti::check_scopes(&req.scope, &lti.scopes)
        .map_err(|why| RelayError::new(StatusCode::BAD_REQUEST, "invalid_scope", why))?;
    let aud = state.config.token_url();
    let assertion = crate::lti::sign_assertion(&lti.private_key, &lti.kid, &lti.client_id, &aud, now_secs());
    let pairs = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", assertion.as_str()),
        ("scope", scope.as_str()),
    ];
    let resp = state
        .upstream
        .send(crate::canvas::token_request(&state, &pairs), canvas_oauth_core::MAX_TOKEN_RESPONSE_BYTES)
        .await?;
    match resp.status {
        200 => {
            let parsed: LtiTokenResponse = serde_json::from_slice(&resp.body)
                .ok()
                .filter(|r: &LtiTokenResponse| {
                    !r.access_token.secret().is_empty() && r.token_type.eq_ignore_ascii_case("bearer")
                })
                .ok_or_else(|| RelayError::bad_gateway("Canvas sent an unusable token response").with_upstream(200))?;
            let body = serde_json::to_vec(&parsed).expect("serialises");
            Ok(json_response(StatusCode::OK, body, 200))
        }
        _ => match upstream::token_outcome(&resp)? {
            TokenOutcome::OAuth(e) if e.status == 400 && e.error == "invalid_scope" => {
                Err(crate::canvas::refused(StatusCode::BAD_REQUEST, "invalid_scope").with_upstream(400))
            }
            TokenOutcome::OAuth(e) => Err(upstream::misconfigured(&e)),
            TokenOutcome::Ok(_) => Err(RelayError::bad_gateway("Canvas failed").with_upstream(resp.status)),
        },
    }
}

pub(crate) async fn jwks(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let keys: Vec<serde_json::Value> =
        state.config.lti.iter().map(|l| crate::lti::public_jwk(&l.private_key, &l.kid)).collect();
    axum::Json(serde_json::json!({ "keys": keys }))
}

#[cfg(test)]
mod tests {
    use super::secret_eq;

    #[test]
    fn secrets_compare_by_value_whatever_their_lengths() {
        assert!(secret_eq("lti-caller-token", "lti-caller-token"));
        assert!(!secret_eq("lti-caller-token", "lti-caller-tokem"));
        assert!(!secret_eq("lti-caller-token", "lti-caller-token-and-more"));
        assert!(!secret_eq("", "x"));
        assert!(secret_eq("", ""));
    }
}
