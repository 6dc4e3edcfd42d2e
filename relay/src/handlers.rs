//! Protocol v1 routes: /token, /refresh, /revoke, /session-url, /lti/token, /jwks.json.

use crate::error::{ClearCookie, RelayError, SetSealedCookie, UpstreamStatus};
use crate::upstream::{self, TokenOutcome};
use crate::{AppState, CookieSpec, CookieValue};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use canvas_oauth_core::{
    LtiTokenRequest, LtiTokenResponse, RefreshToken, RevokeRequest, RevokeResponse, SessionUrlRequest, TokenRequest,
};
use futures_util::future::{BoxFuture, FutureExt, Shared};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MAX_CODE_LEN: usize = 512;
const MAX_BEARER_LEN: usize = 4096;

// ---------------------------------------------------------------------------------------------
// Request parsing (R2)

/// Refuses any query string: protocol routes take their parameters in the JSON body only.
fn no_query(uri: &Uri) -> Result<(), RelayError> {
    match uri.query() {
        Some(_) => Err(RelayError::invalid_request("query parameters are not accepted on this route")),
        None => Ok(()),
    }
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

/// A JSON object body of a known shape: unknown and duplicated fields refused (serde derive with
/// `deny_unknown_fields`). `None` when the body is empty and that is allowed.
async fn json_body<T: DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    allow_empty: bool,
) -> Result<Option<T>, RelayError> {
    let bytes = read_body(headers, body, state.config.max_body, state.config.body_timeout).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if allow_empty { Ok(None) } else { Err(RelayError::invalid_request("a JSON body is required")) };
    }
    let is_json = headers
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

/// `Authorization: Bearer <token>` (RFC 6750 §2.1); nothing else.
pub(crate) fn bearer(headers: &HeaderMap) -> Result<String, RelayError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values
        .next()
        .ok_or_else(|| RelayError::invalid_token("an access token (Authorization: Bearer) is required"))?;
    if values.next().is_some() {
        return Err(RelayError::invalid_request("Authorization appears twice"));
    }
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|t| !t.is_empty() && t.len() <= MAX_BEARER_LEN && t.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| RelayError::invalid_token("the Authorization header must be Bearer <token>"))?;
    Ok(token.to_string())
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("string pairs encode")
}

fn token_request(state: &AppState, pairs: &[(&str, &str)]) -> reqwest::RequestBuilder {
    state
        .upstream
        .client
        .post(state.config.token_url())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(form(pairs))
}

fn json_response(status: StatusCode, body: Vec<u8>, upstream: u16) -> Response {
    let mut r = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    r.extensions_mut().insert(UpstreamStatus(upstream));
    r
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// POST /token

pub(crate) async fn token(
    State(state): State<Arc<AppState>>,
    Extension(_cookie): Extension<CookieSpec>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, RelayError> {
    no_query(&uri)?;
    let req: TokenRequest = json_body(&state, &headers, body, false).await?.expect("not empty");
    let code = req.code.secret();
    if code.is_empty() || code.len() > MAX_CODE_LEN || !code.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(RelayError::invalid_request("code must be 1-512 printable ASCII characters"));
    }
    let config = &state.config;
    let pairs = [
        ("grant_type", "authorization_code"),
        ("client_id", config.client_id.as_str()),
        ("client_secret", config.client_secret.secret()),
        ("redirect_uri", config.redirect_uri.as_str()),
        ("code", code),
        ("code_verifier", req.code_verifier.secret()),
    ];
    let resp = state.upstream.send(token_request(&state, &pairs), canvas_oauth_core::MAX_TOKEN_RESPONSE_BYTES).await?;
    match upstream::token_outcome(&resp)? {
        TokenOutcome::Ok(parsed) => {
            let (grant, refresh) = parsed.into_session().map_err(|_| {
                RelayError::bad_gateway("Canvas sent an unusable token response").with_upstream(resp.status)
            })?;
            let userinfo_only = grant.access_token.is_none();
            let body = serde_json::to_vec(&grant).expect("grant serialises");
            let mut r = json_response(StatusCode::OK, body, resp.status);
            match refresh {
                Some(rt) if !userinfo_only => {
                    r.extensions_mut().insert(SetSealedCookie(state.sealer.seal(&rt)));
                }
                // No refresh token (userinfo grant or a reused token): never keep an older cookie,
                // which may belong to another grant.
                _ => {
                    r.extensions_mut().insert(ClearCookie);
                }
            }
            Ok(r)
        }
        TokenOutcome::OAuth(e) => Err(match (e.status, e.error.as_str()) {
            (400, "invalid_grant") => RelayError {
                clear_cookie: false,
                ..RelayError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    e.description.clone().unwrap_or_else(|| "the authorization code is invalid or expired".into()),
                )
            },
            (400, "invalid_request") => RelayError::invalid_request(
                e.description.clone().unwrap_or_else(|| "Canvas refused the request".into()),
            ),
            (400, "invalid_scope") => {
                RelayError::new(StatusCode::BAD_REQUEST, "invalid_scope", e.description.clone().unwrap_or_default())
            }
            _ => upstream::misconfigured(&e),
        }
        .with_upstream(e.status)),
    }
}

// ---------------------------------------------------------------------------------------------
// POST /refresh, with coalescing

/// A finished refresh, shared by every caller that presented the same refresh token.
pub(crate) struct Refreshed {
    /// The SessionGrant JSON for the browser.
    body: Vec<u8>,
    access_token: String,
    /// Canvas rotated the refresh token (public clients): the new one.
    rotated: Option<String>,
    upstream_status: u16,
}

type RefreshResult = Arc<Result<Refreshed, RelayError>>;
type SharedRefresh = Shared<BoxFuture<'static, RefreshResult>>;

/// Concurrent refreshes of one refresh token within this process make one Canvas call
/// (Canvas kills the previous access token on every refresh: docs/canvas.md §7.6).
/// A finished success is shared for `refresh_coalesce_window` with late callers too.
#[derive(Default)]
pub(crate) struct Coalescer {
    inflight: Mutex<HashMap<[u8; 32], (u64, SharedRefresh)>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl Coalescer {
    /// Drops shared results that handed out this access token (it has just been revoked).
    pub(crate) fn forget_access(state: &AppState, access: &str) {
        let mut map = state.refreshes.inflight.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (_, fut)| !matches!(fut.peek().map(|r| &**r), Some(Ok(r)) if r.access_token == access));
    }

    /// Drops any shared result for this refresh token (after a revoke, it is stale).
    pub(crate) fn forget(state: &AppState, rt: &RefreshToken) {
        let key: [u8; 32] = Sha256::digest(rt.secret().as_bytes()).into();
        state.refreshes.inflight.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
    }

    pub(crate) async fn refresh(state: &Arc<AppState>, rt: RefreshToken) -> RefreshResult {
        let key: [u8; 32] = Sha256::digest(rt.secret().as_bytes()).into();
        let shared = {
            let mut map = state.refreshes.inflight.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, fut)) = map.get(&key) {
                fut.clone()
            } else {
                let id = state.refreshes.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let task_state = state.clone();
                // Spawned so a caller that goes away does not cancel the call for the others.
                let handle = tokio::spawn(async move {
                    let result = Arc::new(do_refresh(&task_state, rt).await);
                    let keep = match &*result {
                        Ok(_) => Some(task_state.config.refresh_coalesce_window),
                        Err(e) if e.clear_cookie => Some(task_state.config.refresh_coalesce_window),
                        Err(_) => None,
                    };
                    let cleanup_state = task_state.clone();
                    let remove = move || {
                        let mut map = cleanup_state.refreshes.inflight.lock().unwrap_or_else(|p| p.into_inner());
                        if map.get(&key).is_some_and(|(i, _)| *i == id) {
                            map.remove(&key);
                        }
                    };
                    match keep {
                        Some(window) => {
                            tokio::spawn(async move {
                                tokio::time::sleep(window).await;
                                remove();
                            });
                        }
                        None => remove(),
                    }
                    result
                });
                let fut: BoxFuture<'static, RefreshResult> = async move {
                    handle.await.unwrap_or_else(|_| Arc::new(Err(RelayError::bad_gateway("the refresh failed"))))
                }
                .boxed();
                let shared = fut.shared();
                map.insert(key, (id, shared.clone()));
                shared
            }
        };
        shared.await
    }
}

async fn do_refresh(state: &AppState, rt: RefreshToken) -> Result<Refreshed, RelayError> {
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
                body: serde_json::to_vec(&grant).expect("grant serialises"),
                access_token,
                rotated: rotated.map(RefreshToken::into_secret),
                upstream_status: resp.status,
            })
        }
        TokenOutcome::OAuth(e) if upstream::grant_gone(&e) => {
            Err(RelayError::invalid_grant("the sign-in is no longer valid; sign in again").with_upstream(e.status))
        }
        TokenOutcome::OAuth(e) => Err(upstream::misconfigured(&e)),
    }
}

/// The refresh token from the cookie: 401 invalid_token without one, 401 invalid_grant (cookie
/// cleared) when it does not open (tampered, foreign deployment, retired key).
/// Several cookies with our name → treated as no session, and cleared (one may be planted).
fn cookie_token(
    state: &AppState,
    cookie: &CookieSpec,
    headers: &HeaderMap,
) -> Result<(RefreshToken, bool), RelayError> {
    let sealed = match cookie.read(headers) {
        CookieValue::One(v) if !v.is_empty() => v,
        CookieValue::None | CookieValue::One(_) => return Err(RelayError::invalid_token("no session cookie")),
        CookieValue::Several => {
            return Err(RelayError {
                clear_cookie: true,
                ..RelayError::invalid_token("several session cookies were sent; sign in again")
            })
        }
    };
    let rt = state
        .sealer
        .open(sealed)
        .ok_or_else(|| RelayError::invalid_grant("the session cookie is not valid here; sign in again"))?;
    Ok((rt, state.sealer.is_stale(sealed)))
}

pub(crate) async fn refresh(
    State(state): State<Arc<AppState>>,
    Extension(cookie): Extension<CookieSpec>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, RelayError> {
    no_query(&uri)?;
    // The only accepted body is none or `{}`.
    let _: Option<Empty> = json_body(&state, &headers, body, true).await?;
    let (rt, stale) = cookie_token(&state, &cookie, &headers)?;
    let reseal = stale.then(|| state.sealer.seal(&rt));
    let result = Coalescer::refresh(&state, rt).await;
    match &*result {
        Ok(r) => {
            let mut resp = json_response(StatusCode::OK, r.body.clone(), r.upstream_status);
            if let Some(new_rt) = &r.rotated {
                resp.extensions_mut().insert(SetSealedCookie(state.sealer.seal(&RefreshToken::new(new_rt.clone()))));
            } else if let Some(v) = reseal {
                resp.extensions_mut().insert(SetSealedCookie(v));
            }
            Ok(resp)
        }
        Err(e) => Err(e.clone()),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

// ---------------------------------------------------------------------------------------------
// POST /revoke

/// Sign-out. The cookie is cleared on every outcome the handler reaches (success, Canvas failure,
/// timeout, refused token, bad request): signing out must always remove the local credential.
/// Credentials: `Authorization: Bearer` (the access token), the cookie, both, or neither.
pub(crate) async fn revoke(
    State(state): State<Arc<AppState>>,
    Extension(cookie): Extension<CookieSpec>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut resp = match revoke_inner(&state, &cookie, &uri, &headers, body).await {
        Ok(r) => r,
        Err(e) => RelayError { clear_cookie: true, ..e }.into_response(),
    };
    resp.extensions_mut().insert(ClearCookie);
    resp
}

/// What refreshing with the cookie gave, for a revoke.
enum RevokeRefresh {
    /// A fresh access token to revoke.
    Token(String),
    /// No usable cookie (none, several, or one that does not open here).
    NoCookie,
    /// Canvas says the grant is already gone.
    GrantGone(u16),
}

async fn refresh_for_revoke(
    state: &Arc<AppState>,
    cookie: &CookieSpec,
    headers: &HeaderMap,
) -> Result<RevokeRefresh, RelayError> {
    let Ok((rt, _)) = cookie_token(state, cookie, headers) else { return Ok(RevokeRefresh::NoCookie) };
    let refreshed = Coalescer::refresh(state, rt).await;
    match &*refreshed {
        Ok(r) => Ok(RevokeRefresh::Token(r.access_token.clone())),
        Err(e) if e.clear_cookie => {
            if let Ok((rt, _)) = cookie_token(state, cookie, headers) {
                Coalescer::forget(state, &rt);
            }
            Ok(RevokeRefresh::GrantGone(e.upstream_status.unwrap_or(400)))
        }
        Err(e) => Err(e.clone()),
    }
}

/// 200 `{}`: nothing (left) to revoke.
fn nothing_to_revoke(upstream: Option<u16>) -> Response {
    let mut r = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{}").into_response();
    if let Some(s) = upstream {
        r.extensions_mut().insert(UpstreamStatus(s));
    }
    r
}

async fn revoke_inner(
    state: &Arc<AppState>,
    cookie: &CookieSpec,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RelayError> {
    no_query(uri)?;
    let req: RevokeRequest = json_body(state, headers, body, true).await?.unwrap_or_default();
    let presented = match headers.get(header::AUTHORIZATION) {
        Some(_) => Some(bearer(headers)?),
        None => None,
    };
    let (access, outcome) = match presented {
        Some(access) => {
            let first = delete_token(state, &access, req.expire_sessions).await?;
            if first.status == 401 {
                // Canvas refuses to revoke an expired access token (§4): refresh with the cookie, retry.
                match refresh_for_revoke(state, cookie, headers).await? {
                    RevokeRefresh::Token(fresh) => {
                        let second = delete_token(state, &fresh, req.expire_sessions).await?;
                        (fresh, second)
                    }
                    RevokeRefresh::GrantGone(s) => return Ok(nothing_to_revoke(Some(s))),
                    RevokeRefresh::NoCookie => {
                        return Err(RelayError::invalid_token(
                            "Canvas refused the access token and there is no session cookie to refresh it",
                        )
                        .with_upstream(401));
                    }
                }
            } else {
                (access, first)
            }
        }
        // Cookie only: refresh to get an access token, then revoke that (it kills the grant).
        None => match refresh_for_revoke(state, cookie, headers).await? {
            RevokeRefresh::Token(fresh) => {
                let outcome = delete_token(state, &fresh, req.expire_sessions).await?;
                (fresh, outcome)
            }
            RevokeRefresh::GrantGone(s) => return Ok(nothing_to_revoke(Some(s))),
            // Neither token nor cookie: already signed out.
            RevokeRefresh::NoCookie => return Ok(nothing_to_revoke(None)),
        },
    };
    match outcome.status {
        200 => {
            if let Ok((rt, _)) = cookie_token(state, cookie, headers) {
                Coalescer::forget(state, &rt);
            }
            Coalescer::forget_access(state, &access);
            let forward_url = serde_json::from_slice::<serde_json::Value>(&outcome.body)
                .ok()
                .and_then(|v| v.get("forward_url").and_then(|u| u.as_str()).map(str::to_string))
                .filter(|u| u.len() <= 2048)
                .filter(|u| url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "https" | "http")));
            let body = serde_json::to_vec(&RevokeResponse { forward_url }).expect("serialises");
            Ok(json_response(StatusCode::OK, body, 200))
        }
        401 => Err(RelayError::invalid_token("Canvas refused the access token").with_upstream(401)),
        403 if upstream::is_throttled(&outcome) => Err(upstream::throttled(&outcome)),
        s => Err(RelayError::bad_gateway("Canvas could not revoke the token").with_upstream(s)),
    }
}

async fn delete_token(
    state: &AppState,
    access: &str,
    expire_sessions: bool,
) -> Result<upstream::UpstreamResponse, RelayError> {
    let mut url = state.config.token_url();
    if expire_sessions {
        // Canvas acts on presence (§7.12): send it only when wanted.
        url.push_str("?expire_sessions=1");
    }
    let req = state.upstream.client.delete(url).bearer_auth(access).header(header::ACCEPT, "application/json");
    let resp = state.upstream.send(req, 64 * 1024).await?;
    if resp.status == 403 && upstream::is_throttled(&resp) {
        return Err(upstream::throttled(&resp));
    }
    Ok(resp)
}

// ---------------------------------------------------------------------------------------------
// POST /session-url

pub(crate) async fn session_url(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, RelayError> {
    no_query(&uri)?;
    let req: SessionUrlRequest = json_body(&state, &headers, body, true).await?.unwrap_or_default();
    let access = bearer(&headers)?;
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
        403 if upstream::is_throttled(&resp) => Err(upstream::throttled(&resp)),
        403 => Err(RelayError::forbidden("Canvas refused the session URL").with_upstream(403)),
        400 => Err(RelayError::invalid_request("Canvas refused return_to").with_upstream(400)),
        s => Err(RelayError::bad_gateway("Canvas failed").with_upstream(s)),
    }
}

// ---------------------------------------------------------------------------------------------
// POST /lti/token, GET /jwks.json

/// Constant-time equality of two secrets (compares SHA-256 digests, so lengths leak nothing).
fn secret_eq(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter().zip(y.iter()).fold(0u8, |acc, (p, q)| acc | (p ^ q)) == 0
}

/// `/lti/token` is for the app's own server: `Authorization: Bearer <LTI_CALLER_TOKEN>` exactly once.
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
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, RelayError> {
    // Deny by default: without both a signing key and a caller token, the route does not exist.
    let (Some(lti), Some(caller)) = (&state.config.lti, &state.config.lti_caller_token) else {
        return Err(RelayError::new(StatusCode::NOT_FOUND, "not_found", "LTI is not configured on this relay"));
    };
    lti_caller(&headers, caller.secret())?;
    no_query(&uri)?;
    let req: LtiTokenRequest = json_body(&state, &headers, body, false).await?.expect("not empty");
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
    let resp = state.upstream.send(token_request(&state, &pairs), canvas_oauth_core::MAX_TOKEN_RESPONSE_BYTES).await?;
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
            TokenOutcome::OAuth(e) if e.status == 400 && e.error == "invalid_scope" => Err(RelayError::new(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                e.description.clone().unwrap_or_default(),
            )
            .with_upstream(400)),
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
