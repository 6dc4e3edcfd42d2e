//! A misbehaving Canvas: every fault gives a clean, fast, typed error (security.md "Load and faults").

mod common;
use axum::response::IntoResponse;
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

async fn token_via(canvas: &str) -> (u16, serde_json::Value, reqwest::header::HeaderMap, Duration) {
    let relay = start_relay(config(canvas, CLIENT_ID, SECRET)).await;
    let started = Instant::now();
    let r = json_post(&client(), &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    let headers = r.headers().clone();
    let (st, b) = json(r).await;
    (st, b, headers, started.elapsed())
}

fn check_clean(st: u16, b: &serde_json::Value, h: &reqwest::header::HeaderMap, want: u16, error: &str) {
    assert_eq!(st, want, "{b}");
    assert_eq!(b["error"], error, "{b}");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["content-type"], "application/json");
    assert!(h.get("set-cookie").is_none());
    let s = b.to_string();
    assert!(!s.contains("<") && !s.contains(SECRET) && !s.contains("127.0.0.1"), "{s}");
}

#[tokio::test]
async fn upstream_down() {
    let (st, b, h, took) = token_via(&down_upstream().await).await;
    // S25: an outage is temporary (503 + Retry-After), not a broken answer from Canvas (502).
    check_clean(st, &b, &h, 503, "temporarily_unavailable");
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert!(took < Duration::from_secs(2));
}

#[tokio::test]
async fn upstream_slow_past_the_deadline() {
    let f = fake(|_| json_resp(200, token_body("at", Some("rt")))).await;
    f.set_delay(Duration::from_secs(5));
    let (st, b, h, took) = token_via(&f.url).await;
    check_clean(st, &b, &h, 504, "temporarily_unavailable");
    assert!(took >= Duration::from_millis(1400) && took < Duration::from_millis(3000), "{took:?}");
}

#[tokio::test]
async fn upstream_html_500_and_html_200() {
    let f = fake(|_| {
        (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "text/html")],
            "<html><h1>Page Error</h1></html>",
        )
            .into_response()
    })
    .await;
    let (st, b, h, _) = token_via(&f.url).await;
    check_clean(st, &b, &h, 502, "server_error");
    let f = fake(|_| {
        (axum::http::StatusCode::OK, [("content-type", "text/html")], "<!doctype html><html>maintenance</html>")
            .into_response()
    })
    .await;
    let (st, b, h, _) = token_via(&f.url).await;
    check_clean(st, &b, &h, 502, "server_error");
    // Garbled JSON and wrong shapes too.
    for body in [
        "{\"access_token\":",
        "{\"access_token\":\"\",\"token_type\":\"Bearer\",\"user\":{\"id\":1}}",
        "{\"access_token\":\"a\",\"token_type\":\"mac\",\"user\":{\"id\":1}}",
        "[]",
    ] {
        let body = body.to_string();
        let f = fake(move |_| {
            (axum::http::StatusCode::OK, [("content-type", "application/json")], body.clone()).into_response()
        })
        .await;
        let (st, b, h, _) = token_via(&f.url).await;
        check_clean(st, &b, &h, 502, "server_error");
    }
}

#[tokio::test]
async fn upstream_redirect() {
    let f = fake(|_| {
        (axum::http::StatusCode::FOUND, [("location", "http://127.0.0.1:9/callback?error=x")]).into_response()
    })
    .await;
    let (st, b, h, _) = token_via(&f.url).await;
    check_clean(st, &b, &h, 502, "server_error");
    assert_eq!(f.count(), 1);
}

#[tokio::test]
async fn upstream_resets_mid_body() {
    let url = resetting_upstream().await;
    let (st, b, h, took) = token_via(&url).await;
    check_clean(st, &b, &h, 502, "server_error");
    assert!(took < Duration::from_secs(2));
}

#[tokio::test]
async fn upstream_sends_10_mb() {
    // With and without Content-Length (chunked): both are cut off at the cap.
    let big = "x".repeat(10 * 1024 * 1024);
    let body = format!("{{\"access_token\":\"{big}\"}}");
    let f = fake(move |_| json_resp_raw(body.clone())).await;
    let (st, b, h, _) = token_via(&f.url).await;
    check_clean(st, &b, &h, 502, "server_error");
    let f = fake(|_| {
        let chunks = futures_util::stream::iter(
            (0..160).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 64 * 1024]))),
        );
        (axum::http::StatusCode::OK, [("content-type", "application/json")], axum::body::Body::from_stream(chunks))
            .into_response()
    })
    .await;
    let (st, b, h, _) = token_via(&f.url).await;
    check_clean(st, &b, &h, 502, "server_error");
    // The API proxy caps too.
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.max_api_response = 1024 * 1024;
    let relay = start_relay(cfg).await;
    let r = client().get(format!("{relay}/api/v1/courses")).bearer_auth("t").send().await.unwrap();
    assert_eq!(r.status(), 502);
}

fn json_resp_raw(body: String) -> axum::response::Response {
    (axum::http::StatusCode::OK, [("content-type", "application/json")], body).into_response()
}

#[tokio::test]
async fn upstream_throttles_with_403() {
    let f = fake(|_| {
        (
            axum::http::StatusCode::FORBIDDEN,
            [("x-rate-limit-remaining", "0.0")],
            "403 Forbidden (Rate Limit Exceeded)\n",
        )
            .into_response()
    })
    .await;
    let (st, b, h, _) = token_via(&f.url).await;
    check_clean(st, &b, &h, 503, "temporarily_unavailable");
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    // On the proxy: 503 + Retry-After, never an auth error.
    let relay = start_relay(config(&f.url, CLIENT_ID, SECRET)).await;
    let r = client().get(format!("{relay}/api/v1/courses")).bearer_auth("t").send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    // A refresh that is throttled keeps the cookie.
    let ok = fake(|_| json_resp(200, token_body("at", Some("rt")))).await;
    let relay = start_relay(config(&ok.url, CLIENT_ID, SECRET)).await;
    let r = json_post(&client(), &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    let cookie = cookie_pair(&r).unwrap();
    ok.set(|_| (axum::http::StatusCode::FORBIDDEN, "Rate Limit Exceeded").into_response());
    let r = post(&client(), &format!("{relay}/refresh")).header("cookie", cookie).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("set-cookie").is_none());
    // A permission 403 on the API passes through as 403.
    ok.set(|s| {
        if s.path.starts_with("/api/") {
            json_resp(403, json!({"status": "unauthorized"}))
        } else {
            json_resp(200, json!({}))
        }
    });
    let r = client().get(format!("{relay}/api/v1/courses")).bearer_auth("t").send().await.unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn many_concurrent_clients_during_an_outage() {
    let f = fake(|_| json_resp(200, token_body("at", Some("rt")))).await;
    f.set_delay(Duration::from_secs(10));
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.max_inflight = 8;
    cfg.upstream_timeout = Duration::from_millis(800);
    cfg.max_connections_per_ip = 1024; // 200 clients, all from 127.0.0.1
    let relay = start_relay(cfg).await;
    let c = client();
    let started = Instant::now();
    let calls = (0..200).map(|_| c.get(format!("{relay}/api/v1/users/self")).bearer_auth("t").send());
    let results = futures_util::future::join_all(calls).await;
    let mut codes = std::collections::BTreeMap::new();
    for r in results {
        *codes.entry(r.unwrap().status().as_u16()).or_insert(0) += 1;
    }
    assert!(codes.keys().all(|k| *k == 504 || *k == 503), "{codes:?}");
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
}

#[tokio::test]
async fn slow_request_bodies_get_408() {
    let f = fake(|_| json_resp(200, token_body("at", Some("rt")))).await;
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.body_timeout = Duration::from_millis(500);
    let relay = start_relay(cfg).await;
    let heads = [
        format!("POST /token HTTP/1.1\r\nHost: HOST\r\nOrigin: {ORIGIN}\r\nX-Canvas-Relay: 1\r\nContent-Type: application/json\r\nContent-Length: 8000\r\n\r\n{{\"code\":"),
        format!("POST /api/v1/courses HTTP/1.1\r\nHost: HOST\r\nOrigin: {ORIGIN}\r\nX-Canvas-Relay: 1\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 8000\r\n\r\n{{"),
    ];
    for head in heads {
        let (answer, took) = stalled(&relay, &head, Duration::from_secs(5)).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?} after {took:?}");
        assert!(answer.to_ascii_lowercase().contains("cache-control: no-store"), "{answer}");
        assert!(took < Duration::from_secs(3), "{took:?}");
    }
    assert_eq!(f.count(), 0, "nothing reached Canvas");
}
