//! Pure pieces of the browser session: pending-flow expiry, cleaning the address bar after a
//! callback, and the token's due time.

use crate::callback::{SINGLE, TOKENS};
use crate::PENDING_FLOW_TTL_SECS;
use alloc::string::{String, ToString};

/// `url` without anything of an authorization response, for `history.replaceState` (L7):
/// the response's parameters and any token parameter in the query, and OAuth or token
/// parameters in the fragment (S13: rejected, but not to stay visible). Keys are compared
/// decoded, as `parse_callback` reads them. Other parameters and fragment parts stay.
pub fn strip_callback_params(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((head, tail)) => (head, Some(tail)),
        None => (url, None),
    };
    let (base, query) = before_fragment.split_once('?').unwrap_or((before_fragment, ""));
    let mut out = base.to_string();
    let kept = without_oauth_params(query);
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept);
    }
    if let Some(fragment) = fragment {
        let kept = without_oauth_params(fragment);
        if !kept.is_empty() {
            out.push('#');
            out.push_str(&kept);
        }
    }
    out
}

/// The `&`-separated parts of `params` whose decoded key is not an OAuth parameter. Parts
/// that are not key=value (a fragment route such as `#/courses`) are kept as they are.
fn without_oauth_params(params: &str) -> String {
    let oauth = |pair: &&str| {
        let key = pair.split('=').next().unwrap_or("");
        let key = crate::form_decode(key).unwrap_or_else(|| key.to_string());
        SINGLE.contains(&key.as_str()) || TOKENS.contains(&key.as_str())
    };
    let kept: alloc::vec::Vec<&str> = params.split('&').filter(|p| !p.is_empty()).filter(|p| !oauth(p)).collect();
    if kept.len() == params.split('&').filter(|p| !p.is_empty()).count() {
        return params.to_string();
    }
    crate::join(&kept, "&")
}

/// Whether a pending flow created at `created_ms` is too old at `now_ms` (L2). A creation
/// time in the future (a clock set back) also counts as expired rather than as fresh.
pub fn flow_expired(created_ms: f64, now_ms: f64) -> bool {
    let age = now_ms - created_ms;
    !(age >= -60_000.0 && age <= (PENDING_FLOW_TTL_SECS * 1000) as f64)
}

/// When to stop using an access token: receive time + `expires_in` − margin (L13).
/// `None` when Canvas gave no `expires_in`: the token is used until a 401.
pub fn token_due_ms(received_ms: f64, expires_in: Option<u64>, margin_secs: u64) -> Option<f64> {
    expires_in.map(|secs| received_ms + (secs as f64 - margin_secs.min(secs / 2) as f64) * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_response_params() {
        assert_eq!(strip_callback_params("https://a/cb?code=x&state=y"), "https://a/cb");
        assert_eq!(strip_callback_params("https://a/cb?tab=2&code=x&state=y#top"), "https://a/cb?tab=2#top");
        assert_eq!(
            strip_callback_params("https://a/cb?error=access_denied&error_description=no&st%61te=y&keep=1"),
            "https://a/cb?keep=1"
        );
        assert_eq!(strip_callback_params("/cb?iss=x&error_uri=y"), "/cb");
        assert_eq!(strip_callback_params("https://a/cb?tab=2#top"), "https://a/cb?tab=2#top", "nothing to strip");
        assert_eq!(strip_callback_params("https://a/cb?a=1&&b=2#x&&y"), "https://a/cb?a=1&&b=2#x&&y", "left as it is");
    }

    /// S13: whatever parse_callback would read or reject leaves the address bar.
    #[test]
    fn strips_encoded_keys_tokens_and_fragment_params() {
        assert_eq!(strip_callback_params("https://a/cb?c%6Fde=x&st%61te=y&keep=1"), "https://a/cb?keep=1");
        assert_eq!(strip_callback_params("https://a/cb?code=x&access_token=t&id_token=i"), "https://a/cb");
        assert_eq!(strip_callback_params("https://a/cb#access_token=t&state=s"), "https://a/cb");
        assert_eq!(strip_callback_params("https://a/cb?tab=1#code=x&state=y&route=2"), "https://a/cb?tab=1#route=2");
        assert_eq!(strip_callback_params("https://a/cb#/courses/1"), "https://a/cb#/courses/1");
    }

    #[test]
    fn flow_expiry() {
        let ttl = (PENDING_FLOW_TTL_SECS * 1000) as f64;
        assert!(!flow_expired(1_000_000.0, 1_000_000.0));
        assert!(!flow_expired(1_000_000.0, 1_000_000.0 + ttl));
        assert!(flow_expired(1_000_000.0, 1_000_000.0 + ttl + 1.0));
        assert!(flow_expired(1_000_000.0, 1_000_000.0 - 120_000.0), "created in the future");
        assert!(flow_expired(f64::NAN, 1.0));
    }

    #[test]
    fn due_time_keeps_a_margin() {
        assert_eq!(token_due_ms(10_000.0, Some(3600), 60), Some(10_000.0 + 3_540_000.0));
        assert_eq!(token_due_ms(0.0, Some(20), 60), Some(10_000.0), "margin at most half the lifetime");
        assert_eq!(token_due_ms(0.0, None, 60), None);
    }
}
