//! Relay configuration (R1: every upstream value comes from here, never from the browser).
//!
//! Sources, later wins: a TOML file (`RELAY_CONFIG_FILE`, or `--config` for the binary), then
//! environment variables. Every setting has the same name in both (`CANVAS_URL` or
//! `canvas_url` in the file). A missing or invalid setting is an error naming the variable.

use base64::Engine as _;
use canvas_oauth_core::ClientSecret;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
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

fn err(variable: &str, message: impl Into<String>) -> ConfigError {
    ConfigError { variable: variable.into(), message: message.into() }
}

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
    pub private_key: RsaPrivateKey,
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
    pub connect_timeout: Duration,
    pub upstream_timeout: Duration,
    pub max_inflight: usize,
    /// Requests per minute per client address (token bucket of the same size).
    pub rate_limit_per_minute: u32,
    /// Number of trusted reverse proxies in front of the relay (client address from X-Forwarded-For).
    pub trusted_proxy_hops: usize,
    /// Largest request body on the protocol routes (R6): 8 KiB.
    pub max_body: usize,
    /// Largest request body forwarded to the API.
    pub max_api_body: usize,
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
}

pub const VARIABLES: &[&str] = &[
    "CANVAS_URL",
    "CANVAS_CLIENT_ID",
    "CANVAS_CLIENT_SECRET",
    "CANVAS_REDIRECT_URI",
    "RELAY_LISTEN",
    "RELAY_ALLOWED_ORIGINS",
    "RELAY_COOKIE_KEYS",
    "RELAY_BASE_PATH",
    "RELAY_PUBLIC_URL",
    "RELAY_STATIC_DIR",
    "RELAY_STATIC_MOUNTS",
    "RELAY_API_ALLOW",
    "LTI_PRIVATE_KEY_FILE",
    "LTI_CLIENT_ID",
    "LTI_KEY_ID",
    "LTI_SCOPES",
    "LTI_CALLER_TOKEN",
    "RELAY_CONNECT_TIMEOUT_MS",
    "RELAY_UPSTREAM_TIMEOUT_MS",
    "RELAY_BODY_TIMEOUT_MS",
    "RELAY_MAX_INFLIGHT",
    "RELAY_RATE_LIMIT_PER_MINUTE",
    "RELAY_TRUSTED_PROXY_HOPS",
    "RELAY_MAX_API_BODY",
    "RELAY_MAX_API_RESPONSE",
    "RELAY_COOKIE_MAX_AGE_SECS",
    "RELAY_MAX_CONNECTIONS",
    "RELAY_MAX_CONNECTIONS_PER_IP",
    "RELAY_WRITE_STALL_TIMEOUT_MS",
    "RELAY_CONNECTION_LIFETIME_SECS",
    "RELAY_SHUTDOWN_TIMEOUT_MS",
    "RELAY_FRAME_ANCESTORS",
];

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
        let mut vars = HashMap::new();
        vars.insert("CANVAS_URL".to_string(), canvas_url.to_string());
        vars.insert("CANVAS_CLIENT_ID".to_string(), client_id.to_string());
        vars.insert("CANVAS_CLIENT_SECRET".to_string(), client_secret.into_secret());
        vars.insert("CANVAS_REDIRECT_URI".to_string(), redirect_uri.to_string());
        vars.insert("RELAY_ALLOWED_ORIGINS".to_string(), allowed_origins.join(","));
        let keys: Vec<String> = cookie_keys
            .iter()
            .map(|k| format!("{}:{}", k.kid, base64::engine::general_purpose::STANDARD.encode(k.key)))
            .collect();
        vars.insert("RELAY_COOKIE_KEYS".to_string(), keys.join(","));
        Self::from_lookup(|name| vars.get(name).cloned())
    }

    /// From the environment, on top of the TOML file named by `RELAY_CONFIG_FILE` if set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let file = std::env::var("RELAY_CONFIG_FILE").ok().filter(|s| !s.is_empty());
        Self::from_env_and_file(file.as_deref())
    }

    /// From the environment, on top of the given TOML file.
    pub fn from_env_and_file(file: Option<&str>) -> Result<Self, ConfigError> {
        let file_vars = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| err("RELAY_CONFIG_FILE", format!("cannot read {path}: {e}")))?;
                toml_vars(&text)?
            }
            None => HashMap::new(),
        };
        Self::from_lookup(|name| std::env::var(name).ok().or_else(|| file_vars.get(name).cloned()))
    }

    /// From TOML text alone (keys as in the environment, upper or lower case).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let vars = toml_vars(text)?;
        Self::from_lookup(|name| vars.get(name).cloned())
    }

    /// From any name → value lookup. Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let required = |name: &str| get(name).ok_or_else(|| err(name, "is required"));

        let canvas_url = parse_canvas_url(&required("CANVAS_URL")?)?;
        let client_id = parse_numeric_id("CANVAS_CLIENT_ID", &required("CANVAS_CLIENT_ID")?)?;
        let client_secret = ClientSecret::new(required("CANVAS_CLIENT_SECRET")?);
        let redirect_uri = required("CANVAS_REDIRECT_URI")?;
        canvas_oauth_core::parse_redirect_uri(&redirect_uri).map_err(|e| err("CANVAS_REDIRECT_URI", e.description))?;
        let listen = match get("RELAY_LISTEN") {
            Some(v) => v.parse().map_err(|_| err("RELAY_LISTEN", "expected ADDRESS:PORT, e.g. 127.0.0.1:8080"))?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let allowed_origins = split_list(&required("RELAY_ALLOWED_ORIGINS")?)
            .into_iter()
            .map(|o| parse_origin(&o))
            .collect::<Result<Vec<_>, _>>()?;
        let cookie_keys = parse_cookie_keys(&required("RELAY_COOKIE_KEYS")?)?;
        let base_path = parse_base_path(get("RELAY_BASE_PATH").as_deref().unwrap_or("/"))?;
        let public_url = match get("RELAY_PUBLIC_URL") {
            Some(v) => {
                let u = url::Url::parse(&v).map_err(|_| err("RELAY_PUBLIC_URL", "not an absolute URL"))?;
                if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
                    return Err(err("RELAY_PUBLIC_URL", "must be an http(s) URL"));
                }
                Some(u)
            }
            None => None,
        };
        let static_dir = get("RELAY_STATIC_DIR").map(PathBuf::from);
        if let Some(dir) = &static_dir {
            if !dir.is_dir() {
                return Err(err("RELAY_STATIC_DIR", format!("{} is not a directory", dir.display())));
            }
        }
        let static_mounts = match get("RELAY_STATIC_MOUNTS") {
            Some(v) => parse_static_mounts(&v)?,
            None => Vec::new(),
        };
        let api_allow = parse_api_allow(get("RELAY_API_ALLOW").as_deref().unwrap_or("GET:/api/v1/"))?;
        let lti = match get("LTI_PRIVATE_KEY_FILE") {
            Some(path) => {
                let pem = std::fs::read_to_string(&path)
                    .map_err(|e| err("LTI_PRIVATE_KEY_FILE", format!("cannot read {path}: {e}")))?;
                let private_key = RsaPrivateKey::from_pkcs8_pem(&pem)
                    .or_else(|_| RsaPrivateKey::from_pkcs1_pem(&pem))
                    .map_err(|_| err("LTI_PRIVATE_KEY_FILE", "not an RSA private key in PKCS#8 or PKCS#1 PEM"))?;
                let client_id = match get("LTI_CLIENT_ID") {
                    Some(v) => parse_numeric_id("LTI_CLIENT_ID", &v)?,
                    None => client_id.clone(),
                };
                let scopes = split_list(&required("LTI_SCOPES")?);
                if scopes.iter().any(|s| !s.starts_with("https://")) {
                    return Err(err("LTI_SCOPES", "each scope must be an https:// scope URI"));
                }
                let kid = get("LTI_KEY_ID").unwrap_or_else(|| crate::lti::default_kid(&private_key));
                Some(LtiConfig { client_id, private_key, kid, scopes })
            }
            None => None,
        };
        let lti_caller_token = match get("LTI_CALLER_TOKEN") {
            Some(v) => {
                if lti.is_none() {
                    return Err(err(
                        "LTI_CALLER_TOKEN",
                        "is set but LTI_PRIVATE_KEY_FILE is not: /lti/token needs both",
                    ));
                }
                if v.chars().count() < 32 || !v.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(err(
                        "LTI_CALLER_TOKEN",
                        "must be at least 32 printable ASCII characters without spaces (openssl rand -base64 32)",
                    ));
                }
                Some(ClientSecret::new(v))
            }
            None => None,
        };
        let num = |name: &str, default: u64, min: u64| -> Result<u64, ConfigError> {
            match get(name) {
                Some(v) => {
                    let n: u64 = v.parse().map_err(|_| err(name, "expected a whole number"))?;
                    if n < min {
                        return Err(err(name, format!("must be at least {min}")));
                    }
                    Ok(n)
                }
                None => Ok(default),
            }
        };
        Ok(Self {
            canvas_url,
            client_id,
            client_secret,
            redirect_uri,
            listen,
            allowed_origins,
            cookie_keys,
            base_path,
            public_url,
            static_dir,
            static_mounts,
            api_allow,
            lti,
            lti_caller_token,
            connect_timeout: Duration::from_millis(num("RELAY_CONNECT_TIMEOUT_MS", 5_000, 1)?),
            upstream_timeout: Duration::from_millis(num("RELAY_UPSTREAM_TIMEOUT_MS", 15_000, 1)?),
            max_inflight: num("RELAY_MAX_INFLIGHT", 64, 1)? as usize,
            rate_limit_per_minute: num("RELAY_RATE_LIMIT_PER_MINUTE", 300, 1)?.min(u32::MAX as u64) as u32,
            trusted_proxy_hops: num("RELAY_TRUSTED_PROXY_HOPS", 0, 0)? as usize,
            max_body: 8 * 1024,
            max_api_body: num("RELAY_MAX_API_BODY", 1024 * 1024, 0)? as usize,
            max_api_response: num("RELAY_MAX_API_RESPONSE", 4 * 1024 * 1024, 1024)? as usize,
            cookie_max_age: Duration::from_secs(num("RELAY_COOKIE_MAX_AGE_SECS", 30 * 24 * 3600, 60)?),
            refresh_coalesce_window: Duration::from_secs(2),
            header_read_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_millis(num("RELAY_BODY_TIMEOUT_MS", 10_000, 1)?),
            max_connections: num("RELAY_MAX_CONNECTIONS", 1024, 1)? as usize,
            // Behind a proxy every connection comes from the proxy: no per-address cap by default.
            max_connections_per_ip: match num("RELAY_TRUSTED_PROXY_HOPS", 0, 0)? {
                0 => num("RELAY_MAX_CONNECTIONS_PER_IP", 64, 1)? as usize,
                _ => num("RELAY_MAX_CONNECTIONS_PER_IP", u32::MAX as u64, 1)? as usize,
            },
            write_stall_timeout: Duration::from_millis(num("RELAY_WRITE_STALL_TIMEOUT_MS", 10_000, 1)?),
            connection_lifetime: Duration::from_secs(num("RELAY_CONNECTION_LIFETIME_SECS", 300, 1)?),
            shutdown_timeout: Duration::from_millis(num("RELAY_SHUTDOWN_TIMEOUT_MS", 20_000, 0)?),
            frame_ancestors: crate::layers::parse_frame_ancestors(&split_list(
                get("RELAY_FRAME_ANCESTORS").as_deref().unwrap_or("'none'"),
            ))?,
        })
    }

    /// Canvas's token endpoint, also the `aud` of LTI assertions.
    pub fn token_url(&self) -> String {
        format!("{}/login/oauth2/token", self.canvas_origin())
    }

    /// `scheme://host[:port]` of Canvas.
    pub fn canvas_origin(&self) -> String {
        self.canvas_url.origin().ascii_serialization()
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

fn toml_vars(text: &str) -> Result<HashMap<String, String>, ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| err("RELAY_CONFIG_FILE", format!("invalid TOML: {}", e.message())))?;
    let mut out = HashMap::new();
    for (k, v) in table {
        let name = k.to_ascii_uppercase();
        if !VARIABLES.contains(&name.as_str()) {
            return Err(err("RELAY_CONFIG_FILE", format!("unknown setting {k}")));
        }
        let value = match v {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Array(items) => items
                .into_iter()
                .map(|i| match i {
                    toml::Value::String(s) => Ok(s),
                    _ => Err(err(&name, "array items must be strings")),
                })
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
            _ => return Err(err(&name, "must be a string, an integer or an array of strings")),
        };
        out.insert(name, value);
    }
    Ok(out)
}

fn split_list(value: &str) -> Vec<String> {
    value.split([',', ' ', '\n', '\t']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost") || host.starts_with("127.") || host == "[::1]"
}

fn parse_canvas_url(value: &str) -> Result<url::Url, ConfigError> {
    let name = "CANVAS_URL";
    let u = url::Url::parse(value).map_err(|_| err(name, "not an absolute URL"))?;
    let host = u.host_str().ok_or_else(|| err(name, "has no host"))?.to_ascii_lowercase();
    match u.scheme() {
        "https" => {}
        "http" if is_loopback_host(&host) => {}
        "http" => return Err(err(name, "must be https (http only for localhost)")),
        _ => return Err(err(name, "must be an https URL")),
    }
    if !u.username().is_empty() || u.password().is_some() || u.query().is_some() || u.fragment().is_some() {
        return Err(err(name, "must be an origin: no credentials, query or fragment"));
    }
    if u.path() != "/" {
        return Err(err(name, "must be an origin without a path"));
    }
    Ok(u)
}

fn parse_numeric_id(name: &str, value: &str) -> Result<String, ConfigError> {
    canvas_oauth_core::parse_client_id(value).map_err(|e| err(name, e.description))
}

fn parse_origin(value: &str) -> Result<String, ConfigError> {
    let name = "RELAY_ALLOWED_ORIGINS";
    let u = url::Url::parse(value).map_err(|_| err(name, format!("{value} is not an origin")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(err(name, format!("{value} is not an http(s) origin")));
    }
    let origin = u.origin().ascii_serialization();
    if value.trim_end_matches('/') != origin {
        return Err(err(name, format!("{value} is not an origin (scheme://host[:port], no path)")));
    }
    Ok(origin)
}

fn parse_cookie_keys(value: &str) -> Result<Vec<CookieKey>, ConfigError> {
    let name = "RELAY_COOKIE_KEYS";
    let mut keys: Vec<CookieKey> = Vec::new();
    for entry in split_list(value) {
        let (kid, b64) = entry.split_once(':').ok_or_else(|| err(name, "each key is KID:BASE64KEY"))?;
        if kid.is_empty() || kid.len() > 16 || !kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(err(name, "key ids are 1-16 characters of A-Z a-z 0-9 _ -"));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b64.trim_end_matches('=')))
            .map_err(|_| err(name, format!("key {kid} is not base64")))?;
        let key: [u8; 32] =
            bytes.try_into().map_err(|_| err(name, format!("key {kid} must be 32 bytes (openssl rand -base64 32)")))?;
        if keys.iter().any(|k| k.kid == kid) {
            return Err(err(name, format!("key id {kid} appears twice")));
        }
        keys.push(CookieKey { kid: kid.to_string(), key });
    }
    if keys.is_empty() {
        return Err(err(name, "at least one key is required"));
    }
    Ok(keys)
}

fn parse_base_path(value: &str) -> Result<String, ConfigError> {
    let name = "RELAY_BASE_PATH";
    let trimmed = value.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok("/".into());
    }
    let ok_segment = |s: &str| {
        !s.is_empty() && s != "." && s != ".." && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
    };
    if !trimmed.starts_with('/') || !trimmed[1..].split('/').all(ok_segment) {
        return Err(err(name, "must be / or a path like /canvas-relay"));
    }
    Ok(trimmed.to_string())
}

fn parse_static_mounts(value: &str) -> Result<Vec<(String, PathBuf)>, ConfigError> {
    let name = "RELAY_STATIC_MOUNTS";
    let mut out = Vec::new();
    for entry in split_list(value) {
        let (mount, dir) = entry.split_once('=').ok_or_else(|| err(name, "each mount is /PATH=DIRECTORY"))?;
        let mount = parse_base_path(mount).map_err(|_| err(name, format!("{mount} is not a path like /pkg")))?;
        if mount == "/" {
            return Err(err(name, "use RELAY_STATIC_DIR for /"));
        }
        let dir = PathBuf::from(dir);
        if !dir.is_dir() {
            return Err(err(name, format!("{} is not a directory", dir.display())));
        }
        out.push((mount, dir));
    }
    Ok(out)
}

const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

fn parse_api_allow(value: &str) -> Result<Vec<ApiRule>, ConfigError> {
    let name = "RELAY_API_ALLOW";
    let mut out = Vec::new();
    for entry in split_list(value) {
        let (methods, prefix) =
            entry.split_once(':').ok_or_else(|| err(name, "each rule is METHOD[|METHOD]:/api/v1/prefix"))?;
        let methods: Vec<String> = methods.split('|').map(|m| m.trim().to_ascii_uppercase()).collect();
        if methods.iter().any(|m| !METHODS.contains(&m.as_str())) {
            return Err(err(name, format!("methods must be among {}", METHODS.join(" "))));
        }
        if !prefix.starts_with("/api/v1/") || prefix.contains("..") || prefix.contains("//") || prefix.contains('%') {
            return Err(err(name, format!("{prefix} must be a path under /api/v1/")));
        }
        out.push(ApiRule { methods, prefix: prefix.to_string() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> HashMap<&'static str, String> {
        HashMap::from([
            ("CANVAS_URL", "https://canvas.example.edu".to_string()),
            ("CANVAS_CLIENT_ID", "10000000000001".to_string()),
            ("CANVAS_CLIENT_SECRET", "s3cret".to_string()),
            ("CANVAS_REDIRECT_URI", "https://app.example.edu/callback".to_string()),
            ("RELAY_ALLOWED_ORIGINS", "https://app.example.edu".to_string()),
            ("RELAY_COOKIE_KEYS", format!("k1:{}", base64::engine::general_purpose::STANDARD.encode([7u8; 32]))),
        ])
    }

    fn load(vars: &HashMap<&'static str, String>) -> Result<RelayConfig, ConfigError> {
        RelayConfig::from_lookup(|n| vars.get(n).cloned())
    }

    #[test]
    fn defaults() {
        let c = load(&base()).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.base_path, "/");
        assert_eq!(c.token_url(), "https://canvas.example.edu/login/oauth2/token");
        assert_eq!(c.api_allow, vec![ApiRule { methods: vec!["GET".into()], prefix: "/api/v1/".into() }]);
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn each_error_names_its_variable() {
        let cases: &[(&str, Option<&str>)] = &[
            ("CANVAS_URL", None),
            ("CANVAS_URL", Some("http://canvas.example.edu")),
            ("CANVAS_URL", Some("https://canvas.example.edu/path")),
            ("CANVAS_CLIENT_ID", Some("abc")),
            ("CANVAS_CLIENT_SECRET", None),
            ("CANVAS_REDIRECT_URI", Some("not a url")),
            ("RELAY_LISTEN", Some("nowhere")),
            ("RELAY_ALLOWED_ORIGINS", Some("https://app.example.edu/path")),
            ("RELAY_ALLOWED_ORIGINS", None),
            ("RELAY_COOKIE_KEYS", Some("k1:short")),
            ("RELAY_COOKIE_KEYS", Some("nokid")),
            ("RELAY_BASE_PATH", Some("relay")),
            ("RELAY_API_ALLOW", Some("GET:/login/")),
            ("RELAY_API_ALLOW", Some("BREW:/api/v1/")),
            ("RELAY_STATIC_DIR", Some("/nonexistent/dir")),
            ("LTI_PRIVATE_KEY_FILE", Some("/nonexistent/key.pem")),
            ("RELAY_UPSTREAM_TIMEOUT_MS", Some("soon")),
            ("RELAY_BODY_TIMEOUT_MS", Some("0")),
            ("RELAY_FRAME_ANCESTORS", Some("https://a.example; script-src *")),
            ("RELAY_MAX_CONNECTIONS_PER_IP", Some("0")),
            // A caller token without a key (the key is what enables /lti/token).
            ("LTI_CALLER_TOKEN", Some("0123456789abcdef0123456789abcdef")),
        ];
        for (var, value) in cases {
            let mut vars = base();
            match value {
                Some(v) => vars.insert(var, v.to_string()),
                None => vars.remove(var),
            };
            let e = load(&vars).unwrap_err();
            assert_eq!(e.variable, *var, "{e}");
            assert!(e.to_string().starts_with(var));
        }
    }

    #[test]
    fn lti_caller_token_is_checked() {
        let dir = std::env::temp_dir().join(format!("relay-cfg-lti-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let keyfile = dir.join("key.pem");
        std::fs::write(&keyfile, include_str!("../tests/data/lti-test-private.pem")).unwrap();
        let mut vars = base();
        vars.insert("LTI_PRIVATE_KEY_FILE", keyfile.display().to_string());
        vars.insert("LTI_SCOPES", "https://purl.imsglobal.org/spec/lti-ags/scope/score".to_string());
        // Key alone: loads, /lti/token stays closed.
        assert!(load(&vars).unwrap().lti_caller_token.is_none());
        vars.insert("LTI_CALLER_TOKEN", "too-short".to_string());
        let e = load(&vars).unwrap_err();
        assert_eq!(e.variable, "LTI_CALLER_TOKEN");
        assert!(!e.to_string().contains("too-short"), "never echoes the secret: {e}");
        vars.insert("LTI_CALLER_TOKEN", "0123456789abcdef0123456789abcdef".to_string());
        let c = load(&vars).unwrap();
        assert_eq!(c.lti_caller_token.as_ref().unwrap().secret().len(), 32);
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn toml_file_and_lists() {
        let text = format!(
            "canvas_url = \"http://127.0.0.1:9000\"\nCANVAS_CLIENT_ID = \"10000000000001\"\ncanvas_client_secret = \"x\"\n\
             canvas_redirect_uri = \"http://localhost:8080/\"\nrelay_allowed_origins = [\"http://localhost:8080\", \"http://127.0.0.1:8080\"]\n\
             relay_cookie_keys = [\"new:{k}\", \"old:{k2}\"]\nrelay_base_path = \"/canvas-relay/\"\nrelay_max_inflight = 3\n\
             relay_api_allow = \"GET|POST:/api/v1/courses, GET:/api/v1/users/self\"\n",
            k = base64::engine::general_purpose::STANDARD.encode([1u8; 32]),
            k2 = base64::engine::general_purpose::STANDARD.encode([2u8; 32]),
        );
        let c = RelayConfig::from_toml(&text).unwrap();
        assert_eq!(c.allowed_origins, vec!["http://localhost:8080", "http://127.0.0.1:8080"]);
        assert_eq!(c.cookie_keys.len(), 2);
        assert_eq!(c.cookie_keys[0].kid, "new");
        assert_eq!(c.base_path, "/canvas-relay");
        assert_eq!(c.max_inflight, 3);
        assert_eq!(c.api_allow[0].methods, vec!["GET", "POST"]);
        let bad = RelayConfig::from_toml("canvas_urll = \"x\"").unwrap_err();
        assert_eq!(bad.variable, "RELAY_CONFIG_FILE");
    }
}
