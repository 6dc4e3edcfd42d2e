//! Masquerading ("act as"): an admin's web session becomes another user's (§3.3 `real_user`),
//! and API calls with `as_user_id`.

use crate::request::{read_req, Req};
use crate::respond::{json_resp, not_found_page, redirect, text};
use crate::state::{App, AppRef};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::json;

/// POST /users/:id/masquerade starts acting as user :id; DELETE stops. The admin's session
/// keeps its login (`real_user`); the masqueraded user is what pages, OAuth grants and cookie
/// API calls see.
pub async fn masquerade(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    let target = req.path.split('/').nth(2).and_then(|id| id.parse::<u64>().ok()).and_then(|id| app.user(id));
    let mut inner = app.lock();
    let Some(session) = req.session_id().and_then(|sid| inner.sessions.get_mut(&sid)).filter(|s| s.user_id.is_some())
    else {
        return redirect(&format!("{}/login", app.base_url(&req)));
    };
    if req.method == Method::DELETE {
        session.masquerade_as = None;
        return redirect(&format!("{}/", app.base_url(&req)));
    }
    let admin = session.user_id.and_then(|id| app.user(id));
    let Some(target) = target else { return not_found_page() };
    if !admin.is_some_and(|a| target.can_be_masqueraded_by(a)) {
        return text(StatusCode::UNAUTHORIZED, "You are not authorized to masquerade as this user");
    }
    session.masquerade_as = (Some(target.id) != session.user_id).then_some(target.id);
    redirect(&format!("{}/", app.base_url(&req)))
}

/// `as_user_id` on an API request: the authenticated `user` acts as that user when allowed,
/// otherwise 401 `{"errors": "Invalid as_user_id"}` (Canvas fails this loudly for the API only).
pub fn api_as_user(app: &App, req: &Req, user: u64) -> Result<u64, Response> {
    let Some(wanted) = req.present("as_user_id") else { return Ok(user) };
    let target = wanted.trim().parse::<u64>().ok().and_then(|id| app.user(id));
    match (target, app.user(user)) {
        (Some(t), Some(me)) if t.can_be_masqueraded_by(me) => Ok(t.id),
        _ => Err(json_resp(StatusCode::UNAUTHORIZED, &json!({"errors": "Invalid as_user_id"}))),
    }
}
