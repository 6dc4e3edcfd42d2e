//! How one stand-in instance is configured.

use crate::seed::{default_seed, Seed};
pub use crate::throttle::Throttle;
use std::time::Duration;

/// Which Canvas code the stand-in imitates where versions differ (docs/canvas.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// The current upstream release (default).
    #[default]
    Up,
    /// Newer code not yet confirmed as released: PKCE downgrade closed, `invalid_grant` for bad
    /// refresh tokens, exact-only redirect_uri matching, OOB refused for non-document fetches,
    /// the RFC 8707 `resource` parameter, 429 instead of 403 for a throttled request.
    Next,
}

impl std::str::FromStr for Behaviour {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "up" | "UP" => Ok(Behaviour::Up),
            "next" | "NEXT" => Ok(Behaviour::Next),
            other => Err(format!("unknown behaviour {other:?} (expected up or next)")),
        }
    }
}

/// Configuration of one stand-in instance.
#[derive(Debug, Clone)]
pub struct Config {
    /// Developer keys, users, courses, settings.
    pub seed: Seed,
    /// Base URL used for absolute URLs (Link headers, redirects to /login). When `None`, the
    /// request's own scheme and `Host` are used.
    pub public_url: Option<String>,
    /// Hourly expiry of access tokens (Canvas: 1 hour) for keys with `auto_expire_tokens`.
    pub access_token_ttl: Duration,
    /// Lifetime of authorization codes and their PKCE challenges (Canvas: 600 s).
    pub code_ttl: Duration,
    pub behaviour: Behaviour,
    /// The API request throttle (`throttle.rs`).
    pub throttle: Throttle,
    /// Enables the `/__test/*` endpoints (not Canvas behaviour).
    pub test_hooks: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: default_seed(),
            public_url: None,
            access_token_ttl: Duration::from_secs(3600),
            code_ttl: Duration::from_secs(600),
            behaviour: Behaviour::Up,
            throttle: Throttle::default(),
            test_hooks: false,
        }
    }
}
