//! Three relays with the same cookie keys, one stand-in Canvas, behind a real nginx (round-robin),
//! with and without a real Redis (relay/README.md, "Running several replicas"): a sign-in at one
//! replica, a refresh at another and a revoke at a third work; with Redis the rate limit, the
//! denylist and refresh coalescing are shared, Redis dying leaves every replica serving on its
//! own (and says so in the log), and Redis coming back makes them shared again.

mod common;
#[path = "replicas/fleet.rs"]
mod fleet;

use common::{client, json, standin, standin_stats, Capture, CLIENT_ID, SECRET, VERIFIER};
use fleet::{Nginx, Redis, REDIS_PASSWORD};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const REDIS_PORT: u16 = 17350;
const NGINX_PORT: u16 = 17351;
const NGINX_ALONE_PORT: u16 = 17352;
/// Requests per minute per client on every relay.
const LIMIT: usize = 60;

/// Every relay's log lines (both tests share the process).
fn logs() -> &'static Capture {
    static LOGS: OnceLock<Capture> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Capture::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        logs
    })
}

fn log_count(needle: &str) -> usize {
    String::from_utf8_lossy(&logs().0.lock().unwrap()).matches(needle).count()
}

/// A client address of its own, as an X-Forwarded-For label (the relays trust one proxy hop):
/// requests that are not about the rate limit never share a bucket. Nothing is sent there.
fn fresh_ip() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("198.18.{}.{}", n / 256, n % 256)
}

async fn start_relays(canvas: &str, redis: Option<&str>) -> (Vec<String>, Vec<SocketAddr>) {
    let mut urls = Vec::new();
    for _ in 0..3 {
        let mut c = common::config(canvas, CLIENT_ID, SECRET);
        c.rate_limit_per_minute = LIMIT as u32;
        c.trusted_proxy_hops = 1;
        // A replaced sign-in is only denylisted, not revoked at Canvas: Canvas would otherwise
        // refuse the old cookie by itself, and the test could not tell who refused it.
        c.session.revoke_retry_attempts = 0;
        c.redis_url = redis.map(|u| u.parse().expect("redis URL"));
        // The suite may run on a loaded machine: a 100 ms default could make a replica fall back
        // on its own here and there, which the shared cases must not see (the fallback has its
        // own cases: Redis paused, killed, refusing the password).
        c.redis_timeout = Duration::from_secs(1);
        urls.push(common::start_relay(c).await);
    }
    let addrs = urls.iter().map(|u| u.trim_start_matches("http://").parse().unwrap()).collect();
    (urls, addrs)
}

fn post(url: &str, ip: &str) -> reqwest::RequestBuilder {
    common::post(&client(), url).header("x-forwarded-for", ip).header("content-type", "application/json")
}

/// Signs in at `relay` (sending `old` as the cookie, if any): (access token, cookie, upstream).
async fn sign_in(relay: &str, standin: &str, old: Option<&str>) -> (String, String, String) {
    let code = common::code(standin, CLIENT_ID, 1).await;
    let mut req =
        post(&format!("{relay}/token"), &fresh_ip()).body(json!({"code": code, "code_verifier": VERIFIER}).to_string());
    if let Some(c) = old {
        req = req.header("cookie", c);
    }
    let resp = req.send().await.unwrap();
    let upstream = upstream(&resp);
    let cookie = common::cookie_pair(&resp).expect("a session cookie");
    let (status, body) = json(resp).await;
    assert_eq!(status, 200, "{body}");
    (body["access_token"].as_str().unwrap().to_string(), cookie, upstream)
}

/// Which relay nginx picked (empty when the request went to a relay directly).
fn upstream(resp: &reqwest::Response) -> String {
    resp.headers().get("x-upstream").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

/// POST /refresh or /revoke with the cookie: (status, body, upstream).
async fn with_cookie(relay: &str, route: &str, cookie: &str) -> (u16, Value, String) {
    let resp = post(&format!("{relay}/{route}"), &fresh_ip()).header("cookie", cookie).body("{}").send().await.unwrap();
    let upstream = upstream(&resp);
    let (status, body) = json(resp).await;
    (status, body, upstream)
}

async fn refreshes(standin: &str) -> u64 {
    standin_stats(standin).await["refresh_requests"].as_u64().unwrap()
}

/// A Canvas API call through `relay` with `access`.
async fn api_status(relay: &str, access: &str) -> u16 {
    let url = format!("{relay}/api/v1/users/self");
    let req = client().get(url).header("origin", common::ORIGIN).header("x-forwarded-for", fresh_ip());
    req.bearer_auth(access).send().await.unwrap().status().as_u16()
}

/// 3 × LIMIT requests from one client, spread round-robin over the relays: how many each let
/// through.
async fn spread(relays: &[String]) -> Vec<usize> {
    let ip = fresh_ip();
    let mut passed = vec![0; relays.len()];
    for i in 0..3 * LIMIT {
        let r = i % relays.len();
        let resp = client().get(format!("{}/health", relays[r])).header("x-forwarded-for", &ip).send().await.unwrap();
        match resp.status().as_u16() {
            200 => passed[r] += 1,
            429 => assert!(resp.headers().contains_key("retry-after")),
            s => panic!("GET /health answered {s}"),
        }
    }
    passed
}

async fn ready(relay: &str) -> u16 {
    let resp = client().get(format!("{relay}/ready")).header("x-forwarded-for", fresh_ip()).send().await.unwrap();
    resp.status().as_u16()
}

/// Polls every relay's /ready until it answers `want` (bounded: 15 s).
async fn wait_ready(relays: &[String], want: u16) {
    let started = Instant::now();
    for r in relays {
        while ready(r).await != want {
            assert!(started.elapsed() < Duration::from_secs(15), "{r}/ready never answered {want}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Sign-in at one replica, refresh at another, revoke at a third (directly); then the same
/// through nginx, which must have sent the three requests to three different relays. Without
/// Redis, the replica that refreshed keeps its result for the coalescing window (2 s) and does
/// not hear of the sign-out elsewhere (relay/README.md): only the others are asked at once.
async fn across_replicas(relays: &[String], nginx: &str, standin: &str, shared: bool) {
    let (_, cookie, _) = sign_in(&relays[0], standin, None).await;
    let (status, body, _) = with_cookie(&relays[1], "refresh", &cookie).await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(api_status(&relays[2], access).await, 200);
    let (status, body, _) = with_cookie(&relays[2], "revoke", &cookie).await;
    assert_eq!((status, &body["revocation"]), (200, &json!("confirmed")), "{body}");
    for (_, r) in relays.iter().enumerate().filter(|(i, _)| shared || *i != 1) {
        let (status, body, _) = with_cookie(r, "refresh", &cookie).await;
        let fallbacks = log_count("Redis unavailable");
        assert_eq!(
            (status, &body["error"]),
            (401, &json!("invalid_grant")),
            "signed out, at {r} ({fallbacks} fallbacks): {body}"
        );
    }

    let (_, cookie, first) = sign_in(nginx, standin, None).await;
    let (status, body, second) = with_cookie(nginx, "refresh", &cookie).await;
    assert_eq!(status, 200, "{body}");
    let (status, body, third) = with_cookie(nginx, "revoke", &cookie).await;
    assert_eq!((status, &body["revocation"]), (200, &json!("confirmed")), "{body}");
    let mut seen = vec![first, second, third];
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "nginx spread the three requests over three relays: {seen:?}");
    let (status, _, _) = with_cookie(nginx, "refresh", &cookie).await;
    assert_eq!(status, 401);
}

/// Two concurrent refreshes of one grant at two replicas: (Canvas refresh calls made, the two
/// access tokens).
async fn concurrent_refreshes(relays: &[String], standin: &str) -> (u64, String, String) {
    let (_, cookie, _) = sign_in(&relays[0], standin, None).await;
    let before = refreshes(standin).await;
    let (a, b) = tokio::join!(with_cookie(&relays[1], "refresh", &cookie), with_cookie(&relays[2], "refresh", &cookie));
    assert_eq!((a.0, b.0), (200, 200), "{} {}", a.1, b.1);
    let calls = refreshes(standin).await - before;
    let token = |v: &Value| v["access_token"].as_str().unwrap().to_string();
    (calls, token(&a.1), token(&b.1))
}

/// Sign-in A at relay 0, then a new sign-in at relay 1 presenting A: A is denylisted there. How
/// relay 2 then answers A, and whether it asked Canvas.
async fn replaced_cookie_elsewhere(relays: &[String], standin: &str) -> (u16, u64) {
    let (_, a, _) = sign_in(&relays[0], standin, None).await;
    let (_, b, _) = sign_in(&relays[1], standin, Some(&a)).await;
    let before = refreshes(standin).await;
    let (status, _, _) = with_cookie(&relays[2], "refresh", &a).await;
    let calls = refreshes(standin).await - before;
    let (fresh, body, _) = with_cookie(&relays[2], "refresh", &b).await;
    assert_eq!(fresh, 200, "the new session works at every replica: {body}");
    (status, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_the_replicas_share_limits_denylist_and_refreshes() {
    logs();
    let standin = standin().await;
    let canvas = standin.url();
    let redis = Redis::start(REDIS_PORT);
    let (relays, addrs) = start_relays(&canvas, Some(&redis.url())).await;
    let nginx = Nginx::start(NGINX_PORT, &addrs);
    wait_ready(&relays, 200).await;

    across_replicas(&relays, &nginx.url, &canvas, true).await;

    for round in 0..3 {
        let (calls, a, b) = concurrent_refreshes(&relays, &canvas).await;
        assert_eq!(calls, 1, "round {round}: one Canvas refresh for two replicas");
        assert_eq!(a, b, "both replicas hand out the one live access token");
        assert_eq!(api_status(&relays[0], &a).await, 200);
    }

    let (status, calls) = replaced_cookie_elsewhere(&relays, &canvas).await;
    assert_eq!((status, calls), (401, 0), "the replaced cookie is refused at another replica without asking Canvas");

    let passed = spread(&relays).await;
    let total: usize = passed.iter().sum();
    assert!((LIMIT..=LIMIT + LIMIT / 2).contains(&total), "one limit of {LIMIT} for all replicas: {passed:?}");
    assert!(passed.iter().all(|p| *p < LIMIT), "every replica refused some: {passed:?}");

    // Redis hangs (answers nothing, closes nothing): each command gives up after
    // RELAY_REDIS_TIMEOUT_MS and the replicas serve on their own.
    redis.pause();
    let (_, cookie, _) = sign_in(&relays[2], &canvas, None).await;
    let (status, body, _) = with_cookie(&relays[0], "refresh", &cookie).await;
    assert_eq!(status, 200, "refresh with a hung Redis: {body}");
    wait_ready(&relays, 503).await;
    redis.resume();
    wait_ready(&relays, 200).await;
    let (calls, a, b) = concurrent_refreshes(&relays, &canvas).await;
    assert_eq!((calls, a == b), (1, true), "shared again once Redis answers");

    // A Redis that refuses the relay (wrong password): it serves on its own.
    let wrong = redis.url().replace(REDIS_PASSWORD, "not-the-password");
    let (lone, _) = start_relays(&canvas, Some(&wrong)).await;
    let (_, cookie, _) = sign_in(&lone[0], &canvas, None).await;
    assert_eq!(with_cookie(&lone[1], "refresh", &cookie).await.0, 200);
    assert_eq!(ready(&lone[2]).await, 503);

    // Redis dies: every replica goes on serving, on its own, and says so.
    let warned = log_count("Redis unavailable");
    redis.kill();
    let (_, cookie, _) = sign_in(&relays[0], &canvas, None).await;
    let (status, body, _) = with_cookie(&relays[1], "refresh", &cookie).await;
    assert_eq!(status, 200, "refresh without Redis: {body}");
    let (_, cookie, _) = sign_in(&nginx.url, &canvas, None).await;
    assert_eq!(with_cookie(&nginx.url, "refresh", &cookie).await.0, 200);
    assert_eq!(spread(&relays).await, vec![LIMIT; 3], "per-process limits without Redis");
    wait_ready(&relays, 503).await;
    assert!(log_count("Redis unavailable") > warned, "the fallback is logged");

    // Redis is back (empty, as after a restart): shared again.
    let connected = log_count("Redis connected");
    let redis = Redis::start(REDIS_PORT);
    wait_ready(&relays, 200).await;
    assert!(log_count("Redis connected") >= connected + 3, "each replica logs that it is shared again");
    let total: usize = spread(&relays).await.iter().sum();
    assert!(total <= LIMIT + LIMIT / 2, "one shared limit again: {total}");
    let (calls, a, b) = concurrent_refreshes(&relays, &canvas).await;
    assert_eq!((calls, a == b), (1, true), "coalesced across replicas again");
    across_replicas(&relays, &nginx.url, &canvas, true).await;

    let log = String::from_utf8_lossy(&logs().0.lock().unwrap()).into_owned();
    assert!(!log.contains(REDIS_PASSWORD), "the Redis URL's password is never logged");
    drop((nginx, redis));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_each_replica_is_on_its_own() {
    logs();
    let standin = standin().await;
    let canvas = standin.url();
    let (relays, addrs) = start_relays(&canvas, None).await;
    let nginx = Nginx::start(NGINX_ALONE_PORT, &addrs);
    wait_ready(&relays, 200).await;

    // The cookie is sealed with the shared keys: any replica opens it.
    across_replicas(&relays, &nginx.url, &canvas, false).await;

    // What relay/README.md says is then per replica:
    let (calls, a, b) = concurrent_refreshes(&relays, &canvas).await;
    assert_eq!(calls, 2, "each replica refreshed on its own");
    assert_ne!(a, b);
    let (status, calls) = replaced_cookie_elsewhere(&relays, &canvas).await;
    assert_eq!((status, calls), (200, 1), "another replica does not know the denylist");
    assert_eq!(spread(&relays).await, vec![LIMIT; 3], "a limit per replica");
    drop(nginx);
}
