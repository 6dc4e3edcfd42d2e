//! S17: the relay ignores HTTPS_PROXY/HTTP_PROXY/ALL_PROXY from its environment and uses a proxy
//! only when RELAY_UPSTREAM_PROXY configures one. Its own test binary: it sets the process
//! environment, which would reach every other test's HTTP client.

mod common;
use common::*;
use std::time::Duration;

#[tokio::test]
async fn the_environment_proxy_is_ignored_and_a_configured_one_is_used() {
    let dead = down_upstream().await;
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"] {
        std::env::set_var(var, &dead);
    }
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    // This test's own client goes direct.
    let c = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap();
    let canvas = fake(|_| json_resp(200, serde_json::json!({"id": 1}))).await;
    let relay = start_relay(config(&canvas.url, CLIENT_ID, SECRET)).await;
    let r = c.get(format!("{relay}/api/v1/users/self")).bearer_auth("t").send().await.unwrap();
    assert_eq!(r.status(), 200, "the dead environment proxy was not used");
    assert_eq!(canvas.count(), 1);

    // RELAY_UPSTREAM_PROXY: the call goes to the proxy (here a fake that answers for Canvas).
    let proxy = fake(|_| json_resp(200, serde_json::json!({"via": "proxy"}))).await;
    let mut cfg = config(&down_upstream().await, CLIENT_ID, SECRET);
    cfg.upstream_proxy = Some(canvas_oauth_relay::config::UpstreamProxy(proxy.url.parse().unwrap()));
    let relay = start_relay(cfg).await;
    let r = c.get(format!("{relay}/api/v1/users/self")).bearer_auth("t").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(proxy.count(), 1);
    assert_eq!(proxy.last().path, "/api/v1/users/self");
}
