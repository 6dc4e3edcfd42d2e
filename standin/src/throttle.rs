//! Canvas's request throttle (canvas-lms `RequestThrottle`, and its "Throttling" API page): a leaky bucket
//! per access token. Each request first reserves an up-front cost (the pre-flight penalty, which
//! is what punishes parallel requests), is refused when the bucket is then full (count >= high
//! water mark), and on completion has the up-front cost credited back and its own cost charged.
//! The bucket leaks `outflow` units per second. Every answer to a request with a token carries
//! `X-Request-Cost` and `X-Rate-Limit-Remaining`.
//!
//! Canvas's cost is the request's CPU + database time; here it is a fixed, configurable cost, so
//! tests are repeatable. Keyed by the access token (Canvas: "each access token has its own
//! quota"), so a refreshed token starts with a fresh bucket; requests without a token (cookie
//! sessions) are not throttled here.

use crate::config::Behaviour;
use crate::state::App;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The bucket's parameters (Canvas's defaults: high water 700, outflow 10/s, up-front 50).
#[derive(Debug, Clone, PartialEq)]
pub struct Throttle {
    pub high_water: f64,
    /// Units leaked per second.
    pub outflow: f64,
    /// Reserved while a request is in flight.
    pub up_front: f64,
    /// What a served request costs (a refused one costs 0).
    pub cost: f64,
    /// How long each served API request takes (0: at once), so parallel requests overlap.
    pub latency: Duration,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle { high_water: 700.0, outflow: 10.0, up_front: 50.0, cost: 1.0, latency: Duration::ZERO }
    }
}

struct Bucket {
    count: f64,
    touched: Instant,
    in_flight: u32,
    peak: u32,
}

/// The buckets of all tokens, and the most requests one token had in flight at once.
#[derive(Default)]
pub struct Buckets {
    map: HashMap<String, Bucket>,
}

impl Buckets {
    fn leak(&mut self, token: &str, outflow: f64) -> &mut Bucket {
        let now = Instant::now();
        let b = self.map.entry(token.to_string()).or_insert(Bucket { count: 0.0, touched: now, in_flight: 0, peak: 0 });
        b.count = (b.count - outflow * now.duration_since(b.touched).as_secs_f64()).max(0.0);
        b.touched = now;
        b
    }

    /// The largest number of requests one token has had in flight at once (test hook).
    pub fn peak_in_flight(&self) -> u32 {
        self.map.values().map(|b| b.peak).max().unwrap_or(0)
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }
}

/// Ruby's `Float#to_s` for the values seen here: always a fractional part.
fn float(n: f64) -> String {
    let n = (n * 10_000.0).round() / 10_000.0;
    if n.fract() == 0.0 {
        format!("{n:.1}")
    } else {
        format!("{n}")
    }
}

/// Canvas's answer when the bucket is full: 403 in UP, 429 in NEXT (Canvas's change log of
/// 2025-10-08), plain text, no Retry-After.
fn refused(behaviour: Behaviour) -> Response {
    let (status, body) = match behaviour {
        Behaviour::Up => (StatusCode::FORBIDDEN, "403 Forbidden (Rate Limit Exceeded)\n"),
        Behaviour::Next => (StatusCode::TOO_MANY_REQUESTS, "429 Too Many Requests (Rate Limit Exceeded)\n"),
    };
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// Runs an API request through the bucket of `token`.
pub async fn around(app: &App, token: String, req: Request, next: Next) -> Response {
    let t = &app.config.throttle;
    let admitted = {
        let mut buckets = app.buckets.lock().expect("buckets lock");
        let b = buckets.leak(&token, t.outflow);
        b.count += t.up_front;
        b.in_flight += 1;
        b.peak = b.peak.max(b.in_flight);
        b.count < t.high_water
    };
    let (mut resp, cost) = if admitted {
        if !t.latency.is_zero() {
            tokio::time::sleep(t.latency).await;
        }
        (next.run(req).await, t.cost)
    } else {
        (refused(app.config.behaviour), 0.0)
    };
    let remaining = {
        let mut buckets = app.buckets.lock().expect("buckets lock");
        let b = buckets.leak(&token, t.outflow);
        b.count = (b.count + cost - t.up_front).max(0.0);
        b.in_flight -= 1;
        (t.high_water - b.count).max(0.0)
    };
    let h = resp.headers_mut();
    for (name, value) in [("x-request-cost", cost), ("x-rate-limit-remaining", remaining)] {
        h.insert(name, HeaderValue::from_str(&float(value)).expect("a number"));
    }
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn floats_read_like_ruby() {
        assert_eq!(super::float(700.0), "700.0");
        assert_eq!(super::float(699.7000000001), "699.7");
        assert_eq!(super::float(0.0), "0.0");
    }
}
