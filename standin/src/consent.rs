//! The browser's consent steps: confirm, accept, deny (§2.6).

use crate::oauth::{final_redirect, redirect_with_code};
use crate::request::read_req;
use crate::respond::{html, page, redirect, text};
use crate::state::AppRef;
use crate::util::{html_escape, random_hex};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;

/// GET /login/oauth2/confirm: the consent page.
pub async fn confirm(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    let mut inner = app.lock();
    let sid = req.session_id().unwrap_or_default();
    let Some(session) = inner.sessions.get(&sid).cloned() else {
        return redirect(&format!("{}/login", app.base_url(&req)));
    };
    let Some(o) = session.oauth2.clone() else {
        return redirect(&format!("{}/login", app.base_url(&req)));
    };
    let Some(user) = session.current_user().and_then(|id| app.user(id)) else {
        return redirect(&format!("{}/login", app.base_url(&req)));
    };
    let Some(key) = app.key_by_id(o.client_id) else {
        return redirect(&format!("{}/login", app.base_url(&req)));
    };
    if !key.trusted && !user.can_create_tokens {
        return final_redirect(
            &app,
            &mut inner,
            &req,
            &sid,
            &[
                ("error", "client_not_allowed_for_user"),
                (
                    "error_description",
                    "The current user is logged in but does not have permission to authorize this application.",
                ),
            ],
        );
    }
    let csrf = random_hex(24);
    if let Some(s) = inner.sessions.get_mut(&sid) {
        s.csrf = Some(csrf.clone());
    }
    let scopes = if o.scopes.is_empty() {
        String::new()
    } else {
        format!(
            "<p>It is asking for these permissions:</p><ul class=\"scopes\">{}</ul>",
            o.scopes.iter().map(|s| format!("<li>{}</li>", html_escape(s))).collect::<String>()
        )
    };
    let deny = if app.config.seed.settings.oauth2_deny_post {
        "<button type=\"submit\" formaction=\"/login/oauth2/deny\" formmethod=\"post\">Cancel</button>".to_string()
    } else {
        "<a href=\"/login/oauth2/deny\"><button type=\"button\" onclick=\"location.href='/login/oauth2/deny'\">Cancel</button></a>".to_string()
    };
    let body = format!(
        r#"<h1>{app_name} is requesting access to your account</h1>
<p>You are authorizing this app as <strong>{user_name}</strong>.</p>
{scopes}
<form method="post" action="/login/oauth2/accept" id="oauth2_accept_form">
<input type="hidden" name="custom_csrf_token" value="{csrf}">
<label class="check"><input type="checkbox" name="remember_access" value="1"> Remember my authorization for this service</label>
<div class="buttons">{deny}<button type="submit" class="primary">Authorize</button></div>
</form>"#,
        app_name = html_escape(&key.name),
        user_name = html_escape(&user.name),
    );
    html(StatusCode::OK, page("Authorize", &body))
}

/// POST /login/oauth2/accept.
pub async fn accept(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    if let Some(r) = crate::navigation::refused(&app.config, &req) {
        return r;
    }
    let mut inner = app.lock();
    let sid = req.session_id().unwrap_or_default();
    let Some(session) = inner.sessions.get(&sid).cloned().filter(|s| s.oauth2.is_some()) else {
        return text(StatusCode::BAD_REQUEST, "Invalid or missing session for oauth");
    };
    let Some(expected) = session.csrf.as_deref() else {
        return text(StatusCode::BAD_REQUEST, "Missing custom CSRF token");
    };
    if req.param("custom_csrf_token") != Some(expected) {
        return text(StatusCode::BAD_REQUEST, "Invalid custom CSRF token");
    }
    if session.user_id.is_none() {
        return redirect(&format!("{}/login", app.base_url(&req)));
    }
    let remember = req.param("remember_access").is_some_and(|v| !matches!(v, "" | "0" | "false"));
    redirect_with_code(&app, &mut inner, &req, &sid, remember)
}

/// GET/POST /login/oauth2/deny.
pub async fn deny(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    if app.config.seed.settings.oauth2_deny_post && req.method == Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "This endpoint requires a POST request");
    }
    let mut inner = app.lock();
    let sid = req.session_id().unwrap_or_default();
    if inner.sessions.get(&sid).is_none_or(|s| s.oauth2.is_none()) {
        return text(StatusCode::BAD_REQUEST, "Invalid or missing session for oauth");
    }
    final_redirect(&app, &mut inner, &req, &sid, &[("error", "access_denied")])
}
