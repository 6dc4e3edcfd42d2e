//! Canvas's throttling headers, read defensively (R6): `Retry-After` and the rate-limit headers
//! are re-written by the relay from the value it parsed, never passed on raw, so a hostile or
//! broken upstream cannot send the browser a header it does not understand or a wait of years.

use axum::http::{HeaderMap, HeaderValue};
use std::time::{Duration, SystemTime};

/// Longest wait the relay passes on, in seconds (a larger one is clamped to this).
pub const MAX_RETRY_AFTER: u64 = 3600;
/// Largest rate-limit value passed on: Canvas's bucket is 700 units; anything near this is noise.
const MAX_QUOTA: f64 = 1_000_000.0;
/// A longer header value is not a number Canvas would send.
const MAX_LEN: usize = 32;

pub const RATE_LIMIT_HEADERS: [&str; 2] = ["x-rate-limit-remaining", "x-request-cost"];

fn text(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut values = headers.get_all(name).iter();
    let v = values.next()?;
    // Two values are ambiguous: neither is believed.
    if values.next().is_some() || v.len() > MAX_LEN {
        return None;
    }
    v.to_str().ok().map(|s| s.trim().to_string())
}

/// `Retry-After` (RFC 9110 §10.2.3) in seconds from `now`: delta-seconds or an HTTP-date, clamped to
/// 1..=[`MAX_RETRY_AFTER`]. `None` when absent or unreadable (negative, fractional, text).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<u64> {
    let v = text(headers, "retry-after")?;
    let secs = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: an overflowing number is simply a very long wait.
        v.parse::<u64>().unwrap_or(u64::MAX)
    } else {
        let at = httpdate::parse_http_date(&v).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO).as_secs()
    };
    Some(secs.clamp(1, MAX_RETRY_AFTER))
}

/// A rate-limit header's value: a finite decimal, negative read as 0, `None` when unreadable or
/// implausibly large.
pub fn quota(headers: &HeaderMap, name: &str) -> Option<f64> {
    let v = text(headers, name)?;
    // Plain decimals only: no `inf`, `NaN`, exponents or hex that `f64::from_str` would take.
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
        return None;
    }
    let n: f64 = v.parse().ok()?;
    (n.is_finite() && n <= MAX_QUOTA).then_some(n.max(0.0))
}

/// Copies the rate-limit headers of `from` into `to`, re-written from their parsed values;
/// unreadable ones are dropped.
pub fn copy_rate_limit(from: &HeaderMap, to: &mut HeaderMap) {
    for name in RATE_LIMIT_HEADERS {
        if let Some(n) = quota(from, name) {
            let n = (n * 10_000.0).round() / 10_000.0;
            to.insert(name, HeaderValue::from_str(&n.to_string()).expect("a decimal is a header value"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: &str, values: &[&str]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for v in values {
            m.append(axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn retry_after_is_clamped() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let ra = |v: &[&str]| retry_after(&h("retry-after", v), now);
        assert_eq!(ra(&["30"]), Some(30));
        assert_eq!(ra(&[" 0 "]), Some(1));
        assert_eq!(ra(&["99999999999999999999999"]), Some(MAX_RETRY_AFTER));
        for bad in ["-5", "1.5", "soon", "", "0x10", "1e3", "30, 40"] {
            assert_eq!(ra(&[bad]), None, "{bad:?}");
        }
        assert_eq!(ra(&["30", "40"]), None, "two values");
        assert_eq!(ra(&[]), None);
        let in_90s = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(ra(&[&in_90s]), Some(90));
        assert_eq!(ra(&[&httpdate::fmt_http_date(now - Duration::from_secs(90))]), Some(1), "a date past");
        assert_eq!(ra(&[&httpdate::fmt_http_date(now + Duration::from_secs(86_400 * 365))]), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn rate_limit_values_are_parsed_and_rewritten() {
        let q = |v: &str| quota(&h("x-request-cost", &[v]), "x-request-cost");
        assert_eq!(q("699.7421"), Some(699.7421));
        assert_eq!(q("-3.5"), Some(0.0));
        for bad in ["NaN", "inf", "1e400", "1e3", "12345678901", "lots", "", "0x10", "1_0"] {
            assert_eq!(q(bad), None, "{bad:?}");
        }
        let mut out = HeaderMap::new();
        let mut from = h("x-rate-limit-remaining", &["  699.123456789 "]);
        from.append("x-request-cost", HeaderValue::from_static("<script>"));
        copy_rate_limit(&from, &mut out);
        assert_eq!(out.get("x-rate-limit-remaining").unwrap(), "699.1235");
        assert!(out.get("x-request-cost").is_none());
    }
}
