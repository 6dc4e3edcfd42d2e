//! A request read into Rails-like merged params, and its cookies, token and Basic credentials.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use serde_json::Value;
use std::collections::HashMap;

/// The browser session cookie (Rails' session store key in Canvas).
pub const SESSION_COOKIE: &str = "_normandy_session";

/// A request with Rails-like merged params.
pub struct Req {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    /// Query params, then body params (body wins).
    pub params: HashMap<String, String>,
    pub body_params: HashMap<String, String>,
}

impl Req {
    pub fn param(&self, k: &str) -> Option<&str> {
        self.params.get(k).map(String::as_str)
    }
    /// Rails `.presence`: nil when blank.
    pub fn present(&self, k: &str) -> Option<&str> {
        self.param(k).filter(|v| !v.trim().is_empty())
    }
    pub fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).and_then(|v| v.to_str().ok())
    }
    pub fn scheme(&self) -> String {
        self.header("x-forwarded-proto")
            .map(|s| s.split(',').next().unwrap_or("http").trim().to_string())
            .unwrap_or_else(|| "http".into())
    }
    pub fn host(&self) -> String {
        self.header("host").unwrap_or("localhost").to_string()
    }
    /// The request's own `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme(), self.host())
    }
    pub fn session_id(&self) -> Option<String> {
        cookie(&self.headers, SESSION_COOKIE)
    }
    /// Does the client want JSON (Accept or XHR)?
    pub fn wants_json(&self) -> bool {
        self.header("accept").is_some_and(|a| a.contains("json"))
            || self.header("x-requested-with").is_some_and(|x| x.eq_ignore_ascii_case("XMLHttpRequest"))
    }
    /// `AuthenticationMethods.access_token`: `Authorization: Bearer` (scheme exactly), else `access_token`.
    pub fn access_token(&self) -> Option<String> {
        if let Some(auth) = self.header("authorization") {
            if let Some(t) = auth.strip_prefix("Bearer ") {
                let t = t.trim();
                if !t.is_empty() {
                    return Some(t.to_string());
                }
            }
        }
        self.present("access_token").map(str::to_string)
    }
    /// HTTP Basic user and password (not URL-decoded).
    pub fn basic(&self) -> Option<(String, String)> {
        use base64::Engine;
        let auth = self.header("authorization")?;
        let (scheme, rest) = auth.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
        let s = String::from_utf8(raw).ok()?;
        let (u, p) = s.split_once(':')?;
        Some((u.to_string(), p.to_string()))
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    for v in headers.get_all(header::COOKIE) {
        for part in v.to_str().ok()?.split(';') {
            if let Some((k, val)) = part.trim().split_once('=') {
                if k == name && !val.is_empty() {
                    return Some(val.to_string());
                }
            }
        }
    }
    None
}

fn flatten_json(prefix: Option<&str>, v: &Value, out: &mut HashMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = match prefix {
                    Some(p) => format!("{p}[{k}]"),
                    None => k.clone(),
                };
                flatten_json(Some(&key), v, out);
            }
        }
        Value::Null => {}
        Value::String(s) => {
            if let Some(p) = prefix {
                out.insert(p.to_string(), s.clone());
            }
        }
        Value::Array(items) => {
            if let Some(p) = prefix {
                let joined: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                out.insert(p.to_string(), joined.join(" "));
            }
        }
        other => {
            if let Some(p) = prefix {
                out.insert(p.to_string(), other.to_string());
            }
        }
    }
}

fn parse_form(s: &str) -> HashMap<String, String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(s).unwrap_or_default().into_iter().collect()
}

/// Reads the request into a [`Req`]: query params, then form or JSON body params (body wins).
pub async fn read_req(req: Request) -> Req {
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 1 << 20).await.unwrap_or_default();
    req_from(parts, &bytes)
}

/// [`read_req`] for a handler that has read the body itself and keeps its bytes.
pub fn req_from(parts: Parts, bytes: &[u8]) -> Req {
    let mut params = parse_form(parts.uri.query().unwrap_or(""));
    let ctype =
        parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let mut body_params = HashMap::new();
    if !bytes.is_empty() {
        if ctype.contains("json") {
            if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
                flatten_json(None, &v, &mut body_params);
            }
        } else if !ctype.starts_with("multipart/") {
            body_params = parse_form(&String::from_utf8_lossy(bytes));
        }
    }
    params.extend(body_params.clone());
    Req { method: parts.method, path: parts.uri.path().to_string(), headers: parts.headers, params, body_params }
}
