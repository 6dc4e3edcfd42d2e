//! The session routes: /token, /refresh, /revoke, and what they share about the sealed cookie.

pub(crate) mod refresh;
pub(crate) mod revoke;
pub(crate) mod token;

use crate::coalesce::token_hash;
use crate::cookie::CookieValue;
use crate::error::RelayError;
use crate::extract::SessionCookie;
use crate::seal::{Lifetime, Opened};
use crate::AppState;
use axum::http::header;
use axum::response::Response;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Wall-clock ms since the Unix epoch: the clock of the sealed lifetimes.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The request's session cookie, opened: 401 invalid_token without one; several cookies with our
/// name → invalid_token and cleared (one may be planted); one that does not open here (tampered,
/// foreign deployment, retired key, old format, expired) or whose refresh token is denylisted by
/// an unconfirmed sign-out (here or, with Redis, at any replica) → 401 invalid_grant, cleared.
pub(crate) async fn open_cookie(state: &AppState, cookie: &SessionCookie, now: u64) -> Result<Opened, RelayError> {
    let sealed = match &cookie.0 {
        CookieValue::One(v) if !v.is_empty() => v,
        CookieValue::None | CookieValue::One(_) => return Err(RelayError::invalid_token("no session cookie")),
        CookieValue::Several => {
            return Err(RelayError {
                clear_cookie: true,
                ..RelayError::invalid_token("several session cookies were sent; sign in again")
            })
        }
    };
    let refused = || RelayError::invalid_grant("the session cookie is not valid here; sign in again");
    let opened =
        state.sealer.open(sealed, now).filter(|o| !state.denylist.contains(&o.token, now)).ok_or_else(refused)?;
    // Redis unreachable: this replica's own denylist is all there is (never fail closed).
    match &state.replicas {
        Some(r) if r.denied(&token_hash(&opened.token)).await == Some(true) => Err(refused()),
        _ => Ok(opened),
    }
}

/// Denylists the session's refresh token here and, with Redis, at every replica, until the
/// session's absolute cap (no cookie sealing it opens after that anyway).
pub(crate) async fn deny(state: &AppState, session: &Opened, now: u64) {
    let until = session.lifetime.session_expires_at;
    state.denylist.insert(&session.token, until, now);
    if let Some(r) = &state.replicas {
        r.deny(&token_hash(&session.token), Duration::from_millis(until.saturating_sub(now))).await;
    }
}

/// `POST /cookie-check`: `{"received": true}` when the request carried exactly one non-empty
/// session cookie, else `false`. The library asks right after a sign-in whether the browser kept
/// the cookie (inside a cross-site iframe it may not, R9). Nothing of the cookie is in the answer,
/// and it is not opened: "did it arrive" is the whole question.
pub(crate) async fn cookie_check(
    _: crate::extract::NoQuery,
    cookie: SessionCookie,
    _: crate::extract::OptionalJson<refresh::Empty>,
) -> axum::Json<serde_json::Value> {
    let received = matches!(&cookie.0, CookieValue::One(v) if !v.is_empty());
    axum::Json(serde_json::json!({ "received": received }))
}

/// Adds the `Set-Cookie` for a freshly sealed value, kept by the browser until it expires.
pub(crate) fn set_cookie(state: &AppState, resp: &mut Response, sealed: &str, lifetime: &Lifetime, now: u64) {
    let value = state.cookie.header(sealed, lifetime.max_age_secs(now));
    resp.headers_mut().append(header::SET_COOKIE, value);
}
