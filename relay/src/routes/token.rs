//! POST /token: the code exchange. The whole request runs under `RELAY_TOKEN_DEADLINE_MS`, so the
//! relay answers before the browser library gives up (S7). A sign-in over an existing session
//! revokes the grant it replaces (S7).

use super::{now_ms, open_cookie, set_cookie};
use crate::canvas;
use crate::error::{ClearCookie, RelayError};
use crate::extract::{NoQuery, SessionCookie, StrictJson};
use crate::handlers::json_response;
use crate::revoke_retry::{self, Credential};
use crate::seal::Lifetime;
use crate::upstream::{self, TokenOutcome};
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use canvas_oauth_core::TokenRequest;
use std::sync::Arc;
use std::time::Duration;

const MAX_CODE_LEN: usize = 512;

/// On the /token route, around its extractors too: the deadline covers reading the body.
pub(crate) async fn deadline(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(state.config.session.token_deadline, next.run(req)).await {
        Ok(answer) => answer,
        Err(_) => RelayError::timeout().into_response(),
    }
}

pub(crate) async fn token(
    State(state): State<Arc<AppState>>,
    _: NoQuery,
    cookie: SessionCookie,
    StrictJson(req): StrictJson<TokenRequest>,
) -> Result<Response, RelayError> {
    let state = &state;
    let code = req.code.secret();
    if code.is_empty() || code.len() > MAX_CODE_LEN || !code.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(RelayError::invalid_request("code must be 1-512 printable ASCII characters"));
    }
    let resp = canvas::exchange_code(state, code, req.code_verifier.secret()).await?;
    let parsed = match upstream::token_outcome(&resp)? {
        TokenOutcome::Ok(parsed) => parsed,
        TokenOutcome::OAuth(e) => {
            return Err(match (e.status, e.error.as_str()) {
                // The user's code, not the session: keep any existing cookie.
                (400, "invalid_grant") => canvas::refused(StatusCode::BAD_REQUEST, "invalid_grant"),
                (400, "invalid_request") => canvas::refused(StatusCode::BAD_REQUEST, "invalid_request"),
                (400, "invalid_scope") => canvas::refused(StatusCode::BAD_REQUEST, "invalid_scope"),
                _ => upstream::misconfigured(&e),
            }
            .with_upstream(e.status));
        }
    };
    let (grant, refresh) = parsed
        .into_session()
        .map_err(|_| RelayError::bad_gateway("Canvas sent an unusable token response").with_upstream(resp.status))?;
    let userinfo_only = grant.access_token.is_none();
    let body = serde_json::to_vec(&grant).expect("grant serialises");
    let mut r = json_response(StatusCode::OK, body, resp.status);
    let now = now_ms();
    match refresh {
        Some(rt) if !userinfo_only => {
            let config = &state.config;
            let lifetime = Lifetime::start(now, config.cookie_max_age, config.session.max_age);
            set_cookie(state, &mut r, &state.sealer.seal(&rt, lifetime), &lifetime, now);
            // The session this one replaces: its grant would otherwise live on at Canvas.
            if let Ok(old) = open_cookie(state, &cookie, now).await {
                if old.token.secret() != rt.secret() {
                    super::deny(state, &old, now).await;
                    revoke_retry::spawn(state, Credential::Refresh(old.token), Duration::ZERO, "replaced sign-in");
                }
            }
        }
        // No refresh token (userinfo grant or a reused token): never keep an older cookie, which
        // may belong to another grant. Its grant is not revoked: a reused token may be that very
        // grant (relay/README.md, "Orphaned grants").
        _ => {
            r.extensions_mut().insert(ClearCookie);
        }
    }
    Ok(r)
}
