//! Small helpers: randomness, Rails-style query encoding, time formatting, URLs, HTML.

use rand::{rngs::OsRng, Rng, RngCore};
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    (now_ms() / 1000) as i64
}

/// `SecureRandom.hex(n)`: 2n lowercase hex characters.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Alphanumeric slug like `CanvasSlug.generate`.
pub fn random_slug(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = OsRng;
    (0..len).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

/// A random version-4 UUID string.
pub fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// Ruby `CGI.escape`: keeps `a-zA-Z0-9_.-~`, a space becomes `+`, everything else `%XX`.
pub fn cgi_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Rails `Hash#to_query` for a flat hash of strings: keys sorted, form-escaped.
pub fn to_query(params: &[(&str, &str)]) -> String {
    let sorted: BTreeMap<&str, &str> = params.iter().copied().collect();
    sorted.iter().map(|(k, v)| format!("{}={}", cgi_escape(k), cgi_escape(v))).collect::<Vec<_>>().join("&")
}

/// Appends a query to a URI: `&` if it already contains `?`, otherwise `?`
/// (a fragment is not treated specially, like Canvas's `final_redirect`).
pub fn append_query(uri: &str, query: &str) -> String {
    if query.is_empty() {
        return uri.to_string();
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{query}")
}

/// ActiveSupport `Array#to_sentence`.
pub fn to_sentence(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        2 => format!("{} and {}", items[0], items[1]),
        n => format!("{}, and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// ISO-8601 UTC timestamp (`2024-01-31T12:00:00Z`) for epoch seconds.
pub fn iso8601(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A parsed absolute or relative URL, just enough for Canvas's checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleUrl {
    pub scheme: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub path: String,
}

/// Parses a URI roughly as Ruby's `URI.parse` would; `None` when it would raise.
pub fn parse_url(s: &str) -> Option<SimpleUrl> {
    if s.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c)) {
        return None;
    }
    let (scheme, rest) = match s.find(':') {
        Some(i)
            if i > 0
                && s[..i].chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && s[..1].chars().all(|c| c.is_ascii_alphabetic()) =>
        {
            (Some(s[..i].to_ascii_lowercase()), &s[i + 1..])
        }
        _ => (None, s),
    };
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let authority = &after[..end];
        let path = after[end..].to_string();
        let hostport = authority.rsplit('@').next().unwrap_or("");
        let (host, port) = if hostport.starts_with('[') {
            let close = hostport.find(']')?;
            let host = &hostport[..=close];
            let port = match &hostport[close + 1..] {
                "" => None,
                p => Some(p.strip_prefix(':')?.parse().ok()?),
            };
            (host.to_string(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, "")) => (h.to_string(), None),
                Some((h, p)) => (h.to_string(), Some(p.parse().ok()?)),
                None => (hostport.to_string(), None),
            }
        };
        Some(SimpleUrl { scheme, host: Some(host.to_ascii_lowercase()), port, path })
    } else {
        Some(SimpleUrl { scheme, host: None, port: None, path: rest.to_string() })
    }
}

/// Base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url, with or without padding.
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_sorted_and_form_escaped() {
        assert_eq!(to_query(&[("state", "a b=\"(x)\""), ("code", "c")]), "code=c&state=a+b%3D%22%28x%29%22");
    }

    #[test]
    fn sentence() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(to_sentence(&v(&[])), "");
        assert_eq!(to_sentence(&v(&["a"])), "a");
        assert_eq!(to_sentence(&v(&["a", "b"])), "a and b");
        assert_eq!(to_sentence(&v(&["a", "b", "c"])), "a, b, and c");
    }

    #[test]
    fn iso() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn urls() {
        let u = parse_url("http://Example.com:8080/a?b#c").unwrap();
        assert_eq!(u.scheme.as_deref(), Some("http"));
        assert_eq!(u.host.as_deref(), Some("example.com"));
        assert_eq!(u.port, Some(8080));
        assert!(parse_url("http://exa mple.com").is_none());
        assert!(parse_url("/relative").unwrap().host.is_none());
    }
}
