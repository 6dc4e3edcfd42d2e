//! The sealed cookie's lifecycle over real HTTP (S2, S7): expiry sealed in and enforced, sliding
//! renewal under an absolute cap, copied cookies dead after an unconfirmed sign-out (and the
//! revocation retried until Canvas confirms), and a new sign-in revoking the grant it replaces.

mod common;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use common::*;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn ok_token(_: &Seen) -> axum::response::Response {
    json_resp(200, token_body("at-1", Some("rt-1")))
}

async fn sign_in_fake(relay: &str) -> String {
    let r = json_post(&client(), &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    cookie_pair(&r).unwrap()
}

async fn refresh(relay: &str, cookie: &str) -> (u16, serde_json::Value, Option<String>) {
    let r = post(&client(), &format!("{relay}/refresh")).header("cookie", cookie).send().await.unwrap();
    let sc = set_cookie(&r);
    let (st, b) = json(r).await;
    (st, b, sc)
}

fn refused_and_cleared(answer: &(u16, serde_json::Value, Option<String>)) -> bool {
    answer.0 == 401
        && answer.1["error"] == "invalid_grant"
        && answer.2.as_deref().is_some_and(|s| s.contains("Max-Age=0"))
}

fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

fn max_age(set_cookie: &str) -> u64 {
    set_cookie.split("Max-Age=").nth(1).unwrap().split(';').next().unwrap().trim().parse().unwrap()
}

#[tokio::test]
async fn an_expired_or_old_format_cookie_is_refused_without_calling_canvas() {
    let f = fake(ok_token).await;
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.cookie_max_age = Duration::from_millis(1000);
    let relay = start_relay(cfg).await;
    let cookie = sign_in_fake(&relay).await;
    tokio::time::sleep(Duration::from_millis(1400)).await;
    let n = f.count();
    assert!(refused_and_cleared(&refresh(&relay, &cookie).await), "expired");
    // A v1 cookie (same key and AEAD, the token alone inside, no lifetime): refused too.
    let aad = format!("canvas-oauth-relay/v1|k1|{}|{CLIENT_ID}", f.url);
    let nonce = [7u8; 24];
    let ct = XChaCha20Poly1305::new((&[1u8; 32]).into())
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: b"rt-1", aad: aad.as_bytes() })
        .unwrap();
    let v1 = format!("canvas_relay_rt=v1.k1.{}", URL_SAFE_NO_PAD.encode([&nonce[..], &ct].concat()));
    assert!(refused_and_cleared(&refresh(&relay, &v1).await), "v1 format");
    assert_eq!(f.count(), n, "nothing reached Canvas");
}

#[tokio::test]
async fn refresh_renews_the_cookie_sliding() {
    let f = fake(ok_token).await;
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.cookie_max_age = Duration::from_millis(2000);
    cfg.refresh_coalesce_window = Duration::from_millis(10);
    let relay = start_relay(cfg).await;
    let before = sign_in_fake(&relay).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (st, _, sc) = refresh(&relay, &before).await;
    assert_eq!(st, 200);
    let after = pair(&sc.expect("a renewed cookie"));
    assert_ne!(after, before);
    // 2.6 s after sign-in: the cookie from before the refresh has expired, the renewed one lives.
    tokio::time::sleep(Duration::from_millis(1400)).await;
    assert!(refused_and_cleared(&refresh(&relay, &before).await), "from before the refresh");
    assert_eq!(refresh(&relay, &after).await.0, 200, "from after the refresh");
}

#[tokio::test]
async fn renewal_never_passes_the_absolute_cap() {
    let f = fake(ok_token).await;
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.cookie_max_age = Duration::from_secs(60);
    cfg.session.max_age = Duration::from_millis(2000);
    let relay = start_relay(cfg).await;
    let first = sign_in_fake(&relay).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (st, _, sc) = refresh(&relay, &first).await;
    assert_eq!(st, 200);
    let sc = sc.unwrap();
    assert!(max_age(&sc) <= 2, "Max-Age bounded by the cap, not the 60 s idle window: {sc}");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert!(refused_and_cleared(&refresh(&relay, &pair(&sc)).await), "past the absolute cap");
}

/// A Canvas whose DELETE answers 503 while `down`; refresh tokens die when a DELETE succeeds.
struct Flaky {
    fake: Fake,
    down: Arc<AtomicBool>,
    revoked: Arc<AtomicBool>,
    /// The access tokens a DELETE was confirmed for.
    deleted: Arc<Mutex<Vec<String>>>,
}

async fn flaky_canvas() -> Flaky {
    let (down, revoked) = (Arc::new(AtomicBool::new(true)), Arc::new(AtomicBool::new(false)));
    let deleted = Arc::new(Mutex::new(Vec::new()));
    let (d, r, del, n) = (down.clone(), revoked.clone(), deleted.clone(), Arc::new(AtomicUsize::new(0)));
    let fake = fake(move |s| {
        let latest = format!("at-{}", n.load(Ordering::SeqCst));
        match (s.method.as_str(), s.body.contains("grant_type=refresh_token")) {
            ("DELETE", _) if d.load(Ordering::SeqCst) => json_resp(503, json!({"errors": "maintenance"})),
            ("DELETE", _) if s.headers["authorization"] == format!("Bearer {latest}").as_str() => {
                r.store(true, Ordering::SeqCst);
                del.lock().unwrap().push(latest);
                json_resp(200, json!({}))
            }
            ("DELETE", _) => json_resp(401, json!({"errors": {"base": "Invalid access token."}})),
            (_, true) if r.load(Ordering::SeqCst) => {
                json_resp(400, json!({"error": "invalid_request", "error_description": "refresh_token not found"}))
            }
            (_, true) => json_resp(200, token_body(&format!("at-{}", n.fetch_add(1, Ordering::SeqCst) + 1), None)),
            _ => json_resp(200, token_body(&latest, Some("rt-1"))),
        }
    })
    .await;
    Flaky { fake, down, revoked, deleted }
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < Duration::from_secs(10), "{what}: not within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_copied_cookie_dies_when_sign_out_is_not_confirmed_and_canvas_is_retried() {
    let canvas = flaky_canvas().await;
    let mut cfg = config(&canvas.fake.url, CLIENT_ID, SECRET);
    cfg.session.revoke_retry_delay = Duration::from_millis(200);
    cfg.session.revoke_retry_attempts = 6;
    cfg.refresh_coalesce_window = Duration::from_millis(10);
    let relay = start_relay(cfg).await;
    let copied = sign_in_fake(&relay).await;
    let c = client();
    let r = json_post(&c, &format!("{relay}/revoke"), json!({})).bearer_auth("at-0").header("cookie", &copied);
    let r = r.send().await.unwrap();
    assert!(set_cookie(&r).unwrap().contains("Max-Age=0"), "cookie cleared");
    assert_eq!(json(r).await, (202, json!({"revocation": "pending"})), "the browser learns it did not reach Canvas");
    // Canvas still knows the grant, but the copy no longer works at this relay.
    assert!(!canvas.revoked.load(Ordering::SeqCst));
    assert!(refused_and_cleared(&refresh(&relay, &copied).await), "copied cookie refreshes");
    let r = json_post(&c, &format!("{relay}/revoke"), json!({})).header("cookie", &copied).send().await.unwrap();
    assert_eq!(json(r).await, (200, json!({"revocation": "none"})), "copied cookie signs out as no session");
    // Canvas recovers: the background retry refreshes and revokes (with the fresh access token).
    canvas.down.store(false, Ordering::SeqCst);
    eventually("revoked at Canvas", || canvas.revoked.load(Ordering::SeqCst)).await;
    let deleted = canvas.deleted.lock().unwrap().clone();
    assert_eq!(deleted.len(), 1);
    assert_ne!(deleted[0], "at-0", "a freshly refreshed token");
    // Dead at Canvas itself: a relay without the denylist gets invalid_grant from Canvas.
    let other = start_relay(config(&canvas.fake.url, CLIENT_ID, SECRET)).await;
    assert!(refused_and_cleared(&refresh(&other, &copied).await), "grant gone at Canvas");
}

#[tokio::test]
async fn a_new_sign_in_over_a_session_revokes_the_old_grant() {
    let s = standin().await;
    let relay = start_relay(config(&s.url(), CLIENT_ID, SECRET)).await;
    let (_, old) = sign_in(&relay, &s.url()).await;
    let revokes = || async { standin_stats(&s.url()).await["revoke_requests"].as_u64().unwrap() };
    let before = revokes().await;
    let code = code(&s.url(), CLIENT_ID, 1).await;
    let r = json_post(&client(), &format!("{relay}/token"), json!({"code": code, "code_verifier": VERIFIER}))
        .header("cookie", &old)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let new = cookie_pair(&r).unwrap();
    let started = Instant::now();
    while revokes().await == before {
        assert!(started.elapsed() < Duration::from_secs(10), "no revoke reached Canvas");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The old grant is dead at Canvas (a relay without the denylist asks Canvas), the new one lives.
    let other = start_relay(config(&s.url(), CLIENT_ID, SECRET)).await;
    assert!(refused_and_cleared(&refresh(&other, &old).await), "old grant revoked at Canvas");
    assert!(refused_and_cleared(&refresh(&relay, &old).await), "old cookie refused here");
    assert_eq!(refresh(&relay, &new).await.0, 200, "the new session works");
}

#[tokio::test]
async fn a_bearer_only_sign_out_is_retried_with_that_token() {
    let canvas = flaky_canvas().await;
    let mut cfg = config(&canvas.fake.url, CLIENT_ID, SECRET);
    cfg.session.revoke_retry_delay = Duration::from_millis(200);
    let relay = start_relay(cfg).await;
    let r = json_post(&client(), &format!("{relay}/revoke"), json!({})).bearer_auth("at-0").send().await.unwrap();
    assert_eq!(json(r).await, (202, json!({"revocation": "pending"})));
    canvas.down.store(false, Ordering::SeqCst);
    eventually("revoked at Canvas", || canvas.revoked.load(Ordering::SeqCst)).await;
    assert_eq!(*canvas.deleted.lock().unwrap(), ["at-0"]);
}
