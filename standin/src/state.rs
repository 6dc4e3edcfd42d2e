//! The stand-in's in-memory state: seed lookups, browser sessions, codes, tokens.

use crate::config::Config;
use crate::request::Req;
use crate::seed::{DeveloperKey, User};
use crate::store::TokenStore;
use crate::util::{now_ms, random_hex};
use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
    pub buckets: Mutex<crate::throttle::Buckets>,
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
    pub session_tokens: HashMap<String, SessionToken>,
}

#[derive(Clone, Debug)]
pub struct CodeData {
    pub grant: Grant,
    pub expires_ms: u64,
}

/// What the user approved: the content of a code, and then of the token made from it.
#[derive(Clone, Debug)]
pub struct Grant {
    pub client_id: u64,
    pub user_id: u64,
    pub scopes: Vec<String>,
    pub purpose: Option<String>,
    pub remember_access: bool,
    /// The admin masquerading as `user_id` when the grant was made (§3.3 `real_user`).
    pub real_user_id: Option<u64>,
    /// NEXT: the RFC 8707 `resource` the grant was made for.
    pub resource: Option<String>,
}

/// A `/login/session_token` token (§5): the login user (the real one when masquerading).
#[derive(Clone, Copy, Debug)]
pub struct SessionToken {
    pub user_id: u64,
    pub masquerade_as: Option<u64>,
    pub created_ms: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Session {
    pub user_id: Option<u64>,
    pub oauth2: Option<OAuthSession>,
    /// The consent page's `custom_csrf_token` (§2.6).
    pub csrf: Option<String>,
    /// Rails' `authenticity_token` for the /logout form (created by GET /logout).
    pub authenticity_token: Option<String>,
    /// Single-logout URL of the login provider this session logged in through (§4 `forward_url`).
    pub slo_url: Option<String>,
    /// `session[:become_user_id]`: the user this (admin) session is acting as.
    pub masquerade_as: Option<u64>,
}

impl Session {
    /// `@current_user`: the masqueraded user when masquerading, else the logged-in one.
    pub fn current_user(&self) -> Option<u64> {
        self.user_id.and(self.masquerade_as.or(self.user_id))
    }
    /// `@real_current_user`: the logged-in admin, only while masquerading.
    pub fn real_user(&self) -> Option<u64> {
        self.masquerade_as.and(self.user_id)
    }
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
    /// NEXT: the checked RFC 8707 `resource`.
    pub resource: Option<String>,
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
            buckets: Mutex::default(),
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
        self.session(req).and_then(Session::current_user)
    }

    /// Removes expired codes, challenges and session tokens.
    pub fn sweep(&mut self) {
        let now = now_ms();
        self.codes.retain(|_, c| c.expires_ms > now);
        self.pkce.retain(|_, (_, exp)| *exp > now);
        self.session_tokens.retain(|_, t| t.created_ms.saturating_add(SESSION_TOKEN_VALIDITY_MS) >= now);
    }
}
