//! What every request passes through: the rate limit on every route, keyed per client (S1, S6,
//! S26).

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
