//! Shared test helpers: a relay on 127.0.0.1:0, the stand-in Canvas, and a counting fake
//! Canvas whose behaviour each test sets.
#![allow(dead_code)]

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use canvas_oauth_relay::{CookieKey, RelayConfig};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const ORIGIN: &str = "http://localhost:5173";
pub const CLIENT_ID: &str = "10000000000001";
pub const SECRET: &str = "standin-secret-web";
pub const REDIRECT: &str = "http://localhost:5173/callback";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

pub fn key(kid: &str, b: u8) -> CookieKey {
    CookieKey { kid: kid.into(), key: [b; 32] }
}

pub fn config(canvas: &str, client_id: &str, secret: &str) -> RelayConfig {
    let mut c = RelayConfig::new(
        canvas,
        client_id,
        canvas_oauth_core::ClientSecret::new(secret),
        REDIRECT,
        vec![ORIGIN.to_string()],
        vec![key("k1", 1)],
    )
    .expect("test config");
    c.connect_timeout = Duration::from_millis(500);
    c.upstream_timeout = Duration::from_millis(1500);
    c.rate_limit_per_minute = 100_000;
    c.session_url = true;
    c.api_allow =
        vec![canvas_oauth_relay::ApiRule { methods: vec!["GET".into(), "POST".into()], prefix: "/api/v1/".into() }];
    c
}

/// Starts the relay; returns its base URL (`http://127.0.0.1:PORT` + base path prefix).
pub async fn start_relay(config: RelayConfig) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let prefix = if config.base_path == "/" { String::new() } else { config.base_path.clone() };
    tokio::spawn(canvas_oauth_relay::serve(listener, Arc::new(config)));
    format!("http://{addr}{prefix}")
}

/// Starts the relay with its ops listener; returns the relay's base URL and the ops listener's
/// (`http://127.0.0.1:PORT`), and a sender that shuts the relay down.
pub async fn start_relay_with_ops(config: RelayConfig) -> (String, String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ops = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (addr, ops_addr) = (listener.local_addr().unwrap(), ops.local_addr().unwrap());
    let prefix = if config.base_path == "/" { String::new() } else { config.base_path.clone() };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    tokio::spawn(canvas_oauth_relay::serve_listeners(listener, Some(ops), Arc::new(config), shutdown));
    (format!("http://{addr}{prefix}"), format!("http://{ops_addr}"), stop)
}

pub const LTI_SCOPE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
pub const LTI_CALLER: &str = "lti-caller-token-0123456789abcdef0123456789";

/// A relay configuration with an LTI key (`LTI_CLIENT_ID` 10000000000005, scopes score +
/// lineitem) and, when given, `LTI_CALLER_TOKEN`.
pub fn lti_config(canvas: &str, caller_token: Option<&str>) -> RelayConfig {
    let dir = std::env::temp_dir().join(format!("relay-lti-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keyfile = dir.join("key.pem");
    std::fs::write(&keyfile, include_str!("../data/lti-test-private.pem")).unwrap();
    let mut vars = std::collections::HashMap::from([
        ("CANVAS_URL", canvas.to_string()),
        ("CANVAS_CLIENT_ID", CLIENT_ID.to_string()),
        ("CANVAS_CLIENT_SECRET", SECRET.to_string()),
        ("CANVAS_REDIRECT_URI", REDIRECT.to_string()),
        ("RELAY_ALLOWED_ORIGINS", ORIGIN.to_string()),
        ("RELAY_COOKIE_KEYS", format!("k1:{}", b64(&[1; 32]))),
        ("LTI_PRIVATE_KEY_FILE", keyfile.display().to_string()),
        ("LTI_CLIENT_ID", "10000000000005".to_string()),
        ("LTI_SCOPES", format!("{LTI_SCOPE} https://purl.imsglobal.org/spec/lti-ags/scope/lineitem")),
    ]);
    if let Some(t) = caller_token {
        vars.insert("LTI_CALLER_TOKEN", t.to_string());
    }
    let mut c = RelayConfig::from_lookup(|n| vars.get(n).cloned()).expect("LTI test config");
    c.session_url = true;
    c.connect_timeout = Duration::from_millis(500);
    c.upstream_timeout = Duration::from_millis(1500);
    c.rate_limit_per_minute = 100_000;
    c
}

/// A server-to-server `/lti/token` call: JSON body, the caller token, no Origin.
pub fn lti_post(c: &reqwest::Client, relay: &str, scope: &str) -> reqwest::RequestBuilder {
    c.post(format!("{relay}/lti/token"))
        .bearer_auth(LTI_CALLER)
        .header("content-type", "application/json")
        .body(serde_json::json!({ "scope": scope }).to_string())
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A relay POST as the browser library sends it: Origin, X-Canvas-Relay, JSON.
pub fn post(c: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
    c.post(url).header("origin", ORIGIN).header("x-canvas-relay", "1")
}

pub fn json_post(c: &reqwest::Client, url: &str, body: serde_json::Value) -> reqwest::RequestBuilder {
    post(c, url).header("content-type", "application/json").body(body.to_string())
}

/// `name=value` of the Set-Cookie, for sending back as a Cookie header.
pub fn cookie_pair(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap().to_string())
        .next()
}

pub fn set_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_string())
}

pub async fn json(resp: reqwest::Response) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

// ---------------------------------------------------------------------------------------------
// The stand-in

pub async fn standin() -> canvas_standin::Running {
    standin_with(canvas_standin::Config { test_hooks: true, ..Default::default() }).await
}

pub async fn standin_with(config: canvas_standin::Config) -> canvas_standin::Running {
    canvas_standin::spawn(config).await.unwrap()
}

/// A PKCE code for `client_id` / `user_id` from the stand-in's test hook.
pub async fn code(standin: &str, client_id: &str, user_id: u64) -> String {
    let challenge = canvas_oauth_core::pkce_challenge(VERIFIER).unwrap();
    let resp = client()
        .post(format!("{standin}/__test/code"))
        .json(&serde_json::json!({
            "client_id": client_id, "user_id": user_id,
            "code_challenge": challenge, "code_challenge_method": "S256"
        }))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = resp.json().await.unwrap();
    v["code"].as_str().expect("code").to_string()
}

/// Signs in through the relay: returns (access token, cookie pair).
pub async fn sign_in(relay: &str, standin: &str) -> (String, String) {
    let code = code(standin, CLIENT_ID, 1).await;
    let resp =
        json_post(&client(), &format!("{relay}/token"), serde_json::json!({"code": code, "code_verifier": VERIFIER}))
            .send()
            .await
            .unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = cookie_pair(&resp).expect("cookie");
    let (_, body) = json(resp).await;
    (body["access_token"].as_str().unwrap().to_string(), cookie)
}

pub async fn standin_stats(standin: &str) -> serde_json::Value {
    client().get(format!("{standin}/__test/stats")).send().await.unwrap().json().await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// A counting fake Canvas

#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

pub type Behave = Arc<dyn Fn(&Seen) -> Response + Send + Sync>;

pub struct Fake {
    pub url: String,
    pub delay: Arc<Mutex<Duration>>,
    pub count: Arc<AtomicUsize>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    behave: Arc<Mutex<Behave>>,
}

impl Fake {
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
    pub fn last(&self) -> Seen {
        self.seen.lock().unwrap().last().cloned().expect("a request")
    }
    /// Waits this long (asynchronously) before answering.
    pub fn set_delay(&self, d: Duration) {
        *self.delay.lock().unwrap() = d;
    }
    pub fn set(&self, f: impl Fn(&Seen) -> Response + Send + Sync + 'static) {
        *self.behave.lock().unwrap() = Arc::new(f);
    }
}

#[derive(Clone)]
struct FakeState {
    delay: Arc<Mutex<Duration>>,
    count: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
    behave: Arc<Mutex<Behave>>,
}

async fn fake_handler(State(s): State<FakeState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    s.count.fetch_add(1, Ordering::SeqCst);
    s.seen.lock().unwrap().push(seen.clone());
    let delay = *s.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let f = s.behave.lock().unwrap().clone();
    f(&seen)
}

pub async fn fake(f: impl Fn(&Seen) -> Response + Send + Sync + 'static) -> Fake {
    let state = FakeState {
        delay: Arc::new(Mutex::new(Duration::ZERO)),
        count: Arc::new(AtomicUsize::new(0)),
        seen: Arc::new(Mutex::new(Vec::new())),
        behave: Arc::new(Mutex::new(Arc::new(f))),
    };
    let app = axum::Router::new().fallback(fake_handler).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Fake { url, delay: state.delay, count: state.count, seen: state.seen, behave: state.behave }
}

pub fn json_resp(status: u16, v: serde_json::Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), [("content-type", "application/json")], v.to_string()).into_response()
}

pub fn token_body(access: &str, refresh: Option<&str>) -> serde_json::Value {
    let mut v = serde_json::json!({
        "access_token": access, "token_type": "Bearer", "expires_in": 3600,
        "user": {"id": 1, "name": "Sam", "global_id": "10000000000001"}, "canvas_region": "unknown"
    });
    if let Some(r) = refresh {
        v["refresh_token"] = serde_json::Value::String(r.into());
    }
    v
}

/// A raw-TCP upstream that sends headers and part of a body, then resets the connection.
pub async fn resetting_upstream() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        for _ in 0..50 {
            let Ok((mut s, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tokio::time::timeout(Duration::from_millis(500), s.read(&mut buf)).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"access_token\":\"x")
                    .await;
                let _ = s.flush().await;
                #[allow(deprecated)]
                let _ = s.set_linger(Some(Duration::ZERO));
                drop(s);
            });
        }
    });
    url
}

/// An address where nothing listens.
pub async fn down_upstream() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn empty_body() -> Body {
    Body::empty()
}

/// Writes `head` (request line, headers, maybe the first body bytes; `HOST` is replaced by the
/// relay's address) on a raw connection and then sends nothing more. Returns what the relay
/// answered (read until the status line and headers are in, the peer closes, or `wait` passes)
/// and how long it took.
pub async fn stalled(relay: &str, head: &str, wait: Duration) -> (String, Duration) {
    let addr = relay.trim_start_matches("http://").split('/').next().unwrap().to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(head.replace("HOST", &addr).as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let (mut buf, mut chunk) = (Vec::new(), [0u8; 4096]);
    let _ = tokio::time::timeout(wait, async {
        while let Ok(n @ 1..) = s.read(&mut chunk).await {
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    (String::from_utf8_lossy(&buf).into_owned(), started.elapsed())
}

/// A `tracing` writer that keeps what the relay logged, for tests that read the log lines.
#[derive(Clone, Default)]
pub struct Capture(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
