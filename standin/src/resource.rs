//! NEXT's RFC 8707 `resource` parameter (§7 item 21; `ResourceIndicators`). UP ignores it.

use crate::seed::DeveloperKey;
use crate::util::parse_url;

pub const INVALID_TARGET_DESC: &str = "The requested resource is invalid, missing, unknown, or malformed.";

/// An absolute http/https URI with a host and no fragment, listed in the key's `allowed_audiences`.
pub fn acceptable(key: &DeveloperKey, resource: &str) -> bool {
    let absolute = parse_url(resource).is_some_and(|u| {
        matches!(u.scheme.as_deref(), Some("http" | "https")) && u.host.is_some_and(|h| !h.is_empty())
    });
    absolute && !resource.contains('#') && key.allowed_audiences.iter().any(|a| a == resource)
}

/// The token endpoint's check: acceptable, and covered by what the code (or token) was granted
/// for. A grant made without `resource` covers any acceptable one (choice; see README).
pub fn token_request_ok(key: &DeveloperKey, requested: &str, granted: Option<&str>) -> bool {
    acceptable(key, requested) && granted.is_none_or(|g| g == requested)
}
