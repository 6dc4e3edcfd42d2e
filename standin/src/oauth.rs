//! Browser side: /login/oauth2/auth (§2), the login form, confirm/accept/deny (§2.6).

use crate::seed::DeveloperKey;
use crate::state::App;
use crate::state::{
    html, oauth_error, read_req, redirect, set_session_cookie, text, AppRef, CodeData, Inner, OAuthSession, Req,
    Session,
};
use crate::util::{append_query, html_escape, now_ms, parse_url, random_hex, to_query, to_sentence};
use crate::Behaviour;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;

pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

/// Wraps content in the stand-in's page layout.
pub fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | Canvas (stand-in)</title>
<style>
  body {{ margin: 0; font-family: "Lato", "Helvetica Neue", Helvetica, Arial, sans-serif; background: #f5f5f5; color: #2d3b45; }}
  header {{ background: #394b58; color: #fff; padding: 14px 24px; font-size: 18px; font-weight: bold; }}
  header span {{ font-weight: normal; font-size: 13px; opacity: .8; margin-left: 8px; }}
  main {{ max-width: 440px; margin: 48px auto; background: #fff; border: 1px solid #c7cdd1; border-radius: 6px; padding: 28px 32px; }}
  h1 {{ font-size: 22px; margin: 0 0 16px; }}
  label {{ display: block; font-weight: bold; margin: 14px 0 6px; }}
  input[type=text], input[type=email], input[type=password] {{ width: 100%; box-sizing: border-box; padding: 9px 10px; font-size: 15px; border: 1px solid #8b969e; border-radius: 4px; }}
  .buttons {{ margin-top: 22px; display: flex; gap: 10px; justify-content: flex-end; }}
  button {{ font-size: 15px; padding: 9px 18px; border-radius: 4px; border: 1px solid #c7cdd1; background: #f5f5f5; color: #2d3b45; cursor: pointer; }}
  button.primary {{ background: #0374b5; border-color: #0374b5; color: #fff; }}
  .error {{ background: #fbeaea; border: 1px solid #e0061f; color: #a1001a; padding: 10px; border-radius: 4px; }}
  ul.scopes {{ background: #f5f5f5; padding: 10px 10px 10px 30px; border-radius: 4px; font-family: monospace; font-size: 13px; }}
  .muted {{ color: #6b7780; font-size: 13px; }}
  .check {{ font-weight: normal; display: flex; gap: 8px; align-items: center; }}
  code {{ word-break: break-all; }}
</style>
</head>
<body>
<header>Canvas <span>local stand-in — not a real Canvas</span></header>
<main>
{body}
</main>
</body>
</html>"#
    )
}

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
            "<h1>Dashboard</h1><p>You are logged in as <strong>{}</strong> ({}).</p><form method=\"post\" action=\"/logout\"><div class=\"buttons\"><button type=\"submit\">Log out</button></div></form>",
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
    if let (Some(uid), None) = (logged_in, req.param("force_login")) {
        let sid = req.session_id().unwrap_or_default();
        if inner.sessions.get(&sid).is_some_and(|s| s.oauth2.is_some()) {
            return confirmation_redirect(&app, &mut inner, &req, &sid, uid);
        }
        return redirect(&format!("{}/", app.base_url(&req)));
    }
    html(StatusCode::OK, login_form(&req, None))
}

pub async fn login_submit(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    let login = req.param("pseudonym_session[unique_id]").unwrap_or("").trim().to_string();
    let password = req.param("pseudonym_session[password]").unwrap_or("");
    let user = app.config.seed.users.iter().find(|u| u.login.eq_ignore_ascii_case(&login) && u.password == password);
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
    inner.sessions.insert(sid.clone(), Session { user_id: Some(user.id), oauth2: old.oauth2, csrf: None });
    let mut r = if pending {
        confirmation_redirect(&app, &mut inner, &req, &sid, user.id)
    } else {
        redirect(&format!("{}/", app.base_url(&req)))
    };
    set_session_cookie(&mut r, &sid);
    r
}

pub async fn logout_page(State(_app): State<AppRef>) -> Response {
    html(
        StatusCode::OK,
        page("Log Out", "<h1>Log out</h1><form method=\"post\" action=\"/logout\"><div class=\"buttons\"><button type=\"submit\" class=\"primary\">Log out</button></div></form>"),
    )
}

pub async fn logout(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    if let Some(sid) = req.session_id() {
        app.lock().sessions.remove(&sid);
    }
    redirect(&format!("{}/login", app.base_url(&req)))
}

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

fn requested_scopes(req: &Req) -> Vec<String> {
    req.param("scope").or(req.param("scopes")).unwrap_or("").split_whitespace().map(str::to_string).collect()
}

/// Scopes requested but not among the key's scopes.
pub fn missing_scopes(key: &DeveloperKey, requested: &[String]) -> Vec<String> {
    requested.iter().filter(|s| !key.scopes.contains(s)).cloned().collect()
}

pub fn invalid_scope_description(missing: &[String]) -> String {
    format!(
        "A requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner. The following scopes were requested, but not granted: {}",
        to_sentence(missing)
    )
}

/// `Token.generate_code_for`: a 128-hex code, PKCE challenge stored only for S256.
pub fn issue_code(
    app: &App,
    inner: &mut Inner,
    client_id: u64,
    user_id: u64,
    scopes: Vec<String>,
    purpose: Option<String>,
    remember_access: bool,
    challenge: Option<&str>,
    method: Option<&str>,
) -> String {
    let code = random_hex(64);
    let expires_ms = now_ms() + app.config.code_ttl.as_millis() as u64;
    inner.sweep();
    inner.codes.insert(code.clone(), CodeData { client_id, user_id, scopes, purpose, remember_access, expires_ms });
    if let (Some(ch), Some("S256")) = (challenge, method) {
        inner.pkce.insert(code.clone(), (ch.to_string(), expires_ms));
    }
    code
}

/// `Provider#authorized_token?` (§2.4).
fn authorized_token(app: &App, inner: &Inner, o: &OAuthSession, user_id: u64) -> bool {
    if o.redirect_uri == OOB {
        return false;
    }
    let Some(key) = app.key_by_id(o.client_id) else { return false };
    if key.trusted {
        return true;
    }
    find_reusable(app, inner, key, user_id, &o.scopes, o.purpose.as_deref()).is_some()
}

/// `Token.find_reusable_access_token`.
pub fn find_reusable(
    app: &App,
    inner: &Inner,
    key: &DeveloperKey,
    user_id: u64,
    scopes: &[String],
    purpose: Option<&str>,
) -> Option<usize> {
    let now = now_ms();
    let purpose = purpose.unwrap_or(&key.name);
    let usable = |t: &crate::store::AccessToken| {
        !t.deleted && t.key_id == key.id && t.user_id == user_id && t.permanent_expires_at_ms.is_none_or(|p| p > now)
    };
    if key.force_token_reuse {
        if let Some(i) = inner.tokens.position(|t| usable(t) && t.purpose == purpose && t.scopes == scopes) {
            return Some(i);
        }
    }
    if scopes.len() == 1 && scopes[0].ends_with("userinfo") {
        return inner.tokens.position(|t| usable(t) && t.remember_access && t.scopes == scopes);
    }
    let _ = app;
    None
}

/// `Provider.final_redirect`: deletes `session[:oauth2]`, appends sorted params (+ state).
fn final_redirect(app: &App, inner: &mut Inner, req: &Req, sid: &str, params: &[(&str, &str)]) -> Response {
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
fn redirect_with_code(app: &App, inner: &mut Inner, req: &Req, sid: &str, user_id: u64, remember: bool) -> Response {
    let Some(o) = inner.sessions.get(sid).and_then(|s| s.oauth2.clone()) else {
        return text(StatusCode::BAD_REQUEST, "Invalid or missing session for oauth");
    };
    let code = issue_code(
        app,
        inner,
        o.client_id,
        user_id,
        o.scopes.clone(),
        o.purpose.clone(),
        remember,
        o.code_challenge.as_deref(),
        o.code_challenge_method.as_deref(),
    );
    final_redirect(app, inner, req, sid, &[("code", &code)])
}

/// `Provider.confirmation_redirect`.
fn confirmation_redirect(app: &App, inner: &mut Inner, req: &Req, sid: &str, user_id: u64) -> Response {
    let Some(o) = inner.sessions.get(sid).and_then(|s| s.oauth2.clone()) else {
        return redirect(&format!("{}/login", app.base_url(req)));
    };
    if authorized_token(app, inner, &o, user_id) {
        return redirect_with_code(app, inner, req, sid, user_id, false);
    }
    redirect(&format!("{}/login/oauth2/confirm", app.base_url(req)))
}

fn with_cookie(mut r: Response, sid: &str, created: bool) -> Response {
    if created {
        set_session_cookie(&mut r, sid);
    }
    r
}

/// GET /login/oauth2/auth (§2.2, in that order).
pub async fn auth(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
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
    // 7. prompt.
    let user = inner.sessions.get(&sid).and_then(|s| s.user_id);
    let mut force_login = req.param("force_login").is_some();
    match req.param("prompt") {
        None => {}
        Some("none") => {
            let r = match user {
                None => err(&mut inner, "login_required", "prompt=none but there is no current session"),
                Some(uid) => {
                    let o = inner.sessions.get(&sid).and_then(|s| s.oauth2.clone()).expect("saved above");
                    if authorized_token(&app, &inner, &o, uid) {
                        redirect_with_code(&app, &mut inner, &req, &sid, uid, false)
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
    if let (Some(uid), false) = (user, force_login) {
        let r = confirmation_redirect(&app, &mut inner, &req, &sid, uid);
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
    let Some(user) = session.user_id.and_then(|id| app.user(id)) else {
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
    let Some(uid) = session.user_id else {
        return redirect(&format!("{}/login", app.base_url(&req)));
    };
    let remember = req.param("remember_access").is_some_and(|v| !matches!(v, "" | "0" | "false"));
    redirect_with_code(&app, &mut inner, &req, &sid, uid, remember)
}

/// GET/POST /login/oauth2/deny.
pub async fn deny(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    if app.config.seed.settings.oauth2_deny_post && req.method == Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "This endpoint requires a POST request");
    }
    let mut inner = app.lock();
    let sid = req.session_id().unwrap_or_default();
    if !inner.sessions.get(&sid).is_some_and(|s| s.oauth2.is_some()) {
        return text(StatusCode::BAD_REQUEST, "Invalid or missing session for oauth");
    }
    final_redirect(&app, &mut inner, &req, &sid, &[("error", "access_denied")])
}
