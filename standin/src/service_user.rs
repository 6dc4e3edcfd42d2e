//! Service-user client_credentials (§3.5, `ServiceUserClientCredentialsProvider`): a key with
//! a service user gets tokens that act as that user, with no refresh token and no `scope` key.

use crate::grants::{invalid_scope_description, missing_scopes, requested_scopes};
use crate::jwt;
use crate::request::Req;
use crate::respond::{bad, json_resp};
use crate::seed::DeveloperKey;
use crate::state::App;
use crate::store::NewToken;
use crate::util::{now_ms, now_secs, uuid_v4};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

/// After client authentication: the service user must exist and be active, then the scopes
/// (optional unless the key requires them; any given must be the key's).
pub fn token(app: &App, req: &Req, key: &DeveloperKey) -> Response {
    let Some(user) = key.service_user_id.and_then(|id| app.user(id)).filter(|u| u.active) else {
        return bad("invalid_request", "No active service");
    };
    let scopes = requested_scopes(req);
    let missing = missing_scopes(key, &scopes);
    if (key.require_scopes && scopes.is_empty()) || !missing.is_empty() {
        return bad("invalid_scope", &invalid_scope_description(&missing));
    }
    // An InstAccess token in Canvas; here a signed JWT, opaque to clients, accepted by the API.
    let ttl = app.config.access_token_ttl;
    let iat = now_secs();
    let claims = json!({
        "iss": app.config.seed.settings.lti_iss,
        "sub": user.id.to_string(),
        "client_id": key.id.to_string(),
        "iat": iat,
        "exp": iat + ttl.as_secs() as i64,
        "jti": uuid_v4(),
    });
    let access = jwt::sign_hs256(&claims, &app.internal_secret);
    let new = NewToken {
        key_id: key.id,
        user_id: user.id,
        real_user_id: None,
        resource: None,
        scopes,
        purpose: key.name.clone(),
        remember_access: false,
        expires_at_ms: Some(now_ms() + ttl.as_millis() as u64),
        permanent_expires_at_ms: None,
    };
    app.lock().tokens.insert(new, Some(access.clone()), None);
    let expires_in = (ttl.as_millis() as f64 / 1000.0).round() as u64;
    json_resp(StatusCode::OK, &json!({"access_token": access, "token_type": "Bearer", "expires_in": expires_in}))
}
