//! POST /revoke: sign-out. The cookie is cleared on every outcome the handler reaches; signing
//! out must always remove the local credential. Credentials: `Authorization: Bearer` (the access
//! token), the cookie, both, or neither. The answer says whether Canvas confirmed:
//! 200 `{"revocation":"confirmed"}` (plus `forward_url`), 200 `{"revocation":"none"}` (nothing to
//! revoke), or 202 `{"revocation":"pending"}`: Canvas did not confirm, so the refresh token is
//! denylisted here and the revocation retried in the background (S2).

use super::{now_ms, open_cookie};
use crate::canvas::{self, Deleted};
use crate::coalesce::Coalescer;
use crate::error::{ClearCookie, RelayError, UpstreamStatus};
use crate::extract::{Bearer, NoQuery, OptionalJson, SessionCookie};
use crate::revoke_retry::{self, Credential};
use crate::seal::Opened;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use canvas_oauth_core::{RefreshToken, RevokeRequest};
use std::sync::Arc;

/// On the /revoke route: every answer it gives clears the cookie, extractor refusals included.
pub(crate) async fn clears_the_cookie(mut resp: Response) -> Response {
    resp.extensions_mut().insert(ClearCookie);
    resp
}

#[derive(serde::Serialize)]
struct Revocation {
    revocation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    forward_url: Option<String>,
}

fn answer(
    status: StatusCode,
    revocation: &'static str,
    forward_url: Option<String>,
    upstream: Option<u16>,
) -> Response {
    let body = serde_json::to_vec(&Revocation { revocation, forward_url }).expect("serialises");
    let mut r = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(s) = upstream {
        r.extensions_mut().insert(UpstreamStatus(s));
    }
    r
}

/// The access token, when sent, is checked after the body (a bad body answers 400 first).
pub(crate) async fn revoke(
    State(state): State<Arc<AppState>>,
    _: NoQuery,
    bearer: Result<Option<Bearer>, RelayError>,
    cookie: SessionCookie,
    OptionalJson(req): OptionalJson<RevokeRequest>,
) -> Result<Response, RelayError> {
    let state = &state;
    let req = req.unwrap_or_default();
    let presented = bearer?.map(|Bearer(t)| t);
    // A denylisted, expired or foreign cookie counts as none.
    let session = open_cookie(state, &cookie, now_ms()).await.ok();
    if let Some(access) = &presented {
        match canvas::delete_token(state, access, req.expire_sessions).await {
            Deleted::Confirmed { forward_url } => {
                return Ok(confirmed(state, session.as_ref(), access, forward_url).await)
            }
            Deleted::NotConfirmed(e) => return Ok(pending(state, session, presented.clone(), e.upstream_status).await),
            // Canvas refuses to revoke an expired access token (§4): refresh with the cookie, retry.
            Deleted::Refused => {}
        }
    }
    let Some(session) = session else {
        return match presented {
            Some(_) => Err(RelayError::invalid_token(
                "Canvas refused the access token and there is no session cookie to refresh it",
            )
            .with_upstream(401)),
            // Neither token nor cookie: already signed out.
            None => Ok(answer(StatusCode::OK, "none", None, None)),
        };
    };
    let fresh = match &*Coalescer::refresh(state, RefreshToken::new(session.token.secret())).await {
        Ok(r) => r.access_token.clone(),
        Err(e) if e.clear_cookie => {
            // Canvas says the grant is already gone.
            Coalescer::forget(state, &session.token).await;
            return Ok(answer(StatusCode::OK, "none", None, e.upstream_status));
        }
        Err(e) => return Ok(pending(state, Some(session), None, e.upstream_status).await),
    };
    Ok(match canvas::delete_token(state, &fresh, req.expire_sessions).await {
        Deleted::Confirmed { forward_url } => confirmed(state, Some(&session), &fresh, forward_url).await,
        Deleted::Refused => pending(state, Some(session), None, Some(401)).await,
        Deleted::NotConfirmed(e) => pending(state, Some(session), None, e.upstream_status).await,
    })
}

async fn confirmed(state: &AppState, session: Option<&Opened>, access: &str, forward_url: Option<String>) -> Response {
    if let Some(s) = session {
        Coalescer::forget(state, &s.token).await;
    }
    Coalescer::forget_access(state, access).await;
    answer(StatusCode::OK, "confirmed", forward_url, Some(200))
}

/// Canvas did not confirm: denylist the refresh token (every copy of the cookie is "no session"
/// here from now on) and retry in the background, with the refresh token when there was a
/// cookie, else with the access token.
async fn pending(
    state: &Arc<AppState>,
    session: Option<Opened>,
    access: Option<String>,
    upstream: Option<u16>,
) -> Response {
    let delay = state.config.session.revoke_retry_delay;
    if let Some(s) = session {
        super::deny(state, &s, now_ms()).await;
        Coalescer::forget(state, &s.token).await;
        revoke_retry::spawn(state, Credential::Refresh(s.token), delay, "unconfirmed sign-out");
    } else if let Some(a) = access {
        revoke_retry::spawn(state, Credential::Access(a), delay, "unconfirmed sign-out");
    }
    answer(StatusCode::ACCEPTED, "pending", None, upstream)
}
