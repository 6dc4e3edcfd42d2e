//! The sealed cookie's lifetime and sign-out settings (S2, S7).

use super::build::count;
use super::types::{Count, Setting};
use super::ConfigError;
use std::time::Duration;

/// The idle window is `RelayConfig::cookie_max_age` (`RELAY_COOKIE_MAX_AGE_SECS`): each refresh
/// re-seals the cookie for that long again, never past `max_age` after sign-in.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Absolute cap on a sign-in (`RELAY_SESSION_MAX_AGE_SECS`, 90 days).
    pub max_age: Duration,
    /// Whole-request deadline of `/token` (`RELAY_TOKEN_DEADLINE_MS`, 12 s): below the browser
    /// library's 15 s default timeout, so a slow Canvas cannot outlast the caller.
    pub token_deadline: Duration,
    /// Background revoke attempts after an unconfirmed sign-out (`RELAY_REVOKE_RETRY_ATTEMPTS`, 8).
    pub revoke_retry_attempts: u32,
    /// First retry delay, doubled per attempt up to 10 minutes (`RELAY_REVOKE_RETRY_DELAY_MS`, 2 s).
    pub revoke_retry_delay: Duration,
}

impl SessionConfig {
    /// From `RELAY_SESSION_MAX_AGE_SECS`, `RELAY_TOKEN_DEADLINE_MS`, `RELAY_REVOKE_RETRY_ATTEMPTS`
    /// and `RELAY_REVOKE_RETRY_DELAY_MS`, as read.
    pub(super) fn from_settings(
        max_age: Option<Setting<Count>>,
        token_deadline: Option<Setting<Count>>,
        retry_attempts: Option<Setting<Count>>,
        retry_delay: Option<Setting<Count>>,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            max_age: Duration::from_secs(count("RELAY_SESSION_MAX_AGE_SECS", max_age, 90 * 24 * 3600, 60)?),
            token_deadline: Duration::from_millis(count("RELAY_TOKEN_DEADLINE_MS", token_deadline, 12_000, 100)?),
            revoke_retry_attempts: count("RELAY_REVOKE_RETRY_ATTEMPTS", retry_attempts, 8, 0)?.min(32) as u32,
            revoke_retry_delay: Duration::from_millis(count("RELAY_REVOKE_RETRY_DELAY_MS", retry_delay, 2_000, 1)?),
        })
    }
}
