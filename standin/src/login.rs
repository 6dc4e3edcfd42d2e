//! The password login (`/login`, `/login/canvas`), the dashboard and `/logout`.

use crate::oauth::confirmation_redirect;
use crate::request::{read_req, Req};
use crate::respond::{html, page, redirect, set_session_cookie};
use crate::state::{AppRef, Session};
use crate::util::{html_escape, random_hex};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

fn login_form(req: &Req, error: Option<&str>) -> String {
    let unique_id = req.param("pseudonym_session[unique_id]").unwrap_or("");
    let err = error.map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", html_escape(e))).unwrap_or_default();
    let mut hidden = String::new();
    for k in ["force_login", "canvas_login", "authentication_provider"] {
        if let Some(v) = req.param(k) {
            hidden.push_str(&format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", html_escape(v)));
        }
    }
    page(
        "Log In",
        &format!(
            r#"<h1>Log in to Canvas</h1>
{err}
<form method="post" action="/login/canvas" id="login_form">
{hidden}
<label for="pseudonym_session_unique_id">Email</label>
<input type="text" id="pseudonym_session_unique_id" name="pseudonym_session[unique_id]" value="{}" autocomplete="username" autofocus>
<label for="pseudonym_session_password">Password</label>
<input type="password" id="pseudonym_session_password" name="pseudonym_session[password]" autocomplete="current-password">
<div class="buttons"><button type="submit" class="primary">Log In</button></div>
</form>
<p class="muted">Stand-in accounts: student@example.edu / password, teacher@example.edu / password.</p>"#,
            html_escape(unique_id)
        ),
    )
}

pub async fn home(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    let user = app.lock().session_user(&req).and_then(|id| app.user(id).cloned());
    let body = match user {
        Some(u) => format!(
            "<h1>Dashboard</h1><p>You are logged in as <strong>{}</strong> ({}).</p><p><a href=\"/logout\">Log out</a></p>",
            html_escape(&u.name),
            html_escape(&u.login)
        ),
        None => "<h1>Canvas stand-in</h1><p>You are not logged in.</p><p><a href=\"/login\">Log in</a></p>".to_string(),
    };
    html(StatusCode::OK, page("Dashboard", &body))
}

pub async fn login_page(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    let mut inner = app.lock();
    let logged_in = inner.session_user(&req);
    if let (Some(_), None) = (logged_in, req.param("force_login")) {
        let sid = req.session_id().unwrap_or_default();
        if inner.sessions.get(&sid).is_some_and(|s| s.oauth2.is_some()) {
            return confirmation_redirect(&app, &mut inner, &req, &sid);
        }
        return redirect(&format!("{}/", app.base_url(&req)));
    }
    html(StatusCode::OK, login_form(&req, None))
}

pub async fn login_submit(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    let login = req.param("pseudonym_session[unique_id]").unwrap_or("").trim().to_string();
    let password = req.param("pseudonym_session[password]").unwrap_or("");
    let user = app
        .config
        .seed
        .users
        .iter()
        .find(|u| u.active && u.login.eq_ignore_ascii_case(&login) && u.password == password);
    let Some(user) = user else {
        return html(
            StatusCode::BAD_REQUEST,
            login_form(&req, Some("Please verify your username or password and try again.")),
        );
    };
    let mut inner = app.lock();
    // New session id on login (session fixation), carrying the pending OAuth request over.
    let old = req.session_id().and_then(|sid| inner.sessions.remove(&sid)).unwrap_or_default();
    let sid = random_hex(32);
    let pending = old.oauth2.is_some();
    let slo_url = app.config.seed.settings.login_slo_url.clone();
    inner
        .sessions
        .insert(sid.clone(), Session { user_id: Some(user.id), oauth2: old.oauth2, slo_url, ..Default::default() });
    let mut r = if pending {
        confirmation_redirect(&app, &mut inner, &req, &sid)
    } else {
        redirect(&format!("{}/", app.base_url(&req)))
    };
    set_session_cookie(&mut r, &sid);
    r
}
