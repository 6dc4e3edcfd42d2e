//! POST /refresh: a new access token from the cookie's refresh token, coalesced per token. Each
//! success re-seals the cookie with a new issued-at (sliding renewal, S2): it dies after
//! `RELAY_COOKIE_MAX_AGE_SECS` without a refresh, and `RELAY_SESSION_MAX_AGE_SECS` after sign-in
//! whatever happens.

use super::{now_ms, open_cookie, set_cookie};
use crate::coalesce::Coalescer;
use crate::error::RelayError;
use crate::extract::{NoQuery, OptionalJson, SessionCookie};
use crate::handlers::json_response;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use canvas_oauth_core::RefreshToken;
use std::sync::Arc;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Empty {}

/// The only accepted body is none or `{}`; the cookie is opened after the body is checked.
pub(crate) async fn refresh(
    State(state): State<Arc<AppState>>,
    _: NoQuery,
    cookie: SessionCookie,
    _: OptionalJson<Empty>,
) -> Result<Response, RelayError> {
    let opened = open_cookie(&state, &cookie, now_ms()).await?;
    let kept = RefreshToken::new(opened.token.secret());
    let result = Coalescer::refresh(&state, opened.token).await;
    let r = match &*result {
        Ok(r) => r,
        Err(e) => return Err(e.clone()),
    };
    let mut resp = json_response(StatusCode::OK, r.body.clone(), r.upstream_status);
    // Canvas rotated the refresh token (public clients): seal the new one.
    let rt = r.rotated.as_deref().map(RefreshToken::new).unwrap_or(kept);
    let now = now_ms();
    let lifetime = opened.lifetime.renewed(now, state.config.cookie_max_age);
    set_cookie(&state, &mut resp, &state.sealer.seal(&rt, lifetime), &lifetime, now);
    Ok(resp)
}
