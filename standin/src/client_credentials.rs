//! grant_type=client_credentials (§3.5) and the JWK set of its "external" tokens.

use crate::grants::{invalid_scope_description, missing_scopes, requested_scopes};
use crate::jwt;
use crate::request::Req;
use crate::respond::{bad, json_resp, oauth_error};
use crate::seed::DeveloperKey;
use crate::state::{App, AppRef};
use crate::util::{now_ms, now_secs, uuid_v4};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// grant_type=client_credentials (§3.5). HTTP Basic is ignored.
pub async fn client_credentials(app: &App, req: &Req) -> Response {
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
        if key.service_user_flow() {
            return crate::service_user::token(app, req, key);
        }
        if key.client_credentials_audience.as_deref() != Some("external") {
            return bad("invalid_request", "assertion method not supported for this grant_type");
        }
        key
    };
    let scopes = requested_scopes(req);
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

/// GET /login/oauth2/jwks: public keys for "external" client_credentials tokens.
pub async fn jwks(State(app): State<AppRef>) -> Response {
    use rsa::RsaPublicKey;
    let public = RsaPublicKey::from(&app.signing_key);
    json_resp(StatusCode::OK, &json!({"keys": [jwt::public_jwk(&public, &app.signing_kid)]}))
}
