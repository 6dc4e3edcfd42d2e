//! POST/DELETE /login/oauth2/token (§3, §4), GET /login/session_token (§5), GET /login/oauth2/jwks.

use crate::jwt;
use crate::oauth::{find_reusable, invalid_scope_description, missing_scopes};
use crate::seed::{ClientType, DeveloperKey};
use crate::state::{html, json_resp, oauth_error, read_req, redirect, App, AppRef, Inner, Req, Stats};
use crate::store::{AccessToken, NewToken, TokenId};
use crate::util::{b64url, now_ms, now_secs, parse_url, random_slug, uuid_v4};
use crate::Behaviour;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// `RequestError :invalid_grant` text (seen in NEXT; used for PKCE failures in both modes).
pub const INVALID_GRANT_DESC: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";

fn bad(error: &str, desc: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, error, desc)
}

/// POST /login/oauth2/token.
pub async fn token(State(app): State<AppRef>, req: Request) -> Response {
    Stats::bump(&app.stats.token_requests);
    let req = read_req(req).await;
    let grant_type = match req.param("grant_type") {
        Some(g) => g.to_string(),
        None if req.param("code").is_some() => "authorization_code".into(),
        None => String::new(),
    };
    match grant_type.as_str() {
        "authorization_code" => authorization_code(&app, &req),
        "refresh_token" => {
            Stats::bump(&app.stats.refresh_requests);
            refresh_token(&app, &req)
        }
        "client_credentials" => client_credentials(&app, &req).await,
        _ => bad("unsupported_grant_type", "The grant_type you requested is not currently supported"),
    }
}

/// `BaseType` client validation: body params win, HTTP Basic fills in per field.
fn authenticate_client<'a>(app: &'a App, req: &Req, allow_public: bool) -> Result<&'a DeveloperKey, Response> {
    let basic = req.basic();
    let client_id = req.present("client_id").map(str::to_string).or_else(|| basic.as_ref().map(|b| b.0.clone()));
    let secret = req.present("client_secret").map(str::to_string).or_else(|| basic.as_ref().map(|b| b.1.clone()));
    let Some(key) = app.find_active_key(client_id.as_deref()) else {
        return Err(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client"));
    };
    let blank = secret.as_deref().is_none_or(|s| s.trim().is_empty());
    if allow_public && key.client_type == ClientType::Public && blank {
        return Ok(key);
    }
    if secret.as_deref() == Some(key.api_key.as_str()) {
        Ok(key)
    } else {
        Err(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "invalid client"))
    }
}

fn user_json(app: &App, user_id: u64) -> Value {
    let u = app.user(user_id);
    json!({
        "id": user_id,
        "name": u.map(|u| u.name.clone()).unwrap_or_default(),
        "global_id": (10_000_000_000_000u64 + user_id).to_string(),
        "effective_locale": u.and_then(|u| u.locale.clone()).unwrap_or_else(|| "en".into()),
        "fake_student": false,
    })
}

fn new_secret() -> String {
    format!("1~{}", random_slug(64))
}

fn expires_in(t: &AccessToken, key: &DeveloperKey) -> Option<i64> {
    let exp = t.expires_at_ms.filter(|_| key.auto_expire_tokens)?;
    Some(((exp as i64 - now_ms() as i64) as f64 / 1000.0).round() as i64)
}

/// `Token#as_json`.
fn token_json(app: &App, t: &AccessToken, key: &DeveloperKey, refresh: Option<&str>) -> Value {
    let mut v = json!({
        "access_token": t.access(),
        "token_type": "Bearer",
        "user": user_json(app, t.user_id),
        "canvas_region": app.config.seed.settings.canvas_region,
    });
    if let Some(r) = refresh {
        v["refresh_token"] = json!(r);
    }
    if let Some(e) = expires_in(t, key) {
        v["expires_in"] = json!(e);
    }
    v
}

fn permanent_expiry(app: &App, key: &DeveloperKey, user_id: u64) -> Option<u64> {
    let s = &app.config.seed.settings;
    if key.client_type == ClientType::Public {
        return Some(now_ms() + s.public_client_token_ttl_secs * 1000);
    }
    if app.user(user_id).is_some_and(|u| u.site_admin) {
        return Some(now_ms() + s.site_admin_access_token_expires_in_secs * 1000);
    }
    None
}

fn hourly_expiry(app: &App, key: &DeveloperKey) -> Option<u64> {
    key.auto_expire_tokens.then(|| now_ms() + app.config.access_token_ttl.as_millis() as u64)
}

/// grant_type=authorization_code (§3.3, §3.8).
fn authorization_code(app: &App, req: &Req) -> Response {
    let mut inner = app.lock();
    inner.sweep();
    let code = req.param("code");
    let forced = app.config.behaviour == Behaviour::Next && code.is_some_and(|c| inner.pkce.contains_key(c));
    let pkce = req.param("code_verifier").is_some() || forced;
    let key = match authenticate_client(app, req, pkce) {
        Ok(k) => k,
        Err(r) => return r,
    };
    if pkce {
        let challenge = code.and_then(|c| inner.pkce.remove(c)).filter(|(_, exp)| *exp > now_ms()).map(|(c, _)| c);
        let computed = req.param("code_verifier").map(|v| b64url(&Sha256::digest(v.as_bytes())));
        if challenge.is_none() || challenge != computed {
            return bad("invalid_grant", INVALID_GRANT_DESC);
        }
    }
    let Some(code) = code else {
        return bad(
            "invalid_request",
            "You must provide the code parameter when using the authorization_code grant type",
        );
    };
    let Some(data) = inner.codes.get(code).filter(|d| d.expires_ms > now_ms()).cloned() else {
        return bad("invalid_grant", "authorization_code not found");
    };
    if data.client_id != key.id {
        return bad("invalid_grant", "incorrect client");
    }
    inner.codes.remove(code);
    inner.pkce.remove(code);
    if req.param("replace_tokens").is_some_and(|v| !matches!(v, "" | "0" | "false")) || key.replace_tokens {
        for t in inner.tokens.iter_mut().filter(|t| t.key_id == key.id && t.user_id == data.user_id) {
            t.deleted = true;
        }
    }
    let body = create_access_token(app, &mut inner, key, data.user_id, data.scopes, data.purpose, data.remember_access);
    json_resp(StatusCode::OK, &body)
}

/// `Token#create_access_token_if_needed` and the response body.
fn create_access_token(
    app: &App,
    inner: &mut Inner,
    key: &DeveloperKey,
    user_id: u64,
    scopes: Vec<String>,
    purpose: Option<String>,
    remember_access: bool,
) -> Value {
    if let Some(i) = find_reusable(app, inner, key, user_id, &scopes, purpose.as_deref()) {
        if inner.tokens.get(i).access().is_some() {
            inner.tokens.set_access(i, Some(new_secret()));
            inner.tokens.get_mut(i).expires_at_ms = hourly_expiry(app, key);
        }
        return token_json(app, inner.tokens.get(i), key, None);
    }
    let userinfo = scopes.iter().any(|s| s.ends_with("userinfo"));
    let refresh = new_secret();
    let new = NewToken {
        key_id: key.id,
        user_id,
        scopes,
        purpose: purpose.unwrap_or_else(|| key.name.clone()),
        remember_access,
        expires_at_ms: hourly_expiry(app, key),
        permanent_expires_at_ms: permanent_expiry(app, key, user_id),
    };
    let i = inner.tokens.insert(new, (!userinfo).then(new_secret), Some(refresh.clone()));
    token_json(app, inner.tokens.get(i), key, (!userinfo).then_some(refresh.as_str()))
}

/// grant_type=refresh_token (§3.4).
fn refresh_token(app: &App, req: &Req) -> Response {
    let key = match authenticate_client(app, req, true) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let Some(rt) = req.param("refresh_token") else {
        return bad(
            "invalid_request",
            "You must provide the refresh_token parameter when using the refresh_token grant type",
        );
    };
    let mut inner = app.lock();
    let now = now_ms();
    let found = inner.tokens.by_refresh(rt).filter(|&i| {
        let t = inner.tokens.get(i);
        !t.deleted
            && t.permanent_expires_at_ms.is_none_or(|p| p > now)
            && app.key_by_id(t.key_id).is_some_and(|k| k.active)
            && app.user(t.user_id).is_some()
    });
    let Some(i) = found else {
        let error = if app.config.behaviour == Behaviour::Next { "invalid_grant" } else { "invalid_request" };
        return bad(error, "refresh_token not found");
    };
    if inner.tokens.get(i).key_id != key.id {
        return bad("invalid_grant", "incorrect client");
    }
    let public = key.client_type == ClientType::Public;
    let new_refresh = public.then(new_secret);
    if public {
        let perm = permanent_expiry(app, key, inner.tokens.get(i).user_id);
        inner.tokens.get_mut(i).permanent_expires_at_ms = perm;
        inner.tokens.set_refresh(i, new_refresh.clone());
    }
    inner.tokens.set_access(i, Some(new_secret()));
    inner.tokens.get_mut(i).expires_at_ms = hourly_expiry(app, key);
    json_resp(StatusCode::OK, &token_json(app, inner.tokens.get(i), key, new_refresh.as_deref()))
}

/// grant_type=client_credentials (§3.5). HTTP Basic is ignored.
async fn client_credentials(app: &App, req: &Req) -> Response {
    let key = if req.param("client_assertion_type") == Some(JWT_BEARER) {
        let jws = jwt::decode_unverified(req.param("client_assertion").unwrap_or(""));
        let sub = jws.as_ref().and_then(|j| match j.claims.get("sub") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        });
        let Some(key) = app.find_active_key(sub.as_deref()) else {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client");
        };
        let jws = jws.expect("sub came from it");
        let errors = verify_assertion(key, &jws, req).await;
        if !errors.is_empty() {
            return bad("invalid_request", &errors.join(" | "));
        }
        key
    } else {
        let Some(key) = app.find_active_key(req.present("client_id")) else {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client");
        };
        if req.param("client_secret") != Some(key.api_key.as_str()) {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "invalid client");
        }
        if key.client_credentials_audience.as_deref() != Some("external") {
            return bad("invalid_request", "assertion method not supported for this grant_type");
        }
        key
    };
    let scopes: Vec<String> =
        req.param("scope").or(req.param("scopes")).unwrap_or("").split_whitespace().map(str::to_string).collect();
    let missing = missing_scopes(key, &scopes);
    if scopes.is_empty() || !missing.is_empty() {
        return bad("invalid_scope", &invalid_scope_description(&missing));
    }
    let iat = now_secs();
    let scope = scopes.join(" ");
    let claims = json!({
        "iss": app.config.seed.settings.lti_iss,
        "sub": key.id.to_string(),
        "aud": format!("{}/login/oauth2/token", req.origin()),
        "iat": iat,
        "exp": iat + 3600,
        "jti": uuid_v4(),
        "scopes": scope,
    });
    let access_token = if key.client_credentials_audience.as_deref() == Some("external") {
        jwt::sign_rs256(&claims, &app.signing_key, Some(&app.signing_kid))
    } else {
        jwt::sign_hs256(&claims, &app.internal_secret)
    };
    json_resp(
        StatusCode::OK,
        &json!({"access_token": access_token, "token_type": "Bearer", "expires_in": 3600, "scope": scope}),
    )
}

/// `AsymmetricClientCredentialsProvider` + `JwtValidator` messages.
async fn verify_assertion(key: &DeveloperKey, jws: &jwt::Jws, req: &Req) -> Vec<String> {
    const SIG: &str = "JWS signature invalid.";
    if let Some(jwk) = &key.public_jwk {
        let ok = jwt::rsa_from_jwk(jwk).is_some_and(|k| jwt::verify_rs256(jws, &k));
        if !ok {
            return vec![SIG.into()];
        }
    } else if let Some(url) = &key.public_jwk_url {
        let set: Value = match crate::http::get(url).await {
            Err(e) => return vec![format!("JWK Error: {e}")],
            Ok((_, body)) => match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(_) => return vec!["JWK Error: Invalid JSON".into()],
            },
        };
        let kid = jws.header.get("kid").and_then(Value::as_str);
        let found = set
            .get("keys")
            .and_then(Value::as_array)
            .and_then(|keys| keys.iter().find(|k| kid.is_some() && k.get("kid").and_then(Value::as_str) == kid));
        let Some(jwk) = found else {
            return vec!["JWK Error: JSON::JWK::Set::KidNotFound".into()];
        };
        if !jwt::rsa_from_jwk(jwk).is_some_and(|k| jwt::verify_rs256(jws, &k)) {
            return vec![SIG.into()];
        }
    } else {
        return vec![SIG.into()];
    }
    let c = &jws.claims;
    let missing: Vec<&str> = ["sub", "aud", "exp", "iat", "jti", "iss"]
        .into_iter()
        .filter(|k| c.get(*k).is_none_or(Value::is_null))
        .collect();
    if !missing.is_empty() {
        return vec![format!("the following assertions are missing: {}", missing.join(", "))];
    }
    let mut errors = Vec::new();
    let expected = format!("{}/login/oauth2/token", req.origin());
    let aud_ok = match &c["aud"] {
        Value::String(s) => *s == expected,
        Value::Array(a) => a.iter().any(|v| v.as_str() == Some(expected.as_str())),
        _ => false,
    };
    if !aud_ok {
        errors.push("the 'aud' is invalid".to_string());
    }
    let now = now_ms() as f64 / 1000.0;
    match c["exp"].as_f64() {
        None => errors.push("the 'exp' must be a number".into()),
        Some(exp) if exp < now => errors.push("the JWT has expired".into()),
        _ => {}
    }
    match c["iat"].as_f64() {
        None => errors.push("the 'iat' must be a number".into()),
        Some(iat) if iat < now - 300.0 => errors.push("the 'iat' must be less than 300 seconds old".into()),
        Some(iat) if iat > now + 30.0 => errors.push("the 'iat' must not be in the future".into()),
        _ => {}
    }
    errors
}

/// Why a presented access token is refused (§6.2 order).
pub enum TokenError {
    Expired(u64),
    Revoked,
    Invalid,
}

impl TokenError {
    pub fn message(&self) -> &'static str {
        match self {
            TokenError::Expired(_) => "Expired access token.",
            TokenError::Revoked => "Revoked access token.",
            TokenError::Invalid => "Invalid access token.",
        }
    }
}

/// `load_pseudonym_from_access_token`: index of the usable token, or why not.
pub fn authenticate_token(app: &App, inner: &Inner, token: &str) -> Result<TokenId, TokenError> {
    let now = now_ms();
    let Some(i) = inner.tokens.by_access(token) else {
        return Err(TokenError::Invalid);
    };
    let t = inner.tokens.get(i);
    if let Some(p) = t.permanent_expires_at_ms.filter(|p| *p <= now) {
        return Err(TokenError::Expired(p));
    }
    if t.deleted {
        return Err(TokenError::Revoked);
    }
    let Some(key) = app.key_by_id(t.key_id) else { return Err(TokenError::Invalid) };
    if key.auto_expire_tokens && t.expires_at_ms.is_some_and(|e| e <= now) {
        return Err(TokenError::Invalid);
    }
    if !key.active || key.account_binding != "on" || app.user(t.user_id).is_none() {
        return Err(TokenError::Invalid);
    }
    Ok(i)
}

/// A token failure outside `/api/`: the normal error path (§4), not the API body.
fn non_api_token_error(req: &Req, e: &TokenError) -> Response {
    if req.wants_json() {
        json_resp(StatusCode::UNAUTHORIZED, &json!({"errors": {"base": e.message()}, "status": "unauthorized"}))
    } else {
        html(
            StatusCode::UNAUTHORIZED,
            crate::oauth::page("Unauthorized", &format!("<h1>Unauthorized</h1><p>{}</p>", e.message())),
        )
    }
}

/// DELETE /login/oauth2/token (§4).
pub async fn destroy(State(app): State<AppRef>, req: Request) -> Response {
    Stats::bump(&app.stats.revoke_requests);
    let req = read_req(req).await;
    let mut inner = app.lock();
    if req.param("expire_sessions").is_some() {
        if let Some(sid) = req.session_id() {
            inner.sessions.remove(&sid);
        }
    }
    let Some(token) = req.access_token() else {
        return json_resp(
            StatusCode::BAD_REQUEST,
            &json!({"message": "can't delete OAuth access token when not using an OAuth access token"}),
        );
    };
    match authenticate_token(&app, &inner, &token) {
        Err(e) => non_api_token_error(&req, &e),
        Ok(i) => {
            inner.tokens.get_mut(i).deleted = true;
            json_resp(StatusCode::OK, &json!({}))
        }
    }
}

fn unauthorized_action(app: &App, req: &Req, has_user: bool) -> Response {
    if req.wants_json() {
        if has_user {
            json_resp(
                StatusCode::FORBIDDEN,
                &json!({"status": "unauthorized", "errors": [{"message": "user not authorized to perform that action"}]}),
            )
        } else {
            json_resp(
                StatusCode::UNAUTHORIZED,
                &json!({"status": "unauthenticated", "errors": [{"message": "user authorization required"}]}),
            )
        }
    } else if has_user {
        html(
            StatusCode::UNAUTHORIZED,
            crate::oauth::page(
                "Unauthorized",
                "<h1>Unauthorized</h1><p>You don't have permission to access that page.</p>",
            ),
        )
    } else {
        redirect(&format!("{}/login", app.base_url(req)))
    }
}

/// GET /login/session_token (§5).
pub async fn session_token(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    let mut inner = app.lock();
    let user_id = match req.access_token() {
        Some(t) => match authenticate_token(&app, &inner, &t) {
            Ok(i) => inner.tokens.get(i).user_id,
            Err(e) => return non_api_token_error(&req, &e),
        },
        None => {
            let has_user = inner.session_user(&req).is_some();
            return unauthorized_action(&app, &req, has_user);
        }
    };
    let return_to = req
        .present("return_to")
        .map(str::to_string)
        .or_else(|| req.header("referer").map(str::to_string))
        .unwrap_or_else(|| format!("{}/", req.origin()));
    let Some(url) = parse_url(&return_to) else {
        return json_resp(StatusCode::BAD_REQUEST, &json!({"error": "Invalid redirect URL"}));
    };
    let req_host = req.host();
    let req_host = parse_url(&format!("http://{req_host}")).and_then(|u| u.host).unwrap_or_default();
    let same = url.scheme.as_deref() == Some(req.scheme().as_str())
        && url.host.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(&req_host));
    if !same {
        return unauthorized_action(&app, &req, true);
    }
    let tok = random_slug(48);
    inner.sweep();
    inner.session_tokens.insert(tok.clone(), (user_id, now_ms()));
    let (base, fragment) = match return_to.find('#') {
        Some(i) => (&return_to[..i], &return_to[i..]),
        None => (return_to.as_str(), ""),
    };
    let sep = if base.contains('?') { "&" } else { "?" };
    let session_url = format!("{base}{sep}session_token={tok}{fragment}");
    json_resp(StatusCode::OK, &json!({"session_url": session_url, "requires_terms_acceptance": false}))
}

/// GET /login/oauth2/jwks: public keys for "external" client_credentials tokens.
pub async fn jwks(State(app): State<AppRef>) -> Response {
    use rsa::RsaPublicKey;
    let public = RsaPublicKey::from(&app.signing_key);
    json_resp(StatusCode::OK, &json!({"keys": [jwt::public_jwk(&public, &app.signing_kid)]}))
}
