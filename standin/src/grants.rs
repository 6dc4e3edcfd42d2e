//! What codes and tokens are made of: scopes, code issue, token reuse and the token answer
//! (`Token#as_json`), shared by the browser flow and the token endpoint.

use crate::request::Req;
use crate::seed::{ClientType, DeveloperKey};
use crate::state::{App, CodeData, Grant, Inner};
use crate::store::{AccessToken, NewToken, TokenId};
use crate::util::{now_ms, random_hex, random_slug, to_sentence};
use serde_json::{json, Value};

pub fn requested_scopes(req: &Req) -> Vec<String> {
    req.param("scope").or(req.param("scopes")).unwrap_or("").split_whitespace().map(str::to_string).collect()
}

/// Scopes requested but not among the key's scopes.
pub fn missing_scopes(key: &DeveloperKey, requested: &[String]) -> Vec<String> {
    requested.iter().filter(|s| !key.scopes.contains(s)).cloned().collect()
}

pub fn invalid_scope_description(missing: &[String]) -> String {
    format!(
        "A requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner. The following scopes were requested, but not granted: {}",
        to_sentence(missing)
    )
}

/// `Token.generate_code_for`: a 128-hex code, PKCE challenge stored only for S256.
pub fn issue_code(app: &App, inner: &mut Inner, grant: Grant, challenge: Option<&str>, method: Option<&str>) -> String {
    let code = random_hex(64);
    let expires_ms = now_ms() + app.config.code_ttl.as_millis() as u64;
    inner.sweep();
    inner.codes.insert(code.clone(), CodeData { grant, expires_ms });
    if let (Some(ch), Some("S256")) = (challenge, method) {
        inner.pkce.insert(code.clone(), (ch.to_string(), expires_ms));
    }
    code
}

/// `Token.find_reusable_access_token`.
pub fn find_reusable(inner: &Inner, key: &DeveloperKey, grant: &Grant) -> Option<TokenId> {
    let now = now_ms();
    let purpose = grant.purpose.as_deref().unwrap_or(&key.name);
    let scopes = &grant.scopes;
    let usable = |t: &AccessToken| {
        !t.deleted
            && t.key_id == key.id
            && t.user_id == grant.user_id
            && t.real_user_id == grant.real_user_id
            && t.permanent_expires_at_ms.is_none_or(|p| p > now)
    };
    if key.force_token_reuse {
        if let Some(i) = inner.tokens.position(|t| usable(t) && t.purpose == purpose && t.scopes == *scopes) {
            return Some(i);
        }
    }
    if scopes.len() == 1 && scopes[0].ends_with("userinfo") {
        return inner.tokens.position(|t| usable(t) && t.remember_access && t.scopes == *scopes);
    }
    None
}

/// The `real_user` object of a masquerading grant: `{id, name, global_id}` (§3.3).
fn real_user_json(app: &App, user_id: u64) -> Value {
    let full = user_json(app, user_id);
    json!({"id": full["id"], "name": full["name"], "global_id": full["global_id"]})
}

pub fn user_json(app: &App, user_id: u64) -> Value {
    let u = app.user(user_id);
    json!({
        "id": user_id,
        "name": u.map(|u| u.name.clone()).unwrap_or_default(),
        "global_id": (10_000_000_000_000u64 + user_id).to_string(),
        "effective_locale": u.and_then(|u| u.locale.clone()).unwrap_or_else(|| "en".into()),
        "fake_student": false,
    })
}

pub fn new_secret() -> String {
    format!("1~{}", random_slug(64))
}

pub fn expires_in(t: &AccessToken, key: &DeveloperKey) -> Option<i64> {
    let exp = t.expires_at_ms.filter(|_| key.auto_expire_tokens)?;
    Some(((exp as i64 - now_ms() as i64) as f64 / 1000.0).round() as i64)
}

/// `Token#as_json`.
pub fn token_json(app: &App, t: &AccessToken, key: &DeveloperKey, refresh: Option<&str>) -> Value {
    let mut v = json!({
        "access_token": t.access(),
        "token_type": "Bearer",
        "user": user_json(app, t.user_id),
        "canvas_region": app.config.seed.settings.canvas_region,
    });
    if let Some(real) = t.real_user_id {
        v["real_user"] = real_user_json(app, real);
    }
    if let Some(r) = refresh {
        v["refresh_token"] = json!(r);
    }
    if let Some(e) = expires_in(t, key) {
        v["expires_in"] = json!(e);
    }
    v
}

pub fn permanent_expiry(app: &App, key: &DeveloperKey, user_id: u64) -> Option<u64> {
    let s = &app.config.seed.settings;
    if key.client_type == ClientType::Public {
        return Some(now_ms() + s.public_client_token_ttl_secs * 1000);
    }
    if app.user(user_id).is_some_and(|u| u.site_admin) {
        return Some(now_ms() + s.site_admin_access_token_expires_in_secs * 1000);
    }
    None
}

pub fn hourly_expiry(app: &App, key: &DeveloperKey) -> Option<u64> {
    key.auto_expire_tokens.then(|| now_ms() + app.config.access_token_ttl.as_millis() as u64)
}

/// `Token#create_access_token_if_needed` and the response body.
pub fn create_access_token(app: &App, inner: &mut Inner, key: &DeveloperKey, grant: Grant) -> Value {
    if let Some(i) = find_reusable(inner, key, &grant) {
        if inner.tokens.get(i).access().is_some() {
            inner.tokens.set_access(i, Some(new_secret()));
            inner.tokens.get_mut(i).expires_at_ms = hourly_expiry(app, key);
        }
        return token_json(app, inner.tokens.get(i), key, None);
    }
    let Grant { user_id, real_user_id, scopes, purpose, remember_access, resource, .. } = grant;
    let userinfo = scopes.iter().any(|s| s.ends_with("userinfo"));
    let refresh = new_secret();
    let new = NewToken {
        key_id: key.id,
        user_id,
        real_user_id,
        resource,
        scopes,
        purpose: purpose.unwrap_or_else(|| key.name.clone()),
        remember_access,
        expires_at_ms: hourly_expiry(app, key),
        permanent_expires_at_ms: permanent_expiry(app, key, user_id),
    };
    let i = inner.tokens.insert(new, (!userinfo).then(new_secret), Some(refresh.clone()));
    token_json(app, inner.tokens.get(i), key, (!userinfo).then_some(refresh.as_str()))
}
