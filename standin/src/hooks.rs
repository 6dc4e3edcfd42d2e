//! `/__test/*`: test hooks, enabled only by `Config::test_hooks` / `--test-hooks`. NOT Canvas
//! behaviour. These (and only these) responses carry permissive CORS headers.

use crate::grants::issue_code;
use crate::request::read_req;
use crate::respond::json_resp;
use crate::state::{AppRef, Grant};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::atomic::Ordering;

fn cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    r
}

pub async fn preflight() -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

/// POST /__test/code `{client_id, user_id, real_user_id?, scopes?, code_challenge?, code_challenge_method?,
/// purpose?, resource?}`
/// → `{code}`, minted exactly like an approved authorization.
pub async fn code(State(app): State<AppRef>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let _ = parts;
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let v: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return cors(json_resp(StatusCode::BAD_REQUEST, &json!({"error": format!("invalid JSON: {e}")}))),
    };
    let id = |k: &str| match &v[k] {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let Some(key) = id("client_id").and_then(|c| app.key_by_id(c)) else {
        return cors(json_resp(StatusCode::BAD_REQUEST, &json!({"error": "unknown client_id"})));
    };
    let Some(user) = id("user_id").and_then(|u| app.user(u)) else {
        return cors(json_resp(StatusCode::BAD_REQUEST, &json!({"error": "unknown user_id"})));
    };
    let scopes: Vec<String> = match &v["scopes"] {
        serde_json::Value::Array(a) => a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect(),
        serde_json::Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
        _ => vec![],
    };
    let s = |k: &str| v[k].as_str().map(str::to_string);
    let mut inner = app.lock();
    let real_user_id = match id("real_user_id") {
        Some(r) if app.user(r).is_some() => Some(r),
        Some(_) => return cors(json_resp(StatusCode::BAD_REQUEST, &json!({"error": "unknown real_user_id"}))),
        None => None,
    };
    let grant = Grant {
        client_id: key.id,
        user_id: user.id,
        real_user_id,
        scopes,
        purpose: s("purpose"),
        remember_access: false,
        resource: s("resource"),
    };
    let code =
        issue_code(&app, &mut inner, grant, s("code_challenge").as_deref(), s("code_challenge_method").as_deref());
    cors(json_resp(StatusCode::OK, &json!({"code": code})))
}

/// GET /__test/stats: request counters.
pub async fn stats(State(app): State<AppRef>, req: Request) -> Response {
    let _ = read_req(req).await;
    let s = &app.stats;
    cors(json_resp(
        StatusCode::OK,
        &json!({
            "token_requests": s.token_requests.load(Ordering::Relaxed),
            "refresh_requests": s.refresh_requests.load(Ordering::Relaxed),
            "revoke_requests": s.revoke_requests.load(Ordering::Relaxed),
            "api_requests": s.api_requests.load(Ordering::Relaxed),
            "api_peak_in_flight": app.buckets.lock().expect("buckets lock").peak_in_flight(),
        }),
    ))
}

/// POST /__test/throttle/reset: empties every token's bucket and forgets the peak in flight.
pub async fn reset_throttle(State(app): State<AppRef>, req: Request) -> Response {
    let _ = read_req(req).await;
    app.buckets.lock().expect("buckets lock").clear();
    cors(StatusCode::NO_CONTENT.into_response())
}
