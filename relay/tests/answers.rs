//! What reaches the browser from Canvas, and /token's worst-case time (S7).

mod common;
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// The browser library's default relay timeout, read from its source (src/config.rs).
fn library_default_timeout() -> Duration {
    let src = include_str!("../../src/config.rs");
    let after = src.split("\"timeoutMs\", ").nth(1).expect("timeoutMs default in src/config.rs");
    let number: String = after.chars().take_while(|c| c.is_ascii_digit() || *c == '_').filter(|c| *c != '_').collect();
    Duration::from_millis(number.parse().unwrap())
}

#[tokio::test]
async fn token_answers_before_the_library_gives_up() {
    let library = library_default_timeout();
    assert_eq!(library, Duration::from_secs(15));
    // Default settings (15 s upstream timeout), a Canvas that never answers in time.
    let f = fake(|_| json_resp(200, token_body("at", Some("rt")))).await;
    f.set_delay(Duration::from_secs(30));
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    let defaults = canvas_oauth_relay::RelayConfig::from_lookup(|n| match n {
        "CANVAS_URL" => Some(f.url.clone()),
        "CANVAS_CLIENT_ID" => Some(CLIENT_ID.into()),
        "CANVAS_CLIENT_SECRET" => Some(SECRET.into()),
        "CANVAS_REDIRECT_URI" => Some(REDIRECT.into()),
        "RELAY_ALLOWED_ORIGINS" => Some(ORIGIN.into()),
        "RELAY_COOKIE_KEYS" => Some(format!("k1:{}", b64(&[1; 32]))),
        _ => None,
    })
    .unwrap();
    cfg.upstream_timeout = defaults.upstream_timeout;
    cfg.session.token_deadline = defaults.session.token_deadline;
    assert!(cfg.upstream_timeout >= library, "the upstream timeout alone would outlast the library");
    let relay = start_relay(cfg).await;
    let started = Instant::now();
    let slow = reqwest::Client::builder().timeout(Duration::from_secs(25)).build().unwrap();
    let r = json_post(&slow, &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}));
    let (st, b) = json(r.send().await.unwrap()).await;
    let took = started.elapsed();
    assert_eq!((st, b["error"].as_str()), (504, Some("temporarily_unavailable")), "{b}");
    assert!(took < library - Duration::from_secs(2), "{took:?}: the library would have given up");
    assert!(took >= Duration::from_secs(11), "{took:?}");
}
