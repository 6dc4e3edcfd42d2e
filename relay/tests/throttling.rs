//! S25 on the API proxy: Canvas unreachable or throttling (429 since 2025, or 403 "Rate Limit
//! Exceeded") reaches the browser as 503 temporarily_unavailable + Retry-After: never an auth
//! error (the library keeps the session) and never 502.

mod common;
use axum::response::IntoResponse;
use common::*;
use std::time::{Duration, Instant};

async fn api_get(relay: &str) -> (u16, serde_json::Value, reqwest::header::HeaderMap, Duration) {
    let started = Instant::now();
    let r = client().get(format!("{relay}/api/v1/courses")).bearer_auth("t").send().await.unwrap();
    let headers = r.headers().clone();
    let (st, b) = json(r).await;
    (st, b, headers, started.elapsed())
}

fn retry_after(h: &reqwest::header::HeaderMap) -> u64 {
    h.get("retry-after").expect("Retry-After").to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn canvas_unreachable_is_503_with_retry_after() {
    let relay = start_relay(config(&down_upstream().await, CLIENT_ID, SECRET)).await;
    let (st, b, h, took) = api_get(&relay).await;
    assert_eq!((st, b["error"].as_str()), (503, Some("temporarily_unavailable")), "{b}");
    assert!(retry_after(&h) >= 1);
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(!b.to_string().contains("127.0.0.1"), "{b}");
}

#[tokio::test]
async fn canvas_429_is_503_with_retry_after() {
    let f = fake(|s| {
        let status = axum::http::StatusCode::TOO_MANY_REQUESTS;
        match s.query.as_deref() {
            Some("wait=30") => (status, [("retry-after", "30")], "throttled").into_response(),
            _ => (status, "throttled").into_response(),
        }
    })
    .await;
    let relay = start_relay(config(&f.url, CLIENT_ID, SECRET)).await;
    let (st, b, h, _) = api_get(&relay).await;
    assert_eq!((st, b["error"].as_str()), (503, Some("temporarily_unavailable")), "{b}");
    assert_eq!(retry_after(&h), 5, "Canvas said nothing: the relay's default");
    let r = client().get(format!("{relay}/api/v1/courses?wait=30")).bearer_auth("t").send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(retry_after(r.headers()), 30, "Canvas's own Retry-After is passed on");
    // The token endpoint throttling with 429 is no 502 either.
    let r =
        json_post(&client(), &format!("{relay}/token"), serde_json::json!({"code": "c0de", "code_verifier": VERIFIER}))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 503);
    assert!(retry_after(r.headers()) >= 1);
    // /session-url: a throttled Canvas is a wait, not a failed Canvas (502).
    let r = json_post(&client(), &format!("{relay}/session-url"), serde_json::json!({}))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(retry_after(r.headers()) >= 1);
}

// ---------------------------------------------------------------------------------------------
// Against the stand-in's throttle (Canvas's leaky bucket), with a bucket of two requests.

use canvas_standin::{Behaviour, Throttle};

async fn small_bucket(behaviour: Behaviour) -> (String, String, String) {
    let throttle = Throttle { high_water: 2.0, outflow: 0.0, up_front: 0.0, cost: 1.0, latency: Duration::ZERO };
    let s = standin_with(canvas_standin::Config { behaviour, throttle, test_hooks: true, ..Default::default() }).await;
    let canvas = s.url();
    std::mem::forget(s); // lives for the test process
    let mut cfg = config(&canvas, CLIENT_ID, SECRET);
    cfg.throttle_retry_after = 2;
    let relay = start_relay(cfg).await;
    let (access, _) = sign_in(&relay, &canvas).await;
    (relay, canvas, access)
}

async fn api_calls(canvas: &str) -> u64 {
    standin_stats(canvas).await["api_requests"].as_u64().unwrap()
}

/// UP's 403 "Rate Limit Exceeded" and NEXT's 429 both reach the browser as 503
/// temporarily_unavailable + Retry-After (the configured default: Canvas sends none), with the quota
/// headers, CORS-exposed; every answer before carries them too. A POST is never retried.
#[tokio::test]
async fn canvas_throttling_up_403_and_next_429_against_the_standin() {
    for (behaviour, canvas_status) in [(Behaviour::Up, 403), (Behaviour::Next, 429)] {
        let (relay, canvas, access) = small_bucket(behaviour).await;
        let get = || client().get(format!("{relay}/api/v1/users/self")).bearer_auth(&access).header("origin", ORIGIN);
        let first = get().send().await.unwrap();
        assert_eq!(first.status(), 200);
        let h = first.headers();
        assert_eq!((h["x-rate-limit-remaining"].to_str().unwrap(), h["x-request-cost"].to_str().unwrap()), ("1", "1"));
        let exposed = h["access-control-expose-headers"].to_str().unwrap();
        assert!(["retry-after", "x-rate-limit-remaining", "x-request-cost"].iter().all(|n| exposed.contains(n)));
        assert_eq!(get().send().await.unwrap().status(), 200);

        let before = api_calls(&canvas).await;
        let refused = get().send().await.unwrap();
        let h = refused.headers().clone();
        let (st, b) = json(refused).await;
        assert_eq!((st, b["error"].as_str()), (503, Some("temporarily_unavailable")), "{behaviour:?} {b}");
        assert_eq!(retry_after(&h), 2, "RELAY_THROTTLE_RETRY_AFTER_SECS");
        assert_eq!(h["x-rate-limit-remaining"], "0", "the quota goes with the refusal");
        assert!(!b.to_string().contains("Rate Limit"), "Canvas's text is not passed on: {b}");
        assert_eq!(api_calls(&canvas).await, before + 1, "{behaviour:?}: Canvas answered {canvas_status} once");

        let before = api_calls(&canvas).await;
        let posted = client()
            .post(format!("{relay}/api/v1/courses/101/discussion_topics"))
            .bearer_auth(&access)
            .header("origin", ORIGIN)
            .header("x-canvas-relay", "1")
            .json(&serde_json::json!({"title": "t"}))
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 503);
        assert_eq!(api_calls(&canvas).await, before + 1, "a non-idempotent call reaches Canvas once, never retried");

        // Throttling is no auth error: the refresh cookie and the grant are untouched.
        let (access2, cookie) = sign_in(&relay, &canvas).await;
        assert_ne!(access2, access);
        let r = post(&client(), &format!("{relay}/refresh")).header("cookie", cookie).send().await.unwrap();
        assert_eq!(r.status(), 200, "{behaviour:?}");
    }
}

/// Hostile or broken Retry-After and rate-limit headers from upstream are clamped or dropped,
/// never reflected raw: on a proxied answer and on a throttled one.
#[tokio::test]
async fn hostile_throttling_headers_are_clamped_or_dropped() {
    let f = fake(|s| {
        let q = s.query.clone().unwrap_or_default();
        let (ra, remaining, cost) = match q.as_str() {
            "huge" => ("99999999999999999999", "1e308", "12345678901234"),
            "negative" => ("-30", "-5", "-0.5"),
            "text" => ("soon<script>", "NaN", "inf"),
            "date" => ("Wed, 21 Oct 2099 07:28:00 GMT", "699.123456789", "0.25"),
            _ => ("0", " 12.5 ", "0x10"),
        };
        let status = if s.path.contains("throttle") {
            axum::http::StatusCode::TOO_MANY_REQUESTS
        } else {
            axum::http::StatusCode::OK
        };
        let headers = [("retry-after", ra), ("x-rate-limit-remaining", remaining), ("x-request-cost", cost)];
        (status, headers, "[]").into_response()
    })
    .await;
    let relay = start_relay(config(&f.url, CLIENT_ID, SECRET)).await;
    let get = |path: &str| client().get(format!("{relay}/api/v1/{path}")).bearer_auth("t").send();
    let cases = [
        ("huge", Some("3600"), None, None),
        ("negative", None, Some("0"), Some("0")),
        ("text", None, None, None),
        ("date", Some("3600"), Some("699.1235"), Some("0.25")),
        ("other", Some("1"), Some("12.5"), None),
    ];
    for (q, ra, remaining, cost) in cases {
        let r = get(&format!("courses?{q}")).await.unwrap();
        assert_eq!(r.status(), 200, "{q}");
        let h = r.headers();
        let v = |n: &str| h.get(n).map(|v| v.to_str().unwrap().to_string());
        assert_eq!(v("retry-after").as_deref(), ra, "{q}");
        assert_eq!(v("x-rate-limit-remaining").as_deref(), remaining, "{q}");
        assert_eq!(v("x-request-cost").as_deref(), cost, "{q}");
        // Throttled: the wait is clamped to 1..=3600, or the default when unreadable.
        let r = get(&format!("throttle?{q}")).await.unwrap();
        assert_eq!(r.status(), 503, "{q}");
        let want = ra.map_or(5, |s| s.parse().unwrap());
        assert_eq!(retry_after(r.headers()), want, "{q}");
        assert_eq!(
            r.headers().get("x-rate-limit-remaining").map(|v| v.to_str().unwrap().to_string()).as_deref(),
            remaining
        );
    }
}
