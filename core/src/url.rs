//! A deliberately small absolute-URL reader for configuration values and return paths.
//! It accepts only the forms this library needs and refuses the rest, instead of
//! normalising them (no `url` crate in the wasm bundle).

use crate::error::{config_invalid, Error};
use alloc::string::{String, ToString};

/// An `http`/`https` URL split into the parts the library checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpUrl {
    /// `http` or `https`, lowercase.
    pub scheme: String,
    /// Host, lowercase; IPv6 literals keep their brackets.
    pub host: String,
    /// The port when one was written, default or not.
    pub port: Option<u16>,
    /// Starts with `/` or is empty.
    pub path: String,
    /// After `?`, without it; `Some("")` for a bare `?`.
    pub query: Option<String>,
    /// After `#`, without it; `Some("")` for a bare `#`.
    pub fragment: Option<String>,
}

impl HttpUrl {
    /// Reads `value` as an absolute http(s) URL. `field` names the setting in errors.
    pub fn parse(field: &str, value: &str) -> Result<Self, Error> {
        if value.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(config_invalid(field, "must not contain spaces or control characters"));
        }
        // `split_once("://")` by bytes: a `&str` pattern pulls in core's two-way searcher (~1.5 KB of wasm).
        let at = value.as_bytes().windows(3).position(|w| w == b"://");
        let at = at.ok_or_else(|| config_invalid(field, "must be an absolute URL"))?;
        let (scheme, rest) = (&value[..at], &value[at + 3..]);
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(config_invalid(field, "must be an http or https URL"));
        }
        let (rest, fragment) = split_off(rest, '#');
        let (rest, query) = split_off(rest, '?');
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(config_invalid(field, "must not contain user info"));
        }
        let (host, port) =
            split_host_port(authority).ok_or_else(|| config_invalid(field, "has an invalid host or port"))?;
        Ok(Self { scheme, host, port, path: path.to_string(), query, fragment })
    }

    /// `scheme://host[:port]` with the default port left out (RFC 6454 serialisation).
    pub fn origin(&self) -> String {
        let default_port = if self.scheme == "https" { 443 } else { 80 };
        match self.port {
            Some(port) if port != default_port => {
                crate::concat(&[&self.scheme, "://", &self.host, ":", &crate::decimal(port.into())])
            }
            _ => crate::concat(&[&self.scheme, "://", &self.host]),
        }
    }

    /// `localhost`, `*.localhost`, `127.0.0.0/8` or `[::1]`: the hosts where plain http is allowed.
    pub fn is_loopback(&self) -> bool {
        let h = self.host.as_str();
        h == "localhost" || h.ends_with(".localhost") || h == "[::1]" || is_ipv4_loopback(h)
    }

    /// Secure transport: https, or http to this machine (browsers treat loopback as secure).
    pub fn require_secure(self, field: &str) -> Result<Self, Error> {
        if self.scheme == "https" || self.is_loopback() {
            Ok(self)
        } else {
            Err(config_invalid(field, "must use https (http is allowed only for localhost)"))
        }
    }
}

fn split_off(value: &str, sep: char) -> (&str, Option<String>) {
    match value.split_once(sep) {
        Some((head, tail)) => (head, Some(tail.to_string())),
        None => (value, None),
    }
}

fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(end) = authority.strip_prefix('[').and_then(|a| a.find(']')) {
        let host = &authority[..end + 2];
        let inside = &host[1..host.len() - 1];
        if inside.is_empty() || !inside.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
            return None;
        }
        (host, &authority[end + 2..])
    } else {
        match authority.find(':') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        }
    };
    let valid_name = |h: &str| {
        h.starts_with('[')
            || (!h.is_empty()
                && h.len() <= 253
                && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'))
    };
    if !valid_name(host) {
        return None;
    }
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => None,
        None => return None,
        Some(digits) if !digits.is_empty() && digits.len() <= 5 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(crate::parse_u64(digits).and_then(|p| u16::try_from(p).ok()).filter(|p| *p != 0)?)
        }
        Some(_) => return None,
    };
    Some((host.to_ascii_lowercase(), port))
}

fn is_ipv4_loopback(host: &str) -> bool {
    let mut parts = host.split('.');
    parts.next() == Some("127")
        && parts.clone().count() == 3
        && parts.all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && crate::parse_u64(p).is_some_and(|n| n <= 255)
        })
}

/// A same-origin path to go to after sign-in (L8; RFC 9700 §4.11.1). Anything that could
/// leave the origin — `//host`, `/\host`, schemes, control characters — becomes `/`.
pub fn safe_return_path(value: &str) -> String {
    let bytes = value.as_bytes();
    let safe = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && bytes.len() <= 2048
        && !value.chars().any(|c| c.is_control() || c == '\\');
    if safe {
        value.to_string()
    } else {
        "/".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_configuration_uses() {
        let url = HttpUrl::parse("canvasUrl", "HTTPS://Canvas.Example.edu:8443/prefix/?q=1#frag").unwrap();
        assert_eq!(url.scheme, "https");
        assert_eq!(url.host, "canvas.example.edu");
        assert_eq!(url.port, Some(8443));
        assert_eq!(url.path, "/prefix/");
        assert_eq!(url.query.as_deref(), Some("q=1"));
        assert_eq!(url.fragment.as_deref(), Some("frag"));
        assert_eq!(url.origin(), "https://canvas.example.edu:8443");
        assert_eq!(HttpUrl::parse("x", "https://a.b:443").unwrap().origin(), "https://a.b");
        assert_eq!(HttpUrl::parse("x", "http://[::1]:3000/cb").unwrap().host, "[::1]");
    }

    #[test]
    fn refuses_what_it_cannot_vouch_for() {
        for bad in [
            "canvas.example.edu",
            "ftp://canvas.example.edu",
            "https://user:pw@canvas.example.edu",
            "https://",
            "https://exa mple.edu",
            "https://example.edu:0",
            "https://example.edu:99999",
            "https://example.edu:12a",
            "https://ex_ample.edu",
            "https://[zz]/",
            "javascript:alert(1)",
        ] {
            let err = HttpUrl::parse("canvasUrl", bad).unwrap_err();
            assert_eq!(err.code, crate::ErrorCode::ConfigInvalid, "{bad}");
            assert!(err.description.starts_with("canvasUrl: "), "{}", err.description);
        }
    }

    #[test]
    fn http_only_for_loopback() {
        for ok in
            ["http://localhost:8080", "http://127.0.0.1", "http://127.1.2.3:9", "http://[::1]", "http://app.localhost"]
        {
            assert!(HttpUrl::parse("u", ok).unwrap().require_secure("u").is_ok(), "{ok}");
        }
        for bad in ["http://example.edu", "http://127.0.0.1.evil.com", "http://localhost.evil.com", "http://128.0.0.1"]
        {
            assert!(HttpUrl::parse("u", bad).unwrap().require_secure("u").is_err(), "{bad}");
        }
    }

    #[test]
    fn return_paths_stay_on_origin() {
        for ok in ["/", "/courses/1?tab=2#x", "/a/b"] {
            assert_eq!(safe_return_path(ok), ok);
        }
        for bad in [
            "",
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "javascript:alert(1)",
            "/a\nb",
            "/a\tb",
            "evil",
            "/a\\b",
        ] {
            assert_eq!(safe_return_path(bad), "/", "{bad:?}");
        }
    }
}
