//! Relay configuration (R1: every upstream value comes from here, never from the browser).
//!
//! Sources, later wins: a TOML file (`RELAY_CONFIG_FILE`, or `--config` for the binary), then
//! environment variables. Every setting has the same name in both (`CANVAS_URL` or
//! `canvas_url` in the file). A missing or invalid setting is an error naming the variable.
//!
//! `raw.rs` reads the settings through serde into the types of `types.rs`; `build.rs` checks what
//! needs several of them and fills in the defaults. A new setting is a field of `RawConfig` (its
//! name is the variable's), a field of [`RelayConfig`], and one line in `build.rs`.

mod build;
mod raw;
mod redis_url;
mod session;
mod types;

pub use redis_url::RedisUrl;
pub use session::SessionConfig;
pub use types::UpstreamProxy;

use canvas_oauth_core::ClientSecret;
use raw::RawConfig;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// A configuration error: always names the variable at fault, never echoes a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// How the refresh-token cookie is flagged (`RELAY_COOKIE_MODE`, R3 and R9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieMode {
    /// `SameSite=Strict`: the app is a top-level page.
    Strict,
    /// `SameSite=None; Partitioned`, https only: the app runs in a cross-site iframe (Canvas's LTI
    /// frame) and the cookie lives in that frame's partition.
    Embedded,
}

fn err(variable: &str, message: impl Into<String>) -> ConfigError {
    ConfigError { variable: variable.into(), message: message.into() }
}

/// Canvas's GraphQL endpoint; `POST:/api/graphql` in `RELAY_API_ALLOW` turns its route on.
pub const GRAPHQL_PATH: &str = "/api/graphql";

/// One allow-listed API rule: these methods on paths under this prefix (`RELAY_API_ALLOW`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRule {
    pub methods: Vec<String>,
    pub prefix: String,
}

/// One sealing key for the refresh-token cookie (`RELAY_COOKIE_KEYS`).
#[derive(Clone)]
pub struct CookieKey {
    pub kid: String,
    pub key: [u8; 32],
}

impl fmt::Debug for CookieKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CookieKey({}, [redacted])", self.kid)
    }
}

/// The LTI Advantage signing key (R8).
pub struct LtiConfig {
    pub client_id: String,
    pub private_key: crate::lti::SigningKey,
    pub kid: String,
    pub scopes: Vec<String>,
}

impl fmt::Debug for LtiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LtiConfig")
            .field("client_id", &self.client_id)
            .field("kid", &self.kid)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// Everything the relay needs. Build it with [`RelayConfig::from_env`], [`RelayConfig::from_lookup`]
/// or [`RelayConfig::new`] and adjust the public fields.
#[derive(Debug)]
pub struct RelayConfig {
    /// Canvas origin, e.g. `https://canvas.example.edu` (no path). http only for loopback hosts.
    pub canvas_url: url::Url,
    pub client_id: String,
    pub client_secret: ClientSecret,
    pub redirect_uri: String,
    pub listen: SocketAddr,
    /// The ops listener (`/metrics`, `/ready`, `/health`) of `serve()`: `RELAY_METRICS_LISTEN`,
    /// off by default; never the same address as `listen`.
    pub metrics_listen: Option<SocketAddr>,
    /// `RELAY_LOG_FORMAT`: `text` (default) or `json`; the binary's choice of [`crate::log_layer`].
    pub log_format: crate::LogFormat,
    /// Exact origins (`scheme://host[:port]`) allowed to call the relay.
    pub allowed_origins: Vec<String>,
    /// First key seals, all keys unseal.
    pub cookie_keys: Vec<CookieKey>,
    /// `/` or `/some/path` (no trailing slash).
    pub base_path: String,
    /// Public URL of the relay (scheme, host, base path), used for Link rewriting and the cookie's
    /// Secure decision. Optional.
    pub public_url: Option<url::Url>,
    pub static_dir: Option<PathBuf>,
    /// Extra static mounts: (`/pkg`, `./pkg`).
    pub static_mounts: Vec<(String, PathBuf)>,
    pub api_allow: Vec<ApiRule>,
    pub lti: Option<LtiConfig>,
    /// Shared secret the app's own server presents as `Authorization: Bearer` on `/lti/token`
    /// (`LTI_CALLER_TOKEN`, at least 32 characters). Without it `/lti/token` answers 404.
    pub lti_caller_token: Option<ClientSecret>,
    /// `POST /session-url` is served (`RELAY_SESSION_URL=1`; off by default, S24).
    pub session_url: bool,
    /// Proxy for the calls to Canvas (`RELAY_UPSTREAM_PROXY`). Without it no proxy is used, whatever
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` say (S17).
    pub upstream_proxy: Option<UpstreamProxy>,
    pub connect_timeout: Duration,
    pub upstream_timeout: Duration,
    pub max_inflight: usize,
    /// Requests handled at once (`RELAY_MAX_REQUESTS`, 2 × `max_inflight` by default); more wait at
    /// their connection, holding only their parsed head, for at most 2 s, then get a 503.
    pub max_requests: usize,
    /// Retry-After when Canvas throttles without one (Canvas never sends one), seconds.
    pub throttle_retry_after: u64,
    /// Requests per minute per client address (token bucket of the same size).
    pub rate_limit_per_minute: u32,
    /// Number of trusted reverse proxies in front of the relay (client address from X-Forwarded-For).
    pub trusted_proxy_hops: usize,
    /// Largest request body on the protocol routes (R6): 8 KiB.
    pub max_body: usize,
    /// Largest request body forwarded to the API (`RELAY_MAX_API_BODY`, 256 KiB).
    pub max_api_body: usize,
    /// Largest GraphQL request body (`RELAY_MAX_GRAPHQL_BODY`, 64 KiB); beyond it → 400.
    pub max_graphql_body: usize,
    /// API request body bytes held at once, all requests together (`RELAY_API_BODY_BUDGET`,
    /// 16 MiB); beyond it → 503 + Retry-After.
    pub api_body_budget: usize,
    /// Largest API response read from Canvas.
    pub max_api_response: usize,
    pub cookie_max_age: Duration,
    /// How long a finished refresh is shared with late callers presenting the same cookie.
    pub refresh_coalesce_window: Duration,
    pub header_read_timeout: Duration,
    /// Deadline for reading a request body (`RELAY_BODY_TIMEOUT_MS`, 10 s) → 408 (R6: slow clients).
    pub body_timeout: Duration,
    pub max_connections: usize,
    /// Connection limits of `serve()` (S1); see relay/README.md.
    pub max_connections_per_ip: usize,
    pub write_stall_timeout: Duration,
    pub connection_lifetime: Duration,
    pub shutdown_timeout: Duration,
    /// CSP `frame-ancestors` sources on every response (`RELAY_FRAME_ANCESTORS`, `'none'`).
    pub frame_ancestors: String,
    /// The session's absolute cap, the /token deadline and sign-out retries.
    pub session: SessionConfig,
    /// `RELAY_COOKIE_MODE`: `strict` (default) or `embedded` (R9).
    pub cookie_mode: CookieMode,
    /// Redis shared by the replicas (`RELAY_REDIS_URL`, off): rate limit, sign-out denylist and
    /// refresh coalescing across replicas. Without it each replica keeps its own.
    pub redis_url: Option<RedisUrl>,
    /// Longest wait for one Redis command (`RELAY_REDIS_TIMEOUT_MS`, 100 ms); past it, or on any
    /// Redis error, the relay works on its own (per-process) for a second and tries again.
    pub redis_timeout: Duration,
}

impl RelayConfig {
    /// A configuration with defaults for everything but the required values.
    pub fn new(
        canvas_url: &str,
        client_id: &str,
        client_secret: ClientSecret,
        redirect_uri: &str,
        allowed_origins: Vec<String>,
        cookie_keys: Vec<CookieKey>,
    ) -> Result<Self, ConfigError> {
        use types::{List, Secret, Setting};
        let origins = allowed_origins.iter().map(|o| parse("RELAY_ALLOWED_ORIGINS", o)).collect::<Result<_, _>>()?;
        Self::try_from(RawConfig {
            canvas_url: Some(Setting(parse("CANVAS_URL", canvas_url)?)),
            canvas_client_id: Some(Setting(parse("CANVAS_CLIENT_ID", client_id)?)),
            canvas_client_secret: Some(Secret(client_secret)),
            canvas_redirect_uri: Some(Setting(parse("CANVAS_REDIRECT_URI", redirect_uri)?)),
            relay_allowed_origins: Some(List(origins)),
            relay_cookie_keys: Some(List(cookie_keys)),
            ..RawConfig::default()
        })
    }

    /// From the environment, on top of the TOML file named by `RELAY_CONFIG_FILE` if set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let file = std::env::var("RELAY_CONFIG_FILE").ok().filter(|s| !s.is_empty());
        Self::from_env_and_file(file.as_deref())
    }

    /// From the environment, on top of the given TOML file.
    pub fn from_env_and_file(file: Option<&str>) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| err("RELAY_CONFIG_FILE", format!("cannot read {path}: {e}")))?;
                raw::toml_table(&text)?
            }
            None => toml::Table::new(),
        };
        raw::overlay(&mut table, |name| std::env::var(name).ok());
        RawConfig::from_table(table)?.try_into()
    }

    /// From TOML text alone (keys as in the environment, upper or lower case).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        RawConfig::from_table(raw::toml_table(text)?)?.try_into()
    }

    /// From any name → value lookup. Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut table = toml::Table::new();
        raw::overlay(&mut table, lookup);
        RawConfig::from_table(table)?.try_into()
    }

    /// Canvas's token endpoint, also the `aud` of LTI assertions.
    pub fn token_url(&self) -> String {
        format!("{}/login/oauth2/token", self.canvas_origin())
    }

    /// `scheme://host[:port]` of Canvas.
    pub fn canvas_origin(&self) -> String {
        self.canvas_url.origin().ascii_serialization()
    }

    /// `POST:/api/graphql` is in `RELAY_API_ALLOW`: the GraphQL route is served (off by default).
    pub fn graphql_enabled(&self) -> bool {
        self.api_allow.iter().any(|r| r.prefix == GRAPHQL_PATH)
    }

    /// Whether the cookie is served as https (`Secure`, `__Host-`): decided from configuration only,
    /// never from the request (a `Host` header behind a reverse proxy can look like loopback).
    /// `RELAY_PUBLIC_URL` is https; without it, unless the relay listens on loopback and every
    /// allowed origin is plain http (local development).
    pub fn cookie_is_https(&self) -> bool {
        match &self.public_url {
            Some(u) => u.scheme() == "https",
            None => !(self.listen.ip().is_loopback() && self.allowed_origins.iter().all(|o| o.starts_with("http://"))),
        }
    }

    /// `""` for base path `/`, else the base path: prefix it to route paths.
    pub fn path_prefix(&self) -> &str {
        if self.base_path == "/" {
            ""
        } else {
            &self.base_path
        }
    }
}

fn parse<T: FromStr<Err = String>>(variable: &str, value: &str) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|e: String| err(variable, e))
}

#[cfg(test)]
mod tests;
