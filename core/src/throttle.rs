//! Throttling of API calls (L18): which answers mean "wait", what the headers say, and how long
//! to wait before retrying a call that is safe to repeat.

use crate::encoding::parse_u64;

/// Longest wait read from `Retry-After`, in seconds (the relay clamps to the same).
pub const MAX_RETRY_AFTER_SECS: u32 = 3600;
/// The wait assumed when a throttled answer has no readable `Retry-After` (the relay's default).
pub const DEFAULT_RETRY_AFTER_SECS: u32 = 5;
/// The first back-off step; each retry doubles it.
const FIRST_DELAY_MS: u32 = 500;
/// Largest rate-limit value believed (Canvas's bucket holds 700).
const MAX_QUOTA: f64 = 1_000_000.0;

/// How `auth.fetch` retries a throttled idempotent call: at most `attempts` retries, none waiting
/// longer than `max_delay_ms`, so the whole wait stays under `attempts × max_delay_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first try; 0 turns retrying off.
    pub attempts: u32,
    /// The longest single wait, in milliseconds; a longer `Retry-After` gives up instead.
    pub max_delay_ms: u32,
}

impl RetryPolicy {
    /// `retry` unset: three retries, at most 10 s each.
    pub const DEFAULT: RetryPolicy = RetryPolicy { attempts: 3, max_delay_ms: 10_000 };
    /// `retry: false`: a throttled call fails at once with `rate_limited`.
    pub const OFF: RetryPolicy = RetryPolicy { attempts: 0, max_delay_ms: 0 };
}

/// A relay answer that means "throttled or briefly unavailable; the session is fine".
pub fn is_throttled(status: u16) -> bool {
    matches!(status, 429 | 503)
}

/// Methods that may be sent again without changing anything twice (RFC 9110 §9.2.2); PUT and
/// DELETE are idempotent too, but a Canvas DELETE or PUT that did run is not worth the risk.
pub fn is_retryable_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD")
}

/// `Retry-After` as delta-seconds, clamped to [`MAX_RETRY_AFTER_SECS`]; `None` when absent or
/// not plain digits (an HTTP-date is not read: the browser's clock is not the relay's).
pub fn parse_retry_after(value: Option<&str>) -> Option<u32> {
    let v = value?.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(parse_u64(v).unwrap_or(u64::MAX).min(MAX_RETRY_AFTER_SECS.into()) as u32)
}

/// `X-Rate-Limit-Remaining` or `X-Request-Cost`: a plain decimal (`699.25`) in 0..=1e6, else
/// `None`. Read by hand: `str::parse::<f64>` would add ~18 KB of gzipped wasm (BENCHMARKS.md).
pub fn parse_quota(value: Option<&str>) -> Option<f64> {
    let v = value?.trim();
    let (whole, fraction) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if v.len() > 32 || (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return None;
    }
    let mut n = if whole.is_empty() { 0.0 } else { parse_u64(whole)? as f64 };
    let mut scale = 1.0;
    for b in fraction.bytes().take(12) {
        scale /= 10.0;
        n += f64::from(b - b'0') * scale;
    }
    (n <= MAX_QUOTA).then_some(n)
}

/// The wait before retry number `done + 1`, or `None` to stop and hand the answer back: the budget
/// is spent, or the server asks for a longer wait than `max_delay_ms`. Exponential back-off from
/// 500 ms with jitter (`random` in 0..1) on top, never shorter than `retry_after_secs`.
pub fn retry_delay_ms(policy: RetryPolicy, done: u32, retry_after_secs: Option<u32>, random: f64) -> Option<u32> {
    if done >= policy.attempts {
        return None;
    }
    let floor = retry_after_secs.unwrap_or(0).saturating_mul(1000);
    if floor > policy.max_delay_ms {
        return None;
    }
    let step = FIRST_DELAY_MS.saturating_mul(1u32 << done.min(16));
    let jitter = (f64::from(step / 2) * random.clamp(0.0, 1.0)) as u32;
    Some(floor.max(step / 2).saturating_add(jitter).min(policy.max_delay_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_strictly() {
        assert_eq!(parse_retry_after(Some(" 30 ")), Some(30));
        assert_eq!(parse_retry_after(Some("99999999999999999999999")), Some(MAX_RETRY_AFTER_SECS));
        for bad in [None, Some(""), Some("-1"), Some("1.5"), Some("Wed, 21 Oct 2015 07:28:00 GMT")] {
            assert_eq!(parse_retry_after(bad), None, "{bad:?}");
        }
        assert_eq!(parse_quota(Some("699.5")), Some(699.5));
        assert_eq!(parse_quota(Some(".5")), Some(0.5));
        assert_eq!(parse_quota(Some("12.")), Some(12.0));
        for bad in ["-1", "NaN", "inf", "1e3", "2000000", "", ".", "1.2.3", "99999999999999999999999"] {
            assert_eq!(parse_quota(Some(bad)), None, "{bad:?}");
        }
    }

    #[test]
    fn back_off_doubles_honours_retry_after_and_stops() {
        let p = RetryPolicy::DEFAULT;
        assert_eq!(retry_delay_ms(p, 0, None, 0.0), Some(250));
        assert_eq!(retry_delay_ms(p, 1, None, 1.0), Some(1000));
        assert_eq!(retry_delay_ms(p, 2, Some(2), 0.0), Some(2000));
        assert_eq!(retry_delay_ms(p, 3, None, 0.0), None, "3 retries at most");
        assert_eq!(retry_delay_ms(p, 0, Some(11), 0.0), None, "longer than max_delay_ms: no retry");
        assert_eq!(retry_delay_ms(RetryPolicy::OFF, 0, None, 0.5), None);
        assert!(is_throttled(429) && is_throttled(503) && !is_throttled(403));
        assert!(is_retryable_method("GET") && is_retryable_method("HEAD") && !is_retryable_method("POST"));
        assert!(!is_retryable_method("DELETE") && !is_retryable_method("get"));
    }
}
