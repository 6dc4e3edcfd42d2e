//! The token-carrying /login endpoints: DELETE /login/oauth2/token (§4) and
//! GET /login/session_token (§5).

use crate::request::{read_req, Req};
use crate::respond::{html, json_resp, page, redirect};
use crate::state::{App, AppRef, SessionToken, Stats};
use crate::token_auth::{authenticate_token, non_api_token_error};
use crate::util::{now_ms, parse_url, random_slug};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

/// DELETE /login/oauth2/token (§4).
pub async fn destroy(State(app): State<AppRef>, req: Request) -> Response {
    Stats::bump(&app.stats.revoke_requests);
    let req = read_req(req).await;
    let mut inner = app.lock();
    // expire_sessions (any value, even 0): the login provider's single-logout URL is looked up
    // and the web session of *this* request ends, before the token is even looked at.
    let mut forward_url = None;
    if req.param("expire_sessions").is_some() {
        if let Some(ended) = req.session_id().and_then(|sid| inner.sessions.remove(&sid)) {
            forward_url = ended.slo_url;
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
            match forward_url {
                Some(url) => json_resp(StatusCode::OK, &json!({"forward_url": url})),
                None => json_resp(StatusCode::OK, &json!({})),
            }
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
            page("Unauthorized", "<h1>Unauthorized</h1><p>You don't have permission to access that page.</p>"),
        )
    } else {
        redirect(&format!("{}/login", app.base_url(req)))
    }
}

/// GET /login/session_token (§5).
pub async fn session_token(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    let mut inner = app.lock();
    let (user_id, masquerade_as) = match req.access_token() {
        Some(t) => match authenticate_token(&app, &inner, &t) {
            Ok(i) => {
                let t = inner.tokens.get(i);
                match t.real_user_id {
                    Some(real) => (real, Some(t.user_id)),
                    None => (t.user_id, None),
                }
            }
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
    inner.session_tokens.insert(tok.clone(), SessionToken { user_id, masquerade_as, created_ms: now_ms() });
    let (base, fragment) = match return_to.find('#') {
        Some(i) => (&return_to[..i], &return_to[i..]),
        None => (return_to.as_str(), ""),
    };
    let sep = if base.contains('?') { "&" } else { "?" };
    let session_url = format!("{base}{sep}session_token={tok}{fragment}");
    json_resp(StatusCode::OK, &json!({"session_url": session_url, "requires_terms_acceptance": false}))
}
