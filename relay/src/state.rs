//! What every handler shares: the configuration and the relay's long-lived parts.

use crate::cookie::CookieSpec;
use crate::{coalesce, limits, proxy, replicas, revoke_retry, seal, upstream, RelayConfig};
use std::sync::Arc;

pub(crate) struct AppState {
    pub config: Arc<RelayConfig>,
    pub sealer: seal::Sealer,
    pub upstream: upstream::Upstream,
    pub api_bodies: proxy::BodyBudget,
    pub limiter: limits::RateLimiter,
    pub refreshes: coalesce::Coalescer,
    pub cookie: CookieSpec,
    /// Refresh tokens whose sign-out Canvas did not confirm (S2).
    pub denylist: revoke_retry::Denylist,
    pub retries: revoke_retry::Retries,
    /// Redis shared with the other replicas (`RELAY_REDIS_URL`), when configured.
    pub replicas: Option<Arc<replicas::Replicas>>,
    #[cfg(feature = "test-hooks")]
    pub stats: crate::hooks::Stats,
}

impl AppState {
    pub(crate) fn new(config: Arc<RelayConfig>) -> Self {
        Self {
            sealer: seal::Sealer::new(config.cookie_keys.clone(), &config.canvas_origin(), &config.client_id),
            upstream: upstream::Upstream::new(&config),
            api_bodies: proxy::BodyBudget::new(config.api_body_budget),
            limiter: limits::RateLimiter::new(config.rate_limit_per_minute),
            refreshes: coalesce::Coalescer::default(),
            cookie: CookieSpec::from_config(&config),
            denylist: revoke_retry::Denylist::default(),
            retries: revoke_retry::Retries::default(),
            replicas: replicas::Replicas::new(&config),
            #[cfg(feature = "test-hooks")]
            stats: crate::hooks::Stats::default(),
            config,
        }
    }
}
