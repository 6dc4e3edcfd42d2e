//! Per-request middleware (log line, `?session_token=` logins, API counter) and the 404 page.

use crate::respond::{not_found_page, redirect, set_session_cookie};
use crate::state::{App, AppRef, Session, Stats, SESSION_TOKEN_VALIDITY_MS};
use crate::util::{now_ms, random_hex};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

pub async fn not_found(State(_app): State<AppRef>, req: Request) -> Response {
    let _ = req;
    not_found_page()
}

/// One log line per request (method, path without query, status, latency), session-token
/// logins (§5) and the API request counter.
pub async fn middleware(State(app): State<AppRef>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let api = path.starts_with("/api/");
    if api {
        Stats::bump(&app.stats.api_requests);
    }
    let token = api.then(|| api_token(&req)).flatten();
    let resp = match (session_token_login(&app, &req), token) {
        (Some(r), _) => r,
        (None, Some(token)) => crate::throttle::around(&app, token, req, next).await,
        (None, None) => next.run(req).await,
    };
    eprintln!("canvas-standin: {} {} {} {}ms", method, path, resp.status().as_u16(), start.elapsed().as_millis());
    resp
}

/// The access token of an API request, from `Authorization: Bearer` or the `access_token` query
/// parameter (a token in a form body is not looked at here).
fn api_token(req: &Request<Body>) -> Option<String> {
    let bearer =
        req.headers().get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if let Some(t) = bearer.map(str::trim).filter(|t| !t.is_empty()) {
        return Some(t.to_string());
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.uri().query()?).ok()?;
    pairs.into_iter().find(|(k, v)| k == "access_token" && !v.is_empty()).map(|(_, v)| v)
}

/// `?session_token=` on any path: a valid token (within 30 s) logs the browser in and redirects
/// to the same URL without the parameter. An invalid one is ignored.
fn session_token_login(app: &App, req: &Request<Body>) -> Option<Response> {
    let query = req.uri().query()?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    let tok = pairs.iter().find(|(k, _)| k == "session_token").map(|(_, v)| v.clone())?;
    let mut inner = app.lock();
    let t = *inner.session_tokens.get(&tok)?;
    let now = now_ms();
    if now.abs_diff(t.created_ms) > SESSION_TOKEN_VALIDITY_MS {
        return None;
    }
    let sid = random_hex(32);
    let session = Session { user_id: Some(t.user_id), masquerade_as: t.masquerade_as, ..Default::default() };
    inner.sessions.insert(sid.clone(), session);
    drop(inner);
    let rest: Vec<(String, String)> = pairs.into_iter().filter(|(k, _)| k != "session_token").collect();
    let mut location = req.uri().path().to_string();
    if !rest.is_empty() {
        location.push('?');
        location.push_str(&serde_urlencoded::to_string(&rest).unwrap_or_default());
    }
    let mut r = redirect(&location);
    set_session_cookie(&mut r, &sid);
    Some(r)
}
