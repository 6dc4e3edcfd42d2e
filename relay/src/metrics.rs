//! Operator metrics (relay/README.md, "Metrics"), kept in a `prometheus-client` registry per relay
//! and encoded in the Prometheus text format (0.0.4) by the ops listener (`ops.rs`).
//!
//! Labels are bounded by construction: routes are the router's templates (`/api/v1/{*path}`,
//! never a request path, so no ids or tokens), methods a fixed list, statuses HTTP codes, and
//! upstream outcomes a fixed list. Nothing here sees a header, query or body.

use crate::ROUTES;
use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Duration;

/// Seconds; from a cached refresh (well under a millisecond) to the upstream deadline.
const LATENCY_BUCKETS: [f64; 13] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The route label of requests that reached no relay route: static files, and requests the
/// rate limit refused before routing.
pub(crate) const NO_ROUTE: &str = "(none)";
/// The route label of requests under the base path that match no relay route (the OAuth 404).
pub(crate) const UNMATCHED: &str = "(unmatched)";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// How a call to Canvas ended, as counted by `relay_upstream_calls_total{outcome}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// 2xx.
    Ok,
    /// 401: an access token Canvas no longer accepts.
    Unauthorized,
    /// 403 Rate Limit Exceeded or 429.
    Throttled,
    /// Any other 4xx.
    ClientError,
    /// The relay's upstream deadline passed.
    Timeout,
    /// Unreachable, reset, 3xx, 5xx, too large.
    Error,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Unauthorized => "401",
            Outcome::Throttled => "throttled",
            Outcome::ClientError => "4xx",
            Outcome::Timeout => "timeout",
            Outcome::Error => "error",
        }
    }
}

/// Why the serve loop refused a connection.
#[derive(Clone, Copy)]
pub(crate) enum Refused {
    /// `RELAY_MAX_CONNECTIONS` reached.
    Total,
    /// `RELAY_MAX_CONNECTIONS_PER_IP` reached.
    PerClient,
}

pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    upstream_calls: Family<OutcomeLabels, Counter>,
    pub upstream_inflight: Gauge,
    pub refreshes: Counter,
    pub refreshes_coalesced: Counter,
    pub rate_limited: Counter,
    pub requests_queue_timeouts: Counter,
    pub connections_open: Gauge,
    connections_refused: Family<ReasonLabels, Counter>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        let upstream_calls = Family::<OutcomeLabels, Counter>::default();
        let connections_refused = Family::<ReasonLabels, Counter>::default();
        let m = Self {
            requests,
            latency,
            upstream_calls,
            upstream_inflight: Gauge::default(),
            refreshes: Counter::default(),
            refreshes_coalesced: Counter::default(),
            rate_limited: Counter::default(),
            requests_queue_timeouts: Counter::default(),
            connections_open: Gauge::default(),
            connections_refused,
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "relay_http_requests",
            "Requests answered, by route template, method and status",
            m.requests.clone(),
        );
        r.register("relay_http_request_duration_seconds", "Time to the answer's head, by route", m.latency.clone());
        r.register("relay_upstream_calls", "Calls to Canvas, by outcome", m.upstream_calls.clone());
        r.register("relay_upstream_inflight", "Calls to Canvas in flight", m.upstream_inflight.clone());
        r.register("relay_refreshes", "Refreshes sent to Canvas", m.refreshes.clone());
        r.register(
            "relay_refreshes_coalesced",
            "Refreshes answered from a concurrent or just-finished refresh of the same grant",
            m.refreshes_coalesced.clone(),
        );
        r.register("relay_rate_limited", "Requests refused by the per-client rate limit", m.rate_limited.clone());
        r.register(
            "relay_requests_queue_timeouts",
            "Requests refused with 503 after waiting 2 s at RELAY_MAX_REQUESTS",
            m.requests_queue_timeouts.clone(),
        );
        r.register("relay_connections_open", "Open client connections", m.connections_open.clone());
        r.register("relay_connections_refused", "Connections refused at a cap, by cap", m.connections_refused.clone());
        Self { registry, ..m }
    }

    /// One answered request.
    pub(crate) fn request(&self, route: &'static str, method: &Method, status: u16, latency: Duration) {
        self.requests.get_or_create(&RequestLabels { route, method: method_label(method), status }).inc();
        self.latency.get_or_create(&RouteLabels { route }).observe(latency.as_secs_f64());
    }

    pub(crate) fn upstream(&self, outcome: Outcome) {
        self.upstream_calls.get_or_create(&OutcomeLabels { outcome: outcome.label() }).inc();
    }

    pub(crate) fn refused(&self, why: Refused) {
        let reason = match why {
            Refused::Total => "max_connections",
            Refused::PerClient => "max_connections_per_ip",
        };
        self.connections_refused.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// The Prometheus text exposition of every metric.
    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}

/// `route` (a matched path without the base path) as the `&'static str` of its template in
/// [`ROUTES`], or [`UNMATCHED`].
pub(crate) fn route_label(route: Option<&str>) -> &'static str {
    route.and_then(|r| ROUTES.iter().find(|(_, p)| *p == r)).map_or(UNMATCHED, |(_, p)| p)
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts one in-flight upstream call while alive.
pub(crate) struct InFlight<'a>(&'a Gauge);

impl<'a> InFlight<'a> {
    pub(crate) fn new(g: &'a Gauge) -> Self {
        g.inc();
        Self(g)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_templates_or_unmatched() {
        assert_eq!(route_label(Some("/api/v1/{*path}")), "/api/v1/{*path}");
        assert_eq!(route_label(Some("/api/v1/users/123")), UNMATCHED);
        assert_eq!(route_label(None), UNMATCHED);
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }

    #[test]
    fn the_exposition_is_prometheus_text() {
        let m = Metrics::new();
        m.request("/token", &Method::POST, 200, Duration::from_millis(3));
        m.upstream(Outcome::Throttled);
        let text = m.encode();
        assert!(text.contains("# TYPE relay_http_requests_total counter"), "{text}");
        assert!(text.contains(r#"relay_http_requests_total{route="/token",method="POST",status="200"} 1"#), "{text}");
        assert!(text.contains(r#"relay_http_request_duration_seconds_bucket{route="/token",le="0.005"} 1"#), "{text}");
        assert!(text.contains(r#"relay_upstream_calls_total{outcome="throttled"} 1"#), "{text}");
    }
}
