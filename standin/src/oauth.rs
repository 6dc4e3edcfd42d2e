//! GET /login/oauth2/auth (§2) and the redirects back to the client (§2.4, §2.7).

use crate::config::Behaviour;
use crate::grants::{find_reusable, invalid_scope_description, issue_code, missing_scopes, requested_scopes};
use crate::request::{read_req, Req};
use crate::respond::{html, oauth_error, page, redirect, text, with_cookie};
use crate::seed::DeveloperKey;
use crate::state::{App, AppRef, Grant, Inner, OAuthSession};
use crate::util::{append_query, html_escape, parse_url, to_query};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

/// `Provider#has_valid_redirect?` (§2.3; NEXT: exact list only, §7.23).
pub fn redirect_valid(app: &App, key: &DeveloperKey, uri: &str, req: &Req) -> bool {
    if uri == OOB {
        if app.config.behaviour == Behaviour::Next {
            if let Some(dest) = req.header("sec-fetch-dest") {
                return dest == "document";
            }
        }
        return true;
    }
    if uri.trim().is_empty() {
        return false;
    }
    if key.redirect_uris.iter().any(|r| r == uri) {
        return true;
    }
    if app.config.behaviour == Behaviour::Next {
        return false;
    }
    let Some(registered) = key.redirect_uri.as_deref().filter(|r| !r.trim().is_empty()) else { return false };
    let (Some(reg), Some(cand)) = (parse_url(registered), parse_url(uri)) else { return false };
    let (Some(rh), Some(ch)) = (reg.host.as_deref(), cand.host.as_deref()) else { return false };
    if reg.scheme != cand.scheme || rh.is_empty() {
        return false;
    }
    ch == rh || ch.ends_with(&format!(".{rh}"))
}

/// The grant the pending request would make for the session's current user (the masqueraded
/// one when masquerading, with the admin as `real_user`).
fn pending_grant(inner: &Inner, sid: &str, remember_access: bool) -> Option<(OAuthSession, Grant)> {
    let session = inner.sessions.get(sid)?;
    let o = session.oauth2.clone()?;
    let grant = Grant {
        client_id: o.client_id,
        user_id: session.current_user()?,
        real_user_id: session.real_user(),
        scopes: o.scopes.clone(),
        purpose: o.purpose.clone(),
        remember_access,
        resource: o.resource.clone(),
    };
    Some((o, grant))
}

/// `Provider#authorized_token?` (§2.4).
fn authorized_token(app: &App, inner: &Inner, sid: &str) -> bool {
    let Some((o, grant)) = pending_grant(inner, sid, false) else { return false };
    if o.redirect_uri == OOB {
        return false;
    }
    let Some(key) = app.key_by_id(o.client_id) else { return false };
    key.trusted || find_reusable(inner, key, &grant).is_some()
}

/// `Provider.final_redirect`: deletes `session[:oauth2]`, appends sorted params (+ state).
pub fn final_redirect(app: &App, inner: &mut Inner, req: &Req, sid: &str, params: &[(&str, &str)]) -> Response {
    let Some(o) = inner.sessions.get_mut(sid).and_then(|s| s.oauth2.take()) else {
        return text(StatusCode::BAD_REQUEST, "Invalid or missing session for oauth");
    };
    let mut all: Vec<(&str, &str)> = params.to_vec();
    if let Some(state) = o.state.as_deref() {
        all.push(("state", state));
    }
    let query = to_query(&all);
    let target =
        if o.redirect_uri == OOB { format!("{}/login/oauth2/auth", app.base_url(req)) } else { o.redirect_uri.clone() };
    redirect(&append_query(&target, &query))
}

/// Redirect with a fresh code for the pending request.
pub fn redirect_with_code(app: &App, inner: &mut Inner, req: &Req, sid: &str, remember: bool) -> Response {
    let Some((o, grant)) = pending_grant(inner, sid, remember) else {
        return text(StatusCode::BAD_REQUEST, "Invalid or missing session for oauth");
    };
    let code = issue_code(app, inner, grant, o.code_challenge.as_deref(), o.code_challenge_method.as_deref());
    final_redirect(app, inner, req, sid, &[("code", &code)])
}

/// `Provider.confirmation_redirect`.
pub fn confirmation_redirect(app: &App, inner: &mut Inner, req: &Req, sid: &str) -> Response {
    if inner.sessions.get(sid).is_none_or(|s| s.oauth2.is_none()) {
        return redirect(&format!("{}/login", app.base_url(req)));
    }
    if authorized_token(app, inner, sid) {
        return redirect_with_code(app, inner, req, sid, false);
    }
    redirect(&format!("{}/login/oauth2/confirm", app.base_url(req)))
}

/// GET /login/oauth2/auth (§2.2, in that order).
pub async fn auth(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    if let Some(r) = crate::navigation::refused(&app.config, &req) {
        return r;
    }
    // 0. OOB landing page.
    if req.param("code").is_some() || req.param("error").is_some() {
        let body = match (req.param("code"), req.param("error")) {
            (Some(code), _) => format!("<h1>Authorization code</h1><p>Copy this code into the application:</p><p><code id=\"code\">{}</code></p>", html_escape(code)),
            (None, Some(err)) => format!("<h1>Authorization failed</h1><p class=\"error\">{}</p>", html_escape(err)),
            _ => unreachable!(),
        };
        return html(StatusCode::OK, page("Authorization", &body));
    }
    // 1. Unknown or inactive client.
    let Some(key) = app.find_active_key(req.param("client_id")) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client");
    };
    // 2. redirect_uri.
    let redirect_uri = req.param("redirect_uri").unwrap_or("").to_string();
    if !redirect_valid(&app, key, &redirect_uri, &req) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "redirect_uri does not match client settings");
    }
    // 3. Save the session.
    let scopes = requested_scopes(&req);
    let mut inner = app.lock();
    let (sid, created) = inner.ensure_session(&req);
    let o = OAuthSession {
        client_id: key.id,
        redirect_uri,
        scopes: scopes.clone(),
        purpose: req.param("purpose").map(str::to_string),
        code_challenge: req.param("code_challenge").map(str::to_string),
        code_challenge_method: req.param("code_challenge_method").map(str::to_string),
        state: req.param("state").map(str::to_string),
        nonce: req.param("nonce").map(str::to_string),
        resource: None,
    };
    if let Some(s) = inner.sessions.get_mut(&sid) {
        s.oauth2 = Some(o);
    }
    let err = |inner: &mut Inner, error: &str, desc: &str| {
        final_redirect(&app, inner, &req, &sid, &[("error", error), ("error_description", desc)])
    };
    // 4. Scopes for require_scopes keys.
    if key.require_scopes {
        let missing = missing_scopes(key, &scopes);
        if scopes.is_empty() || !missing.is_empty() {
            let r = err(&mut inner, "invalid_scope", &invalid_scope_description(&missing));
            return with_cookie(r, &sid, created);
        }
    }
    // 5. Account binding.
    if key.account_binding != "on" {
        let r = err(&mut inner, "unauthorized_client", "Client does not have access to the specified Canvas account.");
        return with_cookie(r, &sid, created);
    }
    // 6. response_type.
    if req.param("response_type") != Some("code") {
        let r = err(&mut inner, "unsupported_response_type", "Only response_type=code is permitted");
        return with_cookie(r, &sid, created);
    }
    // 6b. NEXT: RFC 8707 resource (where in the order is not known; chosen here).
    if let (Behaviour::Next, Some(resource)) = (app.config.behaviour, req.param("resource")) {
        if !crate::resource::acceptable(key, resource) {
            let r = err(&mut inner, "invalid_target", crate::resource::INVALID_TARGET_DESC);
            return with_cookie(r, &sid, created);
        }
        if let Some(o) = inner.sessions.get_mut(&sid).and_then(|s| s.oauth2.as_mut()) {
            o.resource = Some(resource.to_string());
        }
    }
    // 7. prompt.
    // `logged_in_user`: the real user when masquerading.
    let user = inner.sessions.get(&sid).and_then(|s| s.user_id);
    let mut force_login = req.param("force_login").is_some();
    match req.param("prompt") {
        None => {}
        Some("none") => {
            let r = match user {
                None => err(&mut inner, "login_required", "prompt=none but there is no current session"),
                Some(_) => {
                    if authorized_token(&app, &inner, &sid) {
                        redirect_with_code(&app, &mut inner, &req, &sid, false)
                    } else {
                        err(
                            &mut inner,
                            "interaction_required",
                            "prompt=none but a token cannot be granted without user interaction",
                        )
                    }
                }
            };
            return with_cookie(r, &sid, created);
        }
        Some("login") => force_login = true,
        Some(_) => {
            let r = err(&mut inner, "unsupported_prompt_type", "prompt must be \"none\" (or omitted)");
            return with_cookie(r, &sid, created);
        }
    }
    // 8. Logged in, no force_login.
    if let (Some(_), false) = (user, force_login) {
        let r = confirmation_redirect(&app, &mut inner, &req, &sid);
        return with_cookie(r, &sid, created);
    }
    // 9. To /login, keeping only the login params.
    let force = if req.param("prompt") == Some("login") { Some("true") } else { req.param("force_login") };
    let mut keep: Vec<(&str, &str)> = Vec::new();
    if let Some(v) = req.param("canvas_login") {
        keep.push(("canvas_login", v));
    }
    if let Some(v) = force {
        keep.push(("force_login", v));
    }
    if let Some(v) = req.param("authentication_provider") {
        keep.push(("authentication_provider", v));
    }
    if let Some(v) = req.param("unique_id") {
        keep.push(("pseudonym_session[unique_id]", v));
    }
    let r = redirect(&append_query(&format!("{}/login", app.base_url(&req)), &to_query(&keep)));
    with_cookie(r, &sid, created)
}
