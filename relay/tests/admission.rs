//! `RELAY_MAX_REQUESTS` (issue 14): beyond it a request waits at its connection, in arrival
//! order, and is handled when a request inside finishes; after 2 s of waiting it gets a 503 the
//! browser can read, counted in `/metrics`.

mod common;
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// Canvas answers a code exchange after `delay`; the relay handles one request at a time.
async fn one_at_a_time(delay: Duration) -> (String, String, tokio::sync::oneshot::Sender<()>) {
    let f = fake(|_| json_resp(200, token_body("at", Some("rt")))).await;
    f.set_delay(delay);
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.upstream_timeout = Duration::from_secs(5);
    cfg.max_requests = 1;
    let (relay, ops, stop) = start_relay_with_ops(cfg).await;
    (relay, ops, stop)
}

/// Starts a code exchange (held inside the relay while Canvas takes its time), then, once it is
/// in, asks `GET /health` from the app's origin: returns the health answer and how long it took.
async fn health_behind_a_slow_exchange(relay: &str) -> (reqwest::Response, Duration, tokio::task::JoinHandle<u16>) {
    let c = client();
    let exchange = json_post(&c, &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}));
    let exchange = tokio::spawn(async move { exchange.send().await.unwrap().status().as_u16() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let health = c.get(format!("{relay}/health")).header("origin", ORIGIN).send().await.unwrap();
    (health, started.elapsed(), exchange)
}

#[tokio::test]
async fn a_request_beyond_the_cap_waits_for_one_inside_to_finish() {
    let (relay, _ops, _stop) = one_at_a_time(Duration::from_millis(1200)).await;
    let (health, took, exchange) = health_behind_a_slow_exchange(&relay).await;
    assert_eq!(health.status(), 200);
    // Health answers at once by itself; here it waited for the exchange's slot.
    assert!(took >= Duration::from_millis(700) && took < Duration::from_millis(2000), "{took:?}");
    assert_eq!(exchange.await.unwrap(), 200);
}

#[tokio::test]
async fn after_two_seconds_of_waiting_a_readable_503() {
    let (relay, ops, _stop) = one_at_a_time(Duration::from_millis(3500)).await;
    let (health, took, exchange) = health_behind_a_slow_exchange(&relay).await;
    assert_eq!(health.status(), 503);
    assert!(took >= Duration::from_millis(1900) && took < Duration::from_millis(3200), "{took:?}");
    let h = health.headers();
    assert_eq!(h["retry-after"], "1");
    assert_eq!(h["access-control-allow-origin"], ORIGIN, "the browser must be able to read it");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let (_, body) = json(health).await;
    assert_eq!(body["error"], "temporarily_unavailable");
    // The request inside was not disturbed.
    assert_eq!(exchange.await.unwrap(), 200);
    let metrics = reqwest::get(format!("{ops}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.lines().any(|l| l == "relay_requests_queue_timeouts_total 1"), "{metrics}");
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with(r#"relay_http_requests_total{route="(none)",method="GET",status="503"} 1"#)),
        "{metrics}"
    );
}
