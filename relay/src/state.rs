//! What every handler shares: the configuration and the relay's long-lived parts.

use crate::cookie::CookieSpec;
use crate::metrics::Metrics;
use crate::ready::{Readiness, ReadinessCheck};
use crate::{coalesce, limits, proxy, replicas, revoke_retry, seal, upstream, RelayConfig};
use std::sync::Arc;

pub(crate) struct AppState {
    pub config: Arc<RelayConfig>,
    pub sealer: seal::Sealer,
    pub upstream: upstream::Upstream,
    pub api_bodies: proxy::BodyBudget,
    pub limiter: limits::RateLimiter,
    /// Permits to be handled (`RELAY_MAX_REQUESTS`), taken in `server.rs` before the router.
    pub admission: tokio::sync::Semaphore,
    pub refreshes: coalesce::Coalescer,
    pub cookie: CookieSpec,
    /// `Content-Security-Policy` of every answer (`RELAY_FRAME_ANCESTORS`).
    pub csp: axum::http::HeaderValue,
    /// Refresh tokens whose sign-out Canvas did not confirm (S2).
    pub denylist: revoke_retry::Denylist,
    pub retries: revoke_retry::Retries,
    pub metrics: Arc<Metrics>,
    /// What `/ready` checks.
    pub readiness: Readiness,
    /// Redis shared with the other replicas (`RELAY_REDIS_URL`), when configured.
    pub replicas: Option<Arc<replicas::Replicas>>,
    #[cfg(feature = "test-hooks")]
    pub stats: crate::hooks::Stats,
}

impl AppState {
    pub(crate) fn new(config: Arc<RelayConfig>) -> Self {
        let metrics = Arc::new(Metrics::new());
        let replicas = replicas::Replicas::new(&config);
        let mut readiness = Readiness::default();
        if let Some(r) = replicas.clone() {
            // With Redis configured, ready only while it answers (the relay still serves alone).
            readiness.add(ReadinessCheck {
                name: "redis",
                check: Box::new(move || {
                    let r = r.clone();
                    Box::pin(async move { r.ping().await })
                }),
            });
        }
        Self {
            sealer: seal::Sealer::new(config.cookie_keys.clone(), &config.canvas_origin(), &config.client_id),
            upstream: upstream::Upstream::new(&config, metrics.clone()),
            api_bodies: proxy::BodyBudget::new(config.api_body_budget),
            limiter: limits::RateLimiter::new(config.rate_limit_per_minute),
            admission: tokio::sync::Semaphore::new(config.max_requests),
            refreshes: coalesce::Coalescer::default(),
            cookie: CookieSpec::from_config(&config),
            csp: crate::layers::frame_ancestors_csp(&config),
            denylist: revoke_retry::Denylist::default(),
            retries: revoke_retry::Retries::default(),
            metrics,
            readiness,
            replicas,
            #[cfg(feature = "test-hooks")]
            stats: crate::hooks::Stats::default(),
            config,
        }
    }
}
