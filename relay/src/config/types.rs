//! One type per kind of setting, each parsed with `FromStr` (S8). Errors say what is wrong and, for
//! values that may be secret (client secret, caller token, proxy URL), never repeat the value.

use super::{ApiRule, CookieKey, GRAPHQL_PATH};
use base64::Engine as _;
use canvas_oauth_core::{ClientSecret, HttpUrl};
use serde::de::{Deserialize, Deserializer, Error as _};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// One value: a string, or a TOML integer or boolean read as its text.
pub(super) struct Setting<T>(pub T);

impl<'de, T: FromStr<Err: fmt::Display>> Deserialize<'de> for Setting<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = match toml::Value::deserialize(d)? {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => return Err(D::Error::custom("must be a string or a whole number")),
        };
        text.trim().parse().map(Setting).map_err(D::Error::custom)
    }
}

/// A list: one string split on commas and white space, or a TOML array of strings.
pub(super) struct List<T>(pub Vec<T>);

impl<'de, T: FromStr<Err: fmt::Display>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = match toml::Value::deserialize(d)? {
            toml::Value::String(s) => split_list(&s),
            toml::Value::Array(items) => items
                .into_iter()
                .map(|i| {
                    i.as_str()
                        .map(|s| s.trim().to_string())
                        .ok_or_else(|| D::Error::custom("array items must be strings"))
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(D::Error::custom("must be a string or an array of strings")),
        };
        items.iter().map(|i| i.parse().map_err(D::Error::custom)).collect::<Result<_, _>>().map(List)
    }
}

pub(super) fn split_list(value: &str) -> Vec<String> {
    value.split([',', ' ', '\n', '\t']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

/// A secret string. Anything but a string is refused without saying what it was.
pub(super) struct Secret(pub ClientSecret);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(d)? {
            toml::Value::String(s) => Ok(Secret(ClientSecret::new(s.trim()))),
            _ => Err(D::Error::custom("must be a string")),
        }
    }
}

/// Whether plain http to `url` stays on this machine, by core's rule (`localhost`, `*.localhost`,
/// `127.0.0.0/8` as a dotted quad, `[::1]`): `127.0.0.1.evil.example` and `127.evil.example` are
/// not loopback. Read from the `url` crate's serialisation, which is what the relay connects to.
fn is_loopback(url: &url::Url) -> bool {
    HttpUrl::parse("url", url.as_str()).is_ok_and(|u| u.is_loopback())
}

fn http_url(value: &str) -> Result<(url::Url, bool), String> {
    let u = url::Url::parse(value).map_err(|_| "not an absolute URL".to_string())?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err("must be an http(s) URL".into());
    }
    let insecure = u.scheme() == "http" && !is_loopback(&u);
    Ok((u, insecure))
}

/// `CANVAS_URL`: an origin. `insecure` is http to a host other than this machine.
pub(super) struct CanvasUrl {
    pub url: url::Url,
    pub insecure: bool,
}

impl FromStr for CanvasUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (url, insecure) = http_url(s)?;
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
            return Err("must be an origin: no credentials, query or fragment".into());
        }
        if url.path() != "/" {
            return Err("must be an origin without a path".into());
        }
        Ok(Self { url, insecure })
    }
}

/// `RELAY_PUBLIC_URL`: scheme, host and base path of the relay as browsers reach it.
pub(super) struct PublicUrl {
    pub url: url::Url,
    pub insecure: bool,
}

impl FromStr for PublicUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        http_url(s).map(|(url, insecure)| Self { url, insecure })
    }
}

/// One of `RELAY_ALLOWED_ORIGINS`: `scheme://host[:port]`, nothing more.
pub(super) struct Origin {
    pub origin: String,
    pub insecure: bool,
}

impl FromStr for Origin {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (u, insecure) = http_url(s).map_err(|_| format!("{s} is not an http(s) origin"))?;
        let origin = u.origin().ascii_serialization();
        if s.trim_end_matches('/') != origin {
            return Err(format!("{s} is not an origin (scheme://host[:port], no path)"));
        }
        Ok(Self { origin, insecure })
    }
}

/// A developer key id (`CANVAS_CLIENT_ID`, `LTI_CLIENT_ID`).
pub(super) struct ClientId(pub String);

impl FromStr for ClientId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        canvas_oauth_core::parse_client_id(s).map(ClientId).map_err(|e| e.description)
    }
}

pub(super) struct RedirectUri(pub String);

impl FromStr for RedirectUri {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        canvas_oauth_core::parse_redirect_uri(s).map(RedirectUri).map_err(|e| e.description)
    }
}

/// `/` or `/some/path`, stored without a trailing slash.
pub(super) struct BasePath(pub String);

impl FromStr for BasePath {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let trimmed = s.trim_end_matches('/');
        if trimmed.is_empty() {
            return Ok(Self("/".into()));
        }
        let ok_segment = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
        };
        if !trimmed.starts_with('/') || !trimmed[1..].split('/').all(ok_segment) {
            return Err("must be / or a path like /canvas-relay".into());
        }
        Ok(Self(trimmed.to_string()))
    }
}

pub(super) struct StaticDir(pub PathBuf);

impl FromStr for StaticDir {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let dir = PathBuf::from(s);
        if !dir.is_dir() {
            return Err(format!("{} is not a directory", dir.display()));
        }
        Ok(Self(dir))
    }
}

/// One of `RELAY_STATIC_MOUNTS`: `/PATH=DIRECTORY`.
pub(super) struct StaticMount(pub String, pub PathBuf);

impl FromStr for StaticMount {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (mount, dir) = s.split_once('=').ok_or("each mount is /PATH=DIRECTORY")?;
        let BasePath(mount) = mount.parse().map_err(|_| format!("{mount} is not a path like /pkg"))?;
        if mount == "/" {
            return Err("use RELAY_STATIC_DIR for /".into());
        }
        Ok(Self(mount, dir.parse::<StaticDir>()?.0))
    }
}

const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/// One of `RELAY_API_ALLOW`: `METHOD[|METHOD]:/api/v1/prefix`, or `POST:/api/graphql` (exactly:
/// Canvas's GraphQL, a route of its own that checks the body, `proxy/graphql.rs`).
impl FromStr for ApiRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (methods, prefix) = s.split_once(':').ok_or("each rule is METHOD[|METHOD]:/api/v1/prefix")?;
        let methods: Vec<String> = methods.split('|').map(|m| m.trim().to_ascii_uppercase()).collect();
        if prefix.starts_with(GRAPHQL_PATH) {
            if prefix != GRAPHQL_PATH || methods != ["POST"] {
                return Err(format!("GraphQL is allowed only as POST:{GRAPHQL_PATH}"));
            }
            return Ok(ApiRule { methods, prefix: prefix.to_string() });
        }
        if methods.iter().any(|m| !METHODS.contains(&m.as_str())) {
            return Err(format!("methods must be among {}", METHODS.join(" ")));
        }
        if !prefix.starts_with("/api/v1/") || prefix.contains("..") || prefix.contains("//") || prefix.contains('%') {
            return Err(format!("{prefix} must be a path under /api/v1/"));
        }
        Ok(ApiRule { methods, prefix: prefix.to_string() })
    }
}

/// One of `RELAY_COOKIE_KEYS`: `KID:BASE64KEY` (32 bytes). The key is never repeated in errors.
impl FromStr for CookieKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (kid, b64) = s.split_once(':').ok_or("each key is KID:BASE64KEY")?;
        if kid.is_empty() || kid.len() > 16 || !kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err("key ids are 1-16 characters of A-Z a-z 0-9 _ -".into());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b64.trim_end_matches('=')))
            .map_err(|_| format!("key {kid} is not base64"))?;
        let key: [u8; 32] =
            bytes.try_into().map_err(|_| format!("key {kid} must be 32 bytes (openssl rand -base64 32)"))?;
        Ok(CookieKey { kid: kid.to_string(), key })
    }
}

/// `RELAY_COOKIE_MODE`: `strict` (the default) or `embedded` (R9).
impl FromStr for super::CookieMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "strict" => Ok(Self::Strict),
            "embedded" => Ok(Self::Embedded),
            _ => Err("expected strict or embedded".into()),
        }
    }
}

/// `RELAY_ALLOW_INSECURE_HTTP`: `1`/`true`/`yes` or `0`/`false`/`no`.
pub(super) struct Flag(pub bool);

impl FromStr for Flag {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => Ok(Flag(true)),
            "0" | "false" | "no" => Ok(Flag(false)),
            _ => Err("expected 1 or 0".into()),
        }
    }
}

/// A whole number; the minimum is checked where the setting is used.
#[derive(Clone, Copy)]
pub(super) struct Count(pub u64);

impl FromStr for Count {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse().map(Count).map_err(|_| "expected a whole number".into())
    }
}

/// `LTI_PRIVATE_KEY_FILE`, read and parsed: an RSA key in PKCS#8 or PKCS#1 PEM.
pub(super) struct LtiKey(pub crate::lti::SigningKey);

impl FromStr for LtiKey {
    type Err = String;
    fn from_str(path: &str) -> Result<Self, String> {
        let pem = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        crate::lti::SigningKey::from_pem(&pem).map(LtiKey)
    }
}

pub(super) struct LtiScope(pub String);

impl FromStr for LtiScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.starts_with("https://") {
            true => Ok(LtiScope(s.to_string())),
            false => Err("each scope must be an https:// scope URI".into()),
        }
    }
}

/// `RELAY_UPSTREAM_PROXY`: an http(s) proxy for the calls to Canvas (S17). It may carry
/// credentials, so neither errors nor Debug show more than its scheme and host.
#[derive(Clone)]
pub struct UpstreamProxy(pub url::Url);

impl fmt::Debug for UpstreamProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UpstreamProxy({}://{}, [redacted])", self.0.scheme(), self.0.host_str().unwrap_or(""))
    }
}

impl FromStr for UpstreamProxy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match url::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(Self(u)),
            _ => Err("must be an http:// or https:// proxy URL".into()),
        }
    }
}
