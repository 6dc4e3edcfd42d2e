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
