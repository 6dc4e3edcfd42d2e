//! Shared state, request parsing and response helpers.

use crate::seed::{DeveloperKey, User};
use crate::store::TokenStore;
use crate::util::{now_ms, random_hex};
use crate::Config;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub const SESSION_COOKIE: &str = "_normandy_session";
/// `SessionToken::VALIDITY_PERIOD`.
pub const SESSION_TOKEN_VALIDITY_MS: u64 = 30_000;

pub type AppRef = Arc<App>;

pub struct App {
    pub config: Config,
    pub signing_key: RsaPrivateKey,
    pub signing_kid: String,
    pub internal_secret: Vec<u8>,
    pub inner: Mutex<Inner>,
    pub stats: Stats,
}

#[derive(Default)]
pub struct Stats {
    pub token_requests: AtomicU64,
    pub refresh_requests: AtomicU64,
    pub revoke_requests: AtomicU64,
    pub api_requests: AtomicU64,
}

impl Stats {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Default)]
pub struct Inner {
    pub codes: HashMap<String, CodeData>,
    /// `oauth2/pkce:<code>` → (challenge, expires_ms)
    pub pkce: HashMap<String, (String, u64)>,
    pub tokens: TokenStore,
    pub sessions: HashMap<String, Session>,
    /// session token → (user id, created_ms)
    pub session_tokens: HashMap<String, (u64, u64)>,
}

#[derive(Clone, Debug)]
pub struct CodeData {
    pub client_id: u64,
    pub user_id: u64,
    pub scopes: Vec<String>,
    pub purpose: Option<String>,
    pub remember_access: bool,
    pub expires_ms: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Session {
    pub user_id: Option<u64>,
    pub oauth2: Option<OAuthSession>,
    pub csrf: Option<String>,
}

#[derive(Clone, Debug)]
pub struct OAuthSession {
    pub client_id: u64,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub purpose: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub state: Option<String>,
    #[allow(dead_code)]
    pub nonce: Option<String>,
}

const SIGNING_KEY_PEM: &str = include_str!("keys/standin-signing.pem");

impl App {
    pub fn new(config: Config) -> App {
        let signing_key = RsaPrivateKey::from_pkcs8_pem(SIGNING_KEY_PEM).expect("embedded signing key parses");
        App {
            config,
            signing_key,
            signing_kid: "standin-2024-01".into(),
            internal_secret: random_hex(32).into_bytes(),
            inner: Mutex::new(Inner::default()),
            stats: Stats::default(),
        }
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `DeveloperKey.find_cached` for a client_id string: must parse as a signed 64-bit integer.
    pub fn find_key(&self, client_id: Option<&str>) -> Option<&DeveloperKey> {
        let id: i64 = client_id?.trim().parse().ok()?;
        if id < 0 {
            return None;
        }
        self.config.seed.developer_keys.iter().find(|k| k.id == id as u64)
    }

    /// The key when present and active (`has_valid_key?`).
    pub fn find_active_key(&self, client_id: Option<&str>) -> Option<&DeveloperKey> {
        self.find_key(client_id).filter(|k| k.active)
    }

    pub fn key_by_id(&self, id: u64) -> Option<&DeveloperKey> {
        self.config.seed.developer_keys.iter().find(|k| k.id == id)
    }

    pub fn user(&self, id: u64) -> Option<&User> {
        self.config.seed.users.iter().find(|u| u.id == id)
    }

    /// Base URL for absolute links: `public_url` or the request's scheme + Host.
    pub fn base_url(&self, req: &Req) -> String {
        match &self.config.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => req.origin(),
        }
    }
}

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
    let mut params = parse_form(parts.uri.query().unwrap_or(""));
    let bytes = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let ctype =
        parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let mut body_params = HashMap::new();
    if !bytes.is_empty() {
        if ctype.contains("json") {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                flatten_json(None, &v, &mut body_params);
            }
        } else if !ctype.starts_with("multipart/") {
            body_params = parse_form(&String::from_utf8_lossy(&bytes));
        }
    }
    params.extend(body_params.clone());
    Req { method: parts.method, path: parts.uri.path().to_string(), headers: parts.headers, params, body_params }
}

// ---------- responses ----------

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
    let body = format!(
        "<html><body>You are being <a href=\"{}\">redirected</a>.</body></html>",
        crate::util::html_escape(location)
    );
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

impl Inner {
    /// Returns the session id for this request, creating a session when needed (bool = created).
    pub fn ensure_session(&mut self, req: &Req) -> (String, bool) {
        if let Some(sid) = req.session_id() {
            if self.sessions.contains_key(&sid) {
                return (sid, false);
            }
        }
        let sid = random_hex(32);
        self.sessions.insert(sid.clone(), Session::default());
        (sid, true)
    }

    pub fn session(&self, req: &Req) -> Option<&Session> {
        self.sessions.get(&req.session_id()?)
    }

    pub fn session_user(&self, req: &Req) -> Option<u64> {
        self.session(req).and_then(|s| s.user_id)
    }

    /// Removes expired codes, challenges and session tokens.
    pub fn sweep(&mut self) {
        let now = now_ms();
        self.codes.retain(|_, c| c.expires_ms > now);
        self.pkce.retain(|_, (_, exp)| *exp > now);
        self.session_tokens.retain(|_, (_, created)| created.saturating_add(SESSION_TOKEN_VALIDITY_MS) >= now);
    }
}

pub async fn not_found(State(_app): State<AppRef>, req: Request) -> Response {
    let _ = req;
    html(
        StatusCode::NOT_FOUND,
        crate::oauth::page("Page Not Found", "<h1>Page Not Found</h1><p>Oops, we couldn't find that page.</p>"),
    )
}

/// One log line per request (method, path without query, status, latency), session-token
/// logins (§5) and the API request counter.
pub async fn middleware(State(app): State<AppRef>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    if path.starts_with("/api/") {
        Stats::bump(&app.stats.api_requests);
    }
    let resp = match session_token_login(&app, &req) {
        Some(r) => r,
        None => next.run(req).await,
    };
    eprintln!("canvas-standin: {} {} {} {}ms", method, path, resp.status().as_u16(), start.elapsed().as_millis());
    resp
}

/// `?session_token=` on any path: a valid token (within 30 s) logs the browser in and redirects
/// to the same URL without the parameter. An invalid one is ignored.
fn session_token_login(app: &App, req: &Request<Body>) -> Option<Response> {
    let query = req.uri().query()?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    let tok = pairs.iter().find(|(k, _)| k == "session_token").map(|(_, v)| v.clone())?;
    let mut inner = app.lock();
    let (user_id, created) = *inner.session_tokens.get(&tok)?;
    let now = now_ms();
    if now.abs_diff(created) > SESSION_TOKEN_VALIDITY_MS {
        return None;
    }
    let sid = random_hex(32);
    inner.sessions.insert(sid.clone(), Session { user_id: Some(user_id), ..Default::default() });
    drop(inner);
    let rest: Vec<(String, String)> = pairs.into_iter().filter(|(k, _)| k != "session_token").collect();
    let mut location = req.uri().path().to_string();
    if !rest.is_empty() {
        location.push('?');
        location.push_str(&serde_urlencoded::to_string(&rest).unwrap_or_default());
    }
    let mut r = redirect(&location);
    set_session_cookie(&mut r, &sid);
    Some(r)
}
