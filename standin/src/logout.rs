//! Canvas's web logout: GET /logout (the confirm page) and DELETE /logout (ends the browser's
//! session). OAuth tokens are not touched: ending the web session revokes nothing.

use crate::request::{read_req, Req};
use crate::respond::{html, not_found_page, page, redirect, text};
use crate::state::{App, AppRef};
use crate::util::{html_escape, random_hex};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;

/// GET /logout: a page whose button sends the DELETE (a Rails form: POST with `_method=delete`
/// and the session's `authenticity_token`). Nobody logged in: to the login page.
pub async fn confirm(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    let mut inner = app.lock();
    let Some(session) = req.session_id().and_then(|sid| inner.sessions.get_mut(&sid)).filter(|s| s.user_id.is_some())
    else {
        return redirect(&format!("{}/login", app.base_url(&req)));
    };
    let token = session.authenticity_token.get_or_insert_with(|| random_hex(32)).clone();
    let body = format!(
        r#"<h1>Log out</h1>
<p>Are you sure you want to log out of Canvas?</p>
<form method="post" action="/logout" id="logout_form">
<input type="hidden" name="_method" value="delete">
<input type="hidden" name="authenticity_token" value="{}">
<div class="buttons"><a href="/"><button type="button">Cancel</button></a><button type="submit" class="primary">Log Out</button></div>
</form>"#,
        html_escape(&token)
    );
    html(StatusCode::OK, page("Log Out", &body))
}

/// DELETE /logout, or POST with `_method=delete` (Rack::MethodOverride). Rails' forgery
/// protection applies: without the session's `authenticity_token`, 422 and nothing ends.
/// Then the session ends and the browser goes to the login provider's single-logout URL when
/// it has one, otherwise to /login.
pub async fn destroy(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    if req.method == Method::POST && !req.param("_method").is_some_and(|m| m.eq_ignore_ascii_case("delete")) {
        return not_found_page();
    }
    let mut inner = app.lock();
    let sid = req.session_id().unwrap_or_default();
    let expected = inner.sessions.get(&sid).and_then(|s| s.authenticity_token.clone());
    if expected.is_none() || authenticity_token(&req) != expected.as_deref() {
        return text(StatusCode::UNPROCESSABLE_ENTITY, "Invalid authenticity token");
    }
    let ended = inner.sessions.remove(&sid);
    drop(inner);
    redirect(&after_logout(&app, &req, ended.and_then(|s| s.slo_url)))
}

/// The form field, or the `X-CSRF-Token` header as Rails also accepts.
fn authenticity_token(req: &Req) -> Option<&str> {
    req.param("authenticity_token").or_else(|| req.header("x-csrf-token"))
}

fn after_logout(app: &App, req: &Req, slo_url: Option<String>) -> String {
    slo_url.unwrap_or_else(|| format!("{}/login", app.base_url(req)))
}
