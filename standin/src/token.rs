//! POST /login/oauth2/token (§3): grant dispatch, client authentication, authorization_code
//! and refresh_token.

use crate::config::Behaviour;
use crate::grants::{create_access_token, hourly_expiry, new_secret, permanent_expiry, token_json};
use crate::request::{read_req, Req};
use crate::respond::{bad, json_resp, oauth_error};
use crate::seed::{ClientType, DeveloperKey};
use crate::state::{App, AppRef, Stats};
use crate::util::{b64url, now_ms};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use sha2::{Digest, Sha256};

/// `RequestError :invalid_grant` text (seen in NEXT; used for PKCE failures in both modes).
pub const INVALID_GRANT_DESC: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";

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
        "client_credentials" => crate::client_credentials::client_credentials(&app, &req).await,
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
    if data.grant.client_id != key.id {
        return bad("invalid_grant", "incorrect client");
    }
    if let Err(r) = check_resource(app, req, key, data.grant.resource.as_deref()) {
        return r;
    }
    inner.codes.remove(code);
    inner.pkce.remove(code);
    if req.param("replace_tokens").is_some_and(|v| !matches!(v, "" | "0" | "false")) || key.replace_tokens {
        for t in inner.tokens.iter_mut().filter(|t| t.key_id == key.id && t.user_id == data.grant.user_id) {
            t.deleted = true;
        }
    }
    let body = create_access_token(app, &mut inner, key, data.grant);
    json_resp(StatusCode::OK, &body)
}

/// NEXT: a `resource` on the token request must be acceptable and covered by the grant (400
/// `invalid_target`; checked after the code or refresh token is found, a choice).
fn check_resource(app: &App, req: &Req, key: &DeveloperKey, granted: Option<&str>) -> Result<(), Response> {
    match (app.config.behaviour, req.param("resource")) {
        (Behaviour::Next, Some(r)) if !crate::resource::token_request_ok(key, r, granted) => {
            Err(bad("invalid_target", crate::resource::INVALID_TARGET_DESC))
        }
        _ => Ok(()),
    }
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
            && app.user(t.user_id).is_some_and(|u| u.active)
    });
    let Some(i) = found else {
        let error = if app.config.behaviour == Behaviour::Next { "invalid_grant" } else { "invalid_request" };
        return bad(error, "refresh_token not found");
    };
    if inner.tokens.get(i).key_id != key.id {
        return bad("invalid_grant", "incorrect client");
    }
    if let Err(r) = check_resource(app, req, key, inner.tokens.get(i).resource.as_deref()) {
        return r;
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
