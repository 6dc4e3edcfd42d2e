//! What every response passes through: the rate limit on every route, keyed per client (S1, S6,
//! S26), the browser-facing headers (S20), the preflight's methods (S15) and panics (S16).

mod common;
use common::*;
use std::path::PathBuf;

/// A static directory like the demo's: a page, a JS module and a wasm module.
fn static_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relay-layers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><script type=module src=app.js></script>").unwrap();
    std::fs::write(dir.join("app.js"), "export const x = 1;").unwrap();
    std::fs::write(dir.join("app_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    dir
}

fn get(c: &reqwest::Client, url: String, client_ip: &str) -> reqwest::RequestBuilder {
    c.get(url).header("x-forwarded-for", client_ip)
}

#[tokio::test]
async fn every_route_is_rate_limited_per_client_and_per_ipv6_slash_64() {
    let mut cfg = config("http://127.0.0.1:9", CLIENT_ID, SECRET);
    cfg.rate_limit_per_minute = 4;
    cfg.trusted_proxy_hops = 1;
    cfg.static_dir = Some(static_dir());
    let relay = start_relay(cfg).await;
    let c = client();
    // Four addresses of one /64 share one bucket, whatever they ask for: open routes, a missing
    // file and a static file alike.
    let a = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::3"];
    let paths = ["/health", "/openapi.json", "/missing.txt", "/app.js"];
    let mut statuses = Vec::new();
    for (ip, path) in a.iter().zip(paths) {
        statuses.push(get(&c, format!("{relay}{path}"), ip).send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 404, 200]);
    for path in ["/jwks.json", "/", "/app_bg.wasm", "/nope"] {
        let r = get(&c, format!("{relay}{path}"), "2001:db8:1:2::77").header("origin", ORIGIN).send().await.unwrap();
        assert_eq!(r.status(), 429, "{path}");
        assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
        // The browser may read it: CORS headers on the refusal too.
        assert_eq!(r.headers()["access-control-allow-origin"], ORIGIN);
        let (_, b) = json(r).await;
        assert_eq!(b["error"], "rate_limited");
    }
    #[cfg(feature = "test-hooks")]
    assert_eq!(get(&c, format!("{relay}/__test/stats"), a[0]).send().await.unwrap().status(), 429);
    // Another /64, and an IPv4 address, have their own buckets.
    assert_eq!(get(&c, format!("{relay}/health"), "2001:db8:1:3::1").send().await.unwrap().status(), 200);
    assert_eq!(get(&c, format!("{relay}/app.js"), "203.0.113.7").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn an_oversized_body_flood_from_one_ipv6_slash_64_is_limited_as_one_client() {
    let canvas = fake(|_| json_resp(200, token_body("at", Some("rt")))).await;
    let mut cfg = config(&canvas.url, CLIENT_ID, SECRET);
    cfg.rate_limit_per_minute = 5;
    cfg.trusted_proxy_hops = 1;
    let relay = start_relay(cfg).await;
    let c = client();
    let big = serde_json::json!({"code": "c".repeat(9000), "code_verifier": VERIFIER});
    let mut counts = std::collections::BTreeMap::new();
    for i in 0..30 {
        let r = json_post(&c, &format!("{relay}/token"), big.clone())
            .header("x-forwarded-for", format!("2001:db8:7:7::{i:x}"))
            .send()
            .await
            .unwrap();
        *counts.entry(r.status().as_u16()).or_insert(0) += 1;
    }
    // 30 addresses, one /64: five 413s, then refused before the body is read.
    assert_eq!(counts, std::collections::BTreeMap::from([(413, 5), (429, 25)]));
    assert_eq!(canvas.count(), 0);
}

fn assert_browser_headers(r: &reqwest::Response, what: &str, frame_ancestors: &str) {
    let h = r.headers();
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
    assert_eq!(h["content-security-policy"], format!("frame-ancestors {frame_ancestors}").as_str(), "{what}");
}

#[tokio::test]
async fn relay_static_and_proxied_responses_carry_the_browser_headers() {
    let canvas = fake(|_| json_resp(200, serde_json::json!({"id": 1}))).await;
    let mut cfg = config(&canvas.url, CLIENT_ID, SECRET);
    cfg.static_dir = Some(static_dir());
    let relay = start_relay(cfg).await;
    let c = client();
    for (path, status, content_type) in [
        ("/health", 200, "application/json"),
        ("/nope/", 404, ""),
        ("/", 200, "text/html"),
        ("/app.js", 200, "text/javascript"),
        ("/app_bg.wasm", 200, "application/wasm"),
    ] {
        let r = c.get(format!("{relay}{path}")).send().await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        assert!(ct.starts_with(content_type), "{path}: {ct}");
        assert_browser_headers(&r, path, "'none'");
    }
    let r = c.get(format!("{relay}/api/v1/users/self")).bearer_auth("t0ken").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_browser_headers(&r, "proxied", "'none'");
    let r = post(&c, &format!("{relay}/refresh")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_browser_headers(&r, "error", "'none'");

    // The embedded-in-Canvas mode names who may frame the app.
    let mut cfg = config(&canvas.url, CLIENT_ID, SECRET);
    cfg.frame_ancestors = "'self' https://canvas.example.edu".into();
    let embedded = start_relay(cfg).await;
    let r = c.get(format!("{embedded}/health")).send().await.unwrap();
    assert_browser_headers(&r, "embedded", "'self' https://canvas.example.edu");
}

async fn preflight(relay: &str, path: &str) -> String {
    let r = client()
        .request(reqwest::Method::OPTIONS, format!("{relay}{path}"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "{path}");
    r.headers()["access-control-allow-methods"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn preflight_methods_follow_the_routes_and_the_api_allow_list() {
    let mut cfg = config("http://127.0.0.1:9", CLIENT_ID, SECRET);
    cfg.api_allow = vec![canvas_oauth_relay::ApiRule { methods: vec!["GET".into()], prefix: "/api/v1/".into() }];
    let read_only = start_relay(cfg).await;
    assert_eq!(preflight(&read_only, "/api/v1/courses").await, "GET");
    assert_eq!(preflight(&read_only, "/token").await, "POST");
    assert_eq!(preflight(&read_only, "/jwks.json").await, "GET");
    let mut cfg = config("http://127.0.0.1:9", CLIENT_ID, SECRET);
    cfg.api_allow = vec![
        canvas_oauth_relay::ApiRule { methods: vec!["DELETE".into(), "GET".into()], prefix: "/api/v1/a/".into() },
        canvas_oauth_relay::ApiRule { methods: vec!["POST".into()], prefix: "/api/v1/b/".into() },
    ];
    let writable = start_relay(cfg).await;
    assert_eq!(preflight(&writable, "/api/v1/a/1").await, "GET, POST, DELETE");
}

#[cfg(feature = "test-hooks")]
#[tokio::test]
async fn a_handler_panic_answers_an_oauth_500_and_keeps_serving() {
    let relay = start_relay(config("http://127.0.0.1:9", CLIENT_ID, SECRET)).await;
    let c = client();
    let r = c.get(format!("{relay}/__test/panic")).header("origin", ORIGIN).send().await.unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(r.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let (_, b) = json(r).await;
    assert_eq!(b["error"], "server_error");
    assert!(!b.to_string().contains("test panic"), "the panic message is not echoed: {b}");
    assert_eq!(c.get(format!("{relay}/health")).send().await.unwrap().status(), 200);
}

#[cfg(not(feature = "test-hooks"))]
#[tokio::test]
async fn the_panic_hook_is_absent_without_the_feature() {
    let relay = start_relay(config("http://127.0.0.1:9", CLIENT_ID, SECRET)).await;
    assert_eq!(client().get(format!("{relay}/__test/panic")).send().await.unwrap().status(), 404);
}
