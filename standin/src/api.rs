//! A few Canvas API endpoints with Canvas's 401 behaviour (§6.2).

use crate::masquerade::api_as_user;
use crate::request::{read_req, Req};
use crate::respond::json_resp;
use crate::state::{App, AppRef};
use crate::token_auth::{authenticate_token, TokenError};
use crate::util::{iso8601, to_query};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

fn unauthorized(body: Value, www_authenticate: bool) -> Response {
    let mut r = json_resp(StatusCode::UNAUTHORIZED, &body);
    if www_authenticate {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"canvas-lms\""));
    }
    r
}

/// Authenticates an API request for the route `pattern` (e.g. `/api/v1/users/:id`).
/// Then `as_user_id` may switch to another user.
pub(crate) fn authenticate(app: &App, req: &Req, pattern: &str) -> Result<u64, Response> {
    let caller = authenticate_caller(app, req, pattern)?;
    api_as_user(app, req, caller)
}

fn authenticate_caller(app: &App, req: &Req, pattern: &str) -> Result<u64, Response> {
    let inner = app.lock();
    let Some(token) = req.access_token() else {
        return inner.session_user(req).ok_or_else(|| {
            unauthorized(
                json!({"status": "unauthenticated", "errors": [{"message": "user authorization required"}]}),
                true,
            )
        });
    };
    match authenticate_token(app, &inner, &token) {
        Err(TokenError::Expired(at)) => Err(unauthorized(
            json!({"errors": [{"message": "Expired access token.", "expired_at": iso8601((at / 1000) as i64)}]}),
            true,
        )),
        Err(e) => Err(unauthorized(json!({"errors": [{"message": e.message()}]}), true)),
        Ok(i) => {
            let t = inner.tokens.get(i);
            let key = app.key_by_id(t.key_id).expect("checked");
            let method = if req.method == axum::http::Method::HEAD { "GET" } else { req.method.as_str() };
            let wanted = format!("url:{method}|{pattern}");
            if key.require_scopes && !t.scopes.contains(&wanted) {
                return Err(unauthorized(
                    json!({"errors": [{"message": "Insufficient scopes on access token."}]}),
                    false,
                ));
            }
            Ok(t.user_id)
        }
    }
}

fn not_found_json() -> Response {
    json_resp(StatusCode::NOT_FOUND, &json!({"errors": [{"message": "The specified resource does not exist."}]}))
}

fn forbidden() -> Response {
    unauthorized(
        json!({"status": "unauthorized", "errors": [{"message": "user not authorized to perform that action"}]}),
        false,
    )
}

/// Resolves `self` or a numeric id to the current user, or an error response.
fn resolve_self(app: &App, id: &str, current: u64) -> Result<u64, Response> {
    if id == "self" || id.parse::<u64>().ok() == Some(current) {
        return Ok(current);
    }
    match id.parse::<u64>().ok().and_then(|n| app.user(n)) {
        Some(_) => Err(forbidden()),
        None => Err(not_found_json()),
    }
}

fn sortable(name: &str) -> String {
    match name.rsplit_once(' ') {
        Some((first, last)) => format!("{last}, {first}"),
        None => name.to_string(),
    }
}

/// The user a `/api/v1/users/:id/...` request may read: authenticated for `pattern`, then
/// `self` or the caller's own id.
fn requested_user(app: &App, req: &Req, pattern: &str) -> Result<u64, Response> {
    let current = authenticate(app, req, pattern)?;
    resolve_self(app, &path_id(req, 4), current)
}

fn path_id(req: &Req, idx: usize) -> String {
    req.path.split('/').nth(idx).unwrap_or("").to_string()
}

/// GET /api/v1/users/:id (`self` or your own id).
pub async fn user(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    let id = match requested_user(&app, &req, "/api/v1/users/:id") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let u = app.user(id).expect("authenticated user exists");
    let locale = u.locale.clone();
    json_resp(
        StatusCode::OK,
        &json!({
            "id": u.id,
            "name": u.name,
            "created_at": "2024-01-08T09:00:00-07:00",
            "sortable_name": sortable(&u.name),
            "short_name": u.name,
            "avatar_url": format!("{}/images/messages/avatar-50.png", app.base_url(&req)),
            "locale": locale,
            "effective_locale": locale.clone().unwrap_or_else(|| "en".into()),
            "permissions": {"can_update_name": true, "can_update_avatar": true, "limit_parent_app_web_access": false},
        }),
    )
}

/// GET /api/v1/users/:user_id/profile.
pub async fn profile(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    let id = match requested_user(&app, &req, "/api/v1/users/:user_id/profile") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let u = app.user(id).expect("authenticated user exists");
    let base = app.base_url(&req);
    json_resp(
        StatusCode::OK,
        &json!({
            "id": u.id,
            "name": u.name,
            "short_name": u.name,
            "sortable_name": sortable(&u.name),
            "title": null,
            "bio": null,
            "pronunciation": null,
            "primary_email": u.email.clone().unwrap_or_else(|| u.login.clone()),
            "login_id": u.login,
            "integration_id": null,
            "time_zone": "America/Denver",
            "locale": u.locale,
            "effective_locale": u.locale.clone().unwrap_or_else(|| "en".into()),
            "avatar_url": format!("{base}/images/messages/avatar-50.png"),
            "calendar": {"ics": format!("{base}/feeds/calendars/user_{}.ics", u.id)},
            "lti_user_id": format!("standin-lti-user-{}", u.id),
            "k5_user": false,
            "use_classic_font_in_k5": false,
        }),
    )
}

/// GET /api/v1/courses: paginated (`page`, `per_page` default 10, max 100) with Canvas `Link` headers.
pub async fn courses(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    let user_id = match authenticate(&app, &req, "/api/v1/courses") {
        Ok(u) => u,
        Err(r) => return r,
    };
    let all = &app.config.seed.courses;
    let per_page = match req.param("per_page").and_then(|p| p.trim().parse::<i64>().ok()) {
        Some(n) if n > 0 => n.min(100) as usize,
        _ => 10,
    };
    let page = match req.param("page").and_then(|p| p.trim().parse::<i64>().ok()) {
        Some(n) if n > 0 => n as usize,
        _ => 1,
    };
    let last = all.len().div_ceil(per_page).max(1);
    let items: Vec<Value> = all
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|c| {
            let teacher = c.teacher_ids.contains(&user_id);
            let (typ, role, role_id) = if teacher { ("teacher", "TeacherEnrollment", 4) } else { ("student", "StudentEnrollment", 3) };
            json!({
                "id": c.id,
                "name": c.name,
                "course_code": c.course_code,
                "workflow_state": "available",
                "account_id": 1,
                "root_account_id": 1,
                "uuid": format!("standin-course-{}", c.id),
                "start_at": null,
                "end_at": null,
                "created_at": "2024-01-08T09:00:00-07:00",
                "default_view": "modules",
                "enrollment_term_id": 1,
                "is_public": false,
                "public_syllabus": false,
                "hide_final_grades": false,
                "apply_assignment_group_weights": false,
                "time_zone": "America/Denver",
                "enrollments": [{"type": typ, "role": role, "role_id": role_id, "user_id": user_id, "enrollment_state": "active", "limit_privileges_to_course_section": false}],
            })
        })
        .collect();
    // Keep the caller's other query params (not the token), then page and per_page.
    let mut keep: Vec<(String, String)> = req
        .params
        .iter()
        .filter(|(k, _)| {
            !req.body_params.contains_key(*k) && !matches!(k.as_str(), "page" | "per_page" | "access_token")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    keep.sort();
    let base = format!("{}{}", app.base_url(&req), req.path);
    let prefix = to_query(&keep.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>());
    let link = |p: usize| {
        let tail = format!("page={p}&per_page={per_page}");
        if prefix.is_empty() {
            format!("{base}?{tail}")
        } else {
            format!("{base}?{prefix}&{tail}")
        }
    };
    let mut links = vec![format!("<{}>; rel=\"current\"", link(page))];
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", link(page + 1)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", link(page - 1)));
    }
    links.push(format!("<{}>; rel=\"first\"", link(1)));
    links.push(format!("<{}>; rel=\"last\"", link(last)));
    let mut r = json_resp(StatusCode::OK, &Value::Array(items));
    if let Ok(v) = HeaderValue::from_str(&links.join(",")) {
        r.headers_mut().insert(header::LINK, v);
    }
    r
}

/// Any other /api path: authenticate first (like Canvas), then 404.
pub async fn not_found(State(app): State<AppRef>, req: Request) -> Response {
    let req = read_req(req).await;
    if let Err(r) = authenticate(&app, &req, &req.path.clone()) {
        return r;
    }
    not_found_json()
}
