//! Shared helpers for the integration tests: HTTP over real TCP with reqwest.
#![allow(dead_code)]

use canvas_standin::{spawn, Config, Running};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

pub const WEB: &str = "10000000000001";
pub const WEB_SECRET: &str = "standin-secret-web";
pub const PUBLIC: &str = "10000000000002";
pub const TRUSTED: &str = "10000000000003";
pub const SCOPED: &str = "10000000000004";
pub const SCOPED_SECRET: &str = "standin-secret-scoped";
pub const LTI: &str = "10000000000005";
pub const CALLBACK: &str = "http://localhost:8080/callback";

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn location(&self) -> String {
        self.header("location")
            .unwrap_or_else(|| panic!("no Location; status {} body {}", self.status, self.text()))
            .to_string()
    }
    /// Query params of the Location header, form-decoded.
    pub fn location_query(&self) -> HashMap<String, String> {
        query_of(&self.location())
    }
    pub fn set_cookie(&self) -> Option<String> {
        self.header("set-cookie").map(|c| c.split(';').next().unwrap_or("").to_string())
    }
}

pub fn query_of(url: &str) -> HashMap<String, String> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap().into_iter().collect()
}

pub fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs).unwrap().into_bytes()
}

/// One HTTP request with a 10 s bound; redirects are not followed, no proxy is used.
pub async fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<(&str, Vec<u8>)>) -> Resp {
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut req = client.request(method.parse().expect("method"), url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some((ctype, bytes)) = body {
        req = req.header("content-type", ctype).body(bytes);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = resp.bytes().await.expect("body").to_vec();
    Resp { status, headers, body }
}

/// A stand-in plus a browser-ish client that keeps the session cookie.
pub struct Standin {
    pub running: Running,
    pub base: String,
    pub cookie: Option<String>,
}

pub async fn start(config: Config) -> Standin {
    let running = spawn(config).await.expect("spawn");
    let base = running.url();
    Standin { running, base, cookie: None }
}

pub async fn start_default() -> Standin {
    start(Config { test_hooks: true, ..Config::default() }).await
}

impl Standin {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Browser GET: sends and records the session cookie.
    pub async fn browse(&mut self, path_or_url: &str) -> Resp {
        let url = if path_or_url.starts_with("http") { path_or_url.to_string() } else { self.url(path_or_url) };
        let cookie = self.cookie.clone();
        let mut h: Vec<(&str, &str)> = vec![];
        if let Some(c) = cookie.as_deref() {
            h.push(("Cookie", c));
        }
        let r = request("GET", &url, &h, None).await;
        if let Some(c) = r.set_cookie() {
            self.cookie = Some(c);
        }
        r
    }

    /// Browser form POST.
    pub async fn browse_post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Resp {
        let cookie = self.cookie.clone();
        let mut h: Vec<(&str, &str)> = vec![];
        if let Some(c) = cookie.as_deref() {
            h.push(("Cookie", c));
        }
        let r = request("POST", &self.url(path), &h, Some(("application/x-www-form-urlencoded", form(pairs)))).await;
        if let Some(c) = r.set_cookie() {
            self.cookie = Some(c);
        }
        r
    }

    pub async fn token(&self, pairs: &[(&str, &str)]) -> Resp {
        request("POST", &self.url("/login/oauth2/token"), &[], Some(("application/x-www-form-urlencoded", form(pairs))))
            .await
    }

    /// Exchanges `code` as the confidential web key (client id and secret in the body).
    pub async fn exchange_web_code(&self, code: &str) -> Resp {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("code", code),
        ])
        .await
    }

    pub async fn api(&self, path: &str, token: &str) -> Resp {
        let auth = format!("Bearer {token}");
        request("GET", &self.url(path), &[("Authorization", &auth)], None).await
    }

    /// POST /__test/code.
    pub async fn mint_code(&self, body: Value) -> String {
        let r =
            request("POST", &self.url("/__test/code"), &[], Some(("application/json", body.to_string().into_bytes())))
                .await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["code"].as_str().unwrap().to_string()
    }

    /// Mints a code for key `client` / user 1 and exchanges it with `secret`.
    pub async fn tokens_for(&self, client: &str, secret: &str) -> Value {
        let code = self.mint_code(serde_json::json!({"client_id": client, "user_id": 1})).await;
        let r = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("client_id", client),
                ("client_secret", secret),
                ("code", &code),
            ])
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    }

    /// Logs the browser in with the password form.
    pub async fn login(&mut self, login: &str) -> Resp {
        self.browse_post(
            "/login/canvas",
            &[("pseudonym_session[unique_id]", login), ("pseudonym_session[password]", "password")],
        )
        .await
    }
}

/// Extracts `name="custom_csrf_token" value="..."` from the consent page.
pub fn csrf_of(html: &str) -> String {
    let i = html.find("name=\"custom_csrf_token\" value=\"").expect("csrf field")
        + "name=\"custom_csrf_token\" value=\"".len();
    html[i..i + 48].to_string()
}

pub fn auth_path(pairs: &[(&str, &str)]) -> String {
    format!("/login/oauth2/auth?{}", serde_urlencoded::to_string(pairs).unwrap())
}

pub fn assert_oauth_error(r: &Resp, status: u16, error: &str, desc: &str) {
    assert_eq!(r.status, status, "body: {}", r.text());
    assert_eq!(r.json(), serde_json::json!({"error": error, "error_description": desc}));
    if status == 401 {
        assert_eq!(r.header("www-authenticate"), Some("Canvas OAuth 2.0"));
    } else {
        assert_eq!(r.header("www-authenticate"), None);
    }
}

/// The S256 PKCE challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// The sorted keys of a JSON object.
pub fn keys_of(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}
