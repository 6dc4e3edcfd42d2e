//! Calls to Canvas's token endpoint (docs/canvas.md §3, §4): code exchange, refresh and
//! revocation. The client secret is added here and nowhere else in the session routes.
//! Error descriptions are the relay's own fixed text (S5): Canvas's `error_description` is used
//! to classify, never passed on.

use crate::error::RelayError;
use crate::upstream::{self, TokenOutcome, UpstreamResponse};
use crate::AppState;
use axum::http::{header, StatusCode};
use canvas_oauth_core::RefreshToken;

/// A form POST to the token endpoint.
pub(crate) fn token_request(state: &AppState, pairs: &[(&str, &str)]) -> reqwest::RequestBuilder {
    state
        .upstream
        .client
        .post(state.config.token_url())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(serde_urlencoded::to_string(pairs).expect("string pairs encode"))
}

/// The fixed answer for an OAuth error code Canvas gave on a user-facing route (S5).
pub(crate) fn refused(status: StatusCode, code: &'static str) -> RelayError {
    let description = match code {
        "invalid_grant" => "the authorization code is invalid, expired or already used",
        "invalid_scope" => "Canvas refused the requested scopes",
        _ => "Canvas refused the request",
    };
    RelayError::new(status, code, description)
}

/// `grant_type=authorization_code` with PKCE (§3.3).
pub(crate) async fn exchange_code(
    state: &AppState,
    code: &str,
    verifier: &str,
) -> Result<UpstreamResponse, RelayError> {
    let config = &state.config;
    let pairs = [
        ("grant_type", "authorization_code"),
        ("client_id", config.client_id.as_str()),
        ("client_secret", config.client_secret.secret()),
        ("redirect_uri", config.redirect_uri.as_str()),
        ("code", code),
        ("code_verifier", verifier),
    ];
    state.upstream.send(token_request(state, &pairs), canvas_oauth_core::MAX_TOKEN_RESPONSE_BYTES).await
}

/// A finished refresh.
pub(crate) struct Refreshed {
    /// The SessionGrant JSON for the browser (shared by every caller of a coalesced refresh).
    pub body: bytes::Bytes,
    pub access_token: String,
    /// Canvas rotated the refresh token (public clients): the new one.
    pub rotated: Option<String>,
    pub upstream_status: u16,
}

/// `grant_type=refresh_token` (§3.4). A grant Canvas no longer knows is 401 invalid_grant with
/// the cookie cleared (`clear_cookie` set).
pub(crate) async fn refresh(state: &AppState, rt: &RefreshToken) -> Result<Refreshed, RelayError> {
    let config = &state.config;
    let pairs = [
        ("grant_type", "refresh_token"),
        ("client_id", config.client_id.as_str()),
        ("client_secret", config.client_secret.secret()),
        ("refresh_token", rt.secret()),
    ];
    let resp = state.upstream.send(token_request(state, &pairs), canvas_oauth_core::MAX_TOKEN_RESPONSE_BYTES).await?;
    match upstream::token_outcome(&resp)? {
        TokenOutcome::Ok(parsed) => {
            let (grant, rotated) = parsed.into_session().map_err(|_| {
                RelayError::bad_gateway("Canvas sent an unusable token response").with_upstream(resp.status)
            })?;
            let access_token = grant.access_token.as_ref().map(|t| t.secret().to_string()).ok_or_else(|| {
                RelayError::bad_gateway("Canvas refreshed without an access token").with_upstream(resp.status)
            })?;
            Ok(Refreshed {
                // Exactly its length: it may be kept for the coalescing window.
                body: serde_json::to_vec(&grant).expect("grant serialises").into_boxed_slice().into(),
                access_token,
                rotated: rotated.map(RefreshToken::into_secret),
                upstream_status: resp.status,
            })
        }
        TokenOutcome::OAuth(e) if upstream::grant_gone(&e) => Err(grant_gone(Some(e.status))),
        TokenOutcome::OAuth(e) => Err(upstream::misconfigured(&e)),
    }
}

/// 401 invalid_grant, cookie cleared: Canvas no longer knows the grant.
pub(crate) fn grant_gone(upstream_status: Option<u16>) -> RelayError {
    let e = RelayError::invalid_grant("the sign-in is no longer valid; sign in again");
    RelayError { upstream_status, ..e }
}

/// Whether a refresh failed because the grant is gone (an answer worth sharing with late callers).
pub(crate) fn is_grant_gone(e: &RelayError) -> bool {
    e.clear_cookie && e.error == "invalid_grant"
}

/// How Canvas answered a DELETE of the token (§4).
pub(crate) enum Deleted {
    /// 200: the token and its grant are gone; `forward_url` only when https (S10).
    Confirmed { forward_url: Option<String> },
    /// 401: Canvas refused the access token (expired, revoked or invalid).
    Refused,
    /// Anything else (5xx, throttled, timeout, unreachable, odd answers): not confirmed.
    NotConfirmed(RelayError),
}

pub(crate) async fn delete_token(state: &AppState, access: &str, expire_sessions: bool) -> Deleted {
    let mut url = state.config.token_url();
    if expire_sessions {
        // Canvas acts on presence (§7.12): send it only when wanted.
        url.push_str("?expire_sessions=1");
    }
    let req = state.upstream.client.delete(url).bearer_auth(access).header(header::ACCEPT, "application/json");
    let resp = match state.upstream.send(req, 64 * 1024).await {
        Ok(r) => r,
        Err(e) => return Deleted::NotConfirmed(e),
    };
    match resp.status {
        200 => Deleted::Confirmed { forward_url: forward_url(&resp.body) },
        401 => Deleted::Refused,
        403 | 429 if upstream::is_throttled(&resp) => Deleted::NotConfirmed(upstream::throttled(&resp)),
        s => Deleted::NotConfirmed(RelayError::bad_gateway("Canvas could not revoke the token").with_upstream(s)),
    }
}

#[derive(serde::Deserialize)]
struct DeleteAnswer {
    forward_url: Option<String>,
}

/// The single-logout URL Canvas gave, if it is an https URL of sane length (S10: never http).
fn forward_url(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<DeleteAnswer>(body)
        .ok()?
        .forward_url
        .filter(|u| u.len() <= 2048)
        .filter(|u| url::Url::parse(u).is_ok_and(|p| p.scheme() == "https" && p.host_str().is_some()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn forward_url_is_https_only() {
        let f = |v: serde_json::Value| super::forward_url(v.to_string().as_bytes());
        assert_eq!(
            f(serde_json::json!({"forward_url": "https://idp.example/slo"})).as_deref(),
            Some("https://idp.example/slo")
        );
        for bad in ["http://idp.example/slo", "javascript:alert(1)", "//idp.example/slo", ""] {
            assert_eq!(f(serde_json::json!({ "forward_url": bad })), None, "{bad}");
        }
        assert_eq!(f(serde_json::json!({ "forward_url": format!("https://idp.example/{}", "a".repeat(2100)) })), None);
        assert_eq!(f(serde_json::json!({})), None);
    }
}
