//! How a presented access token is accepted or refused (§6.2), shared by the API and the
//! token-carrying /login endpoints.

use crate::request::Req;
use crate::respond::{html, json_resp, page};
use crate::state::{App, Inner};
use crate::store::TokenId;
use crate::util::now_ms;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

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
    if !key.active || key.account_binding != "on" || app.user(t.user_id).is_none_or(|u| !u.active) {
        return Err(TokenError::Invalid);
    }
    Ok(i)
}

/// A token failure outside `/api/`: the normal error path (§4), not the API body.
pub fn non_api_token_error(req: &Req, e: &TokenError) -> Response {
    if req.wants_json() {
        json_resp(StatusCode::UNAUTHORIZED, &json!({"errors": {"base": e.message()}, "status": "unauthorized"}))
    } else {
        html(StatusCode::UNAUTHORIZED, page("Unauthorized", &format!("<h1>Unauthorized</h1><p>{}</p>", e.message())))
    }
}
