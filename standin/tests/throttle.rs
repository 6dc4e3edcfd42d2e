//! Canvas's request throttle (src/throttle.rs): a leaky bucket per access token, a fixed cost per
//! request, a pre-flight penalty while a request is in flight, 403 in UP and 429 in NEXT.
mod common;

use canvas_standin::{Behaviour, Config, Throttle};
use common::*;
use std::time::Duration;

fn config(behaviour: Behaviour, throttle: Throttle) -> Config {
    Config { behaviour, throttle, test_hooks: true, ..Config::default() }
}

fn number(r: &Resp, name: &str) -> f64 {
    r.header(name).unwrap_or_else(|| panic!("{name} missing")).parse().unwrap()
}

#[tokio::test]
async fn every_api_answer_carries_cost_and_remaining_with_canvas_defaults() {
    let s = start(config(Behaviour::Up, Throttle::default())).await;
    let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
    let r = s.api("/api/v1/users/self", &at).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-request-cost"), Some("1.0"));
    let left = number(&r, "x-rate-limit-remaining");
    assert!((699.0..700.0).contains(&left), "700 minus the cost of 1, plus what leaked meanwhile: {left}");
    // A 404 and a 401 for a bad token carry them too (Canvas throttles before routing).
    for (path, token, status) in [("/api/v1/nothing", at.as_str(), 404), ("/api/v1/users/self", "1~nope", 401)] {
        let r = s.api(path, token).await;
        assert_eq!(r.status, status);
        assert!(r.header("x-request-cost").is_some() && r.header("x-rate-limit-remaining").is_some(), "{path}");
    }
    // The token endpoint is not an API answer.
    assert_eq!(s.token(&[("client_id", WEB)]).await.header("x-rate-limit-remaining"), None);
}

async fn drain(behaviour: Behaviour) -> (Resp, Resp, Standin, String) {
    // Two units of room, each request costs 1 and nothing leaks within the test.
    let t = Throttle { high_water: 2.0, outflow: 0.0, up_front: 0.0, cost: 1.0, latency: Duration::ZERO };
    let s = start(config(behaviour, t)).await;
    let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
    let first = s.api("/api/v1/courses", &at).await;
    assert_eq!((first.status, number(&first, "x-rate-limit-remaining")), (200, 1.0));
    assert_eq!(s.api("/api/v1/courses", &at).await.status, 200);
    let refused = s.api("/api/v1/courses", &at).await;
    let other = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
    let fresh = s.api("/api/v1/courses", &other).await;
    (refused, fresh, s, at)
}

#[tokio::test]
async fn up_refuses_with_403_rate_limit_exceeded() {
    let (r, fresh, _s, _) = drain(Behaviour::Up).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.text(), "403 Forbidden (Rate Limit Exceeded)\n");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!((r.header("x-request-cost"), r.header("x-rate-limit-remaining")), (Some("0.0"), Some("0.0")));
    assert_eq!(r.header("retry-after"), None, "Canvas says nothing about when");
    assert_eq!(fresh.status, 200, "another token has its own bucket");
}

#[tokio::test]
async fn next_refuses_with_429() {
    let (r, fresh, s, at) = drain(Behaviour::Next).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.text(), "429 Too Many Requests (Rate Limit Exceeded)\n");
    assert_eq!(r.header("x-rate-limit-remaining"), Some("0.0"));
    assert_eq!(fresh.status, 200);
    // A POST is throttled too; the reset hook empties the bucket.
    assert_eq!(
        request("POST", &s.url("/api/v1/x"), &[("Authorization", &format!("Bearer {at}"))], None).await.status,
        429
    );
    assert_eq!(request("POST", &s.url("/__test/throttle/reset"), &[], None).await.status, 204);
    assert_eq!(s.api("/api/v1/courses", &at).await.status, 200);
}

#[tokio::test]
async fn the_bucket_leaks_back() {
    let t = Throttle { high_water: 1.0, outflow: 20.0, up_front: 0.0, cost: 1.0, latency: Duration::ZERO };
    let s = start(config(Behaviour::Up, t)).await;
    let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
    assert_eq!(s.api("/api/v1/courses", &at).await.status, 200);
    // 1 unit at 20 units/s leaks away within 50 ms; waiting 300 ms leaves room for one more.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.api("/api/v1/courses", &at).await.status, 200);
}

#[tokio::test]
async fn parallel_requests_pay_the_pre_flight_penalty() {
    // Sequentially this bucket never fills (cost 0); 4 requests in flight at once reserve 4 × 50.
    let t =
        Throttle { high_water: 175.0, outflow: 0.0, up_front: 50.0, cost: 0.0, latency: Duration::from_millis(300) };
    let s = start(config(Behaviour::Up, t)).await;
    let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
    for _ in 0..5 {
        assert_eq!(s.api("/api/v1/users/self", &at).await.status, 200);
    }
    let me = "/api/v1/users/self";
    let (a, b, c, d) = tokio::join!(s.api(me, &at), s.api(me, &at), s.api(me, &at), s.api(me, &at));
    let statuses = [a.status, b.status, c.status, d.status];
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 1, "{statuses:?}");
    // Once they are done, the penalty is credited back.
    assert_eq!(s.api("/api/v1/users/self", &at).await.status, 200);
    let stats = request("GET", &s.url("/__test/stats"), &[], None).await.json();
    assert_eq!(stats["api_peak_in_flight"], 4);
}
