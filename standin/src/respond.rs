//! Response builders and the HTML page layout shared by every handler.

use crate::request::SESSION_COOKIE;
use crate::util::html_escape;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub fn json_resp(status: StatusCode, v: &Value) -> Response {
    let mut r = (status, v.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A `RequestError`: `{error, error_description}`; 401s get `WWW-Authenticate: Canvas OAuth 2.0`.
pub fn oauth_error(status: StatusCode, error: &str, desc: &str) -> Response {
    let mut r = json_resp(status, &serde_json::json!({"error": error, "error_description": desc}));
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Canvas OAuth 2.0"));
    }
    r
}

pub fn text(status: StatusCode, body: &str) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

pub fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    r
}

/// A Rails-style 302.
pub fn redirect(location: &str) -> Response {
    let body = format!("<html><body>You are being <a href=\"{}\">redirected</a>.</body></html>", html_escape(location));
    let mut r = html(StatusCode::FOUND, body);
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

pub fn set_session_cookie(r: &mut Response, sid: &str) {
    let c = format!("{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax");
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub fn with_cookie(mut r: Response, sid: &str, created: bool) -> Response {
    if created {
        set_session_cookie(&mut r, sid);
    }
    r
}

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

/// A 400 `RequestError`.
pub fn bad(error: &str, desc: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, error, desc)
}

/// Canvas's HTML 404.
pub fn not_found_page() -> Response {
    html(
        StatusCode::NOT_FOUND,
        page("Page Not Found", "<h1>Page Not Found</h1><p>Oops, we couldn't find that page.</p>"),
    )
}
