//! The ops listener over real HTTP (issue 14, part 2): `/metrics` counts what happened, with
//! bounded labels, only on its own listener; `/ready` says 200 when serving and 503 while
//! draining; JSON log lines parse and carry the request id.

mod common;
use common::*;
use serde_json::json;
use std::sync::OnceLock;
use std::time::Duration;

async fn scrape(ops: &str) -> String {
    let r = client().get(format!("{ops}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    r.text().await.unwrap()
}

/// The value of the sample `name{labels}` (labels as printed, in order), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

fn requests(text: &str, route: &str, method: &str, status: u16) -> f64 {
    sample(text, &format!(r#"relay_http_requests_total{{route="{route}",method="{method}",status="{status}"}}"#))
}

fn upstream(text: &str, outcome: &str) -> f64 {
    sample(text, &format!(r#"relay_upstream_calls_total{{outcome="{outcome}"}}"#))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_move_as_requests_happen() {
    let canvas = fake(|s| match s.path.as_str() {
        "/login/oauth2/token" => json_resp(200, token_body("at-1", Some("rt-1"))),
        "/api/v1/courses/4242" => json_resp(401, json!({"errors": [{"message": "Invalid access token."}]})),
        "/api/v1/throttled" => json_resp(429, json!({"errors": [{"message": "Rate Limit Exceeded"}]})),
        _ => json_resp(200, json!({"id": 1})),
    })
    .await;
    let (relay, ops, _stop) = start_relay_with_ops(config(&canvas.url, CLIENT_ID, SECRET)).await;
    let c = client();
    let before = scrape(&ops).await;
    assert_eq!(requests(&before, "/api/v1/{*path}", "GET", 200), 0.0);

    let api = |path: &str| c.get(format!("{relay}/api/v1/{path}")).bearer_auth("tok-SECRETVALUE").send();
    assert_eq!(api("users/self").await.unwrap().status(), 200);
    assert_eq!(api("courses/4242").await.unwrap().status(), 401);
    api("throttled").await.unwrap();
    assert_eq!(c.get(format!("{relay}/no/such/987654")).send().await.unwrap().status(), 404);

    // A sign-in, then two refreshes of its grant: one Canvas call, the second shares it.
    let r = json_post(&c, &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = cookie_pair(&r).unwrap();
    for _ in 0..2 {
        let r = post(&c, &format!("{relay}/refresh")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }

    // A call that outlives the upstream deadline (1.5 s): in flight while it waits, then a timeout.
    canvas.set_delay(Duration::from_secs(3));
    let calls = canvas.count();
    let slow = tokio::spawn(c.get(format!("{relay}/api/v1/slow")).bearer_auth("t").send());
    while canvas.count() == calls {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let during = scrape(&ops).await;
    assert_eq!(sample(&during, "relay_upstream_inflight"), 1.0, "{during}");
    assert!(sample(&during, "relay_connections_open") >= 1.0, "{during}");
    assert_eq!(slow.await.unwrap().unwrap().status(), 504);
    canvas.set_delay(Duration::ZERO);

    let text = scrape(&ops).await;
    assert_eq!(requests(&text, "/api/v1/{*path}", "GET", 200), 1.0, "{text}");
    assert_eq!(requests(&text, "/api/v1/{*path}", "GET", 401), 1.0, "{text}");
    assert_eq!(requests(&text, "/api/v1/{*path}", "GET", 504), 1.0, "{text}");
    assert_eq!(requests(&text, "(unmatched)", "GET", 404), 1.0, "{text}");
    assert_eq!(requests(&text, "/token", "POST", 200), 1.0, "{text}");
    assert_eq!(requests(&text, "/refresh", "POST", 200), 2.0, "{text}");
    assert_eq!(upstream(&text, "ok"), 3.0, "users/self, the code exchange, one refresh: {text}");
    assert_eq!(upstream(&text, "401"), 1.0, "{text}");
    assert_eq!(upstream(&text, "throttled"), 1.0, "{text}");
    assert_eq!(upstream(&text, "timeout"), 1.0, "{text}");
    assert_eq!(sample(&text, "relay_refreshes_total"), 1.0, "{text}");
    assert_eq!(sample(&text, "relay_refreshes_coalesced_total"), 1.0, "{text}");
    assert_eq!(sample(&text, "relay_upstream_inflight"), 0.0, "{text}");
    // The latency histogram: every bucket line and the count, per route.
    let count = sample(&text, r#"relay_http_request_duration_seconds_count{route="/api/v1/{*path}"}"#);
    assert_eq!(count, 4.0, "{text}");
    let inf = sample(&text, r#"relay_http_request_duration_seconds_bucket{route="/api/v1/{*path}",le="+Inf"}"#);
    assert_eq!(inf, 4.0, "{text}");
    assert!(text.contains("# TYPE relay_http_request_duration_seconds histogram"));
    assert_bounded_labels(&text);
}

/// Every label value is from a fixed set: route templates, methods, statuses, outcomes. No
/// request path, id or token ever becomes a label.
fn assert_bounded_labels(text: &str) {
    let routes: Vec<&str> =
        canvas_oauth_relay::ROUTES.iter().map(|(_, p)| *p).chain(["(unmatched)", "(none)"]).collect();
    let mut seen = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        for (key, value) in labels(line) {
            seen += 1;
            let ok = match key {
                "route" => routes.contains(&value),
                "method" => ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"].contains(&value),
                "status" => value.len() == 3 && value.bytes().all(|b| b.is_ascii_digit()),
                "outcome" => ["ok", "4xx", "401", "throttled", "timeout", "error"].contains(&value),
                "reason" => ["max_connections", "max_connections_per_ip"].contains(&value),
                "le" => value == "+Inf" || value.parse::<f64>().is_ok(),
                _ => false,
            };
            assert!(ok, "unexpected label {key}={value:?} in {line}");
        }
    }
    assert!(seen > 20, "labels were parsed");
    for leak in ["4242", "987654", "users/self", "SECRETVALUE", "at-1", "rt-1", "c0de"] {
        assert!(!text.contains(leak), "{leak} in the metrics");
    }
}

fn labels(line: &str) -> Vec<(&str, &str)> {
    let Some((_, rest)) = line.split_once('{') else { return vec![] };
    let (inner, _) = rest.rsplit_once('}').unwrap();
    inner
        .split("\",")
        .map(|kv| {
            let (k, v) = kv.split_once("=\"").unwrap();
            (k, v.trim_end_matches('"'))
        })
        .collect()
}

#[tokio::test]
async fn rate_limit_refusals_are_counted() {
    let canvas = fake(|_| json_resp(200, json!({}))).await;
    let mut cfg = config(&canvas.url, CLIENT_ID, SECRET);
    cfg.rate_limit_per_minute = 2;
    let (relay, ops, _stop) = start_relay_with_ops(cfg).await;
    let statuses: Vec<u16> = futures_util::future::join_all(
        (0..4).map(|_| async { client().get(format!("{relay}/health")).send().await.unwrap().status().as_u16() }),
    )
    .await;
    let refused = statuses.iter().filter(|s| **s == 429).count() as f64;
    assert!(refused >= 2.0, "{statuses:?}");
    let text = scrape(&ops).await;
    assert_eq!(sample(&text, "relay_rate_limited_total"), refused, "{text}");
    // Refused before routing: no route label but "(none)".
    assert_eq!(requests(&text, "(none)", "GET", 429), refused, "{text}");
    assert_eq!(requests(&text, "/health", "GET", 200), 4.0 - refused, "{text}");
}

#[tokio::test]
async fn metrics_are_not_on_the_public_listener() {
    let canvas = fake(|_| json_resp(200, json!({}))).await;
    let (relay, ops, _stop) = start_relay_with_ops(config(&canvas.url, CLIENT_ID, SECRET)).await;
    let r = client().get(format!("{relay}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(!r.text().await.unwrap().contains("relay_http_requests_total"));
    assert!(scrape(&ops).await.contains("relay_http_requests_total"));
    // Nor under a base path.
    let mut cfg = config(&canvas.url, CLIENT_ID, SECRET);
    cfg.base_path = "/relay".into();
    let (relay, _, _stop) = start_relay_with_ops(cfg).await;
    assert_eq!(client().get(format!("{relay}/metrics")).send().await.unwrap().status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_while_serving_and_503_while_draining() {
    let canvas = fake(|_| json_resp(200, json!({"id": 1}))).await;
    let mut cfg = config(&canvas.url, CLIENT_ID, SECRET);
    cfg.upstream_timeout = Duration::from_secs(10);
    let (relay, ops, stop) = start_relay_with_ops(cfg).await;
    let c = client();
    for url in [format!("{relay}/ready"), format!("{ops}/ready")] {
        let (status, body) = json(c.get(&url).send().await.unwrap()).await;
        assert_eq!((status, body), (200, json!({"status": "ready"})), "{url}");
    }
    assert_eq!(json(c.get(format!("{relay}/health")).send().await.unwrap()).await.0, 200);

    // A request in progress keeps the relay draining after the shutdown signal.
    canvas.set_delay(Duration::from_millis(1500));
    let busy = tokio::spawn(c.get(format!("{relay}/api/v1/users/self")).bearer_auth("t").send());
    while canvas.count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(()).unwrap();
    let mut draining = None;
    for _ in 0..100 {
        let r = c.get(format!("{ops}/ready")).send().await.unwrap();
        if r.status() == 503 {
            assert_eq!(r.headers()["retry-after"], "1");
            draining = Some(json(r).await.1);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(draining, Some(json!({"status": "not_ready", "failing": ["draining"]})));
    assert_eq!(busy.await.unwrap().unwrap().status(), 200, "the request in progress is answered");
    // Then the ops listener closes with the relay.
    let mut closed = false;
    for _ in 0..200 {
        if reqwest::Client::new().get(format!("{ops}/ready")).send().await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(closed, "the ops listener stops with the relay");
}

/// The binary's JSON log layer, installed once for this test binary.
fn json_logs() -> Capture {
    static LOGS: OnceLock<Capture> = OnceLock::new();
    LOGS.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt as _;
        let logs = Capture::default();
        let writer = logs.clone();
        let layer = canvas_oauth_relay::log_layer(canvas_oauth_relay::LogFormat::Json, move || writer.clone());
        let subscriber = tracing_subscriber::registry().with(tracing_subscriber::filter::LevelFilter::INFO).with(layer);
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
    .clone()
}

#[tokio::test]
async fn json_log_lines_parse_and_carry_request_ids() {
    let logs = json_logs();
    let canvas = fake(|_| json_resp(200, json!({"id": 1}))).await;
    let relay = start_relay(config(&canvas.url, CLIENT_ID, SECRET)).await;
    let r = client().get(format!("{relay}/api/v1/users/self")).bearer_auth("t").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let line = lines.iter().find(|l| l["span"]["request_id"] == id.as_str()).unwrap_or_else(|| panic!("{text}"));
    assert_eq!(line["message"], "relay request");
    assert_eq!(line["status"], 200);
    assert_eq!(line["upstream_status"], 200);
    assert_eq!(line["span"]["route"], "/api/v1/{*path}");
    assert_eq!(line["span"]["method"], "GET");
    assert_eq!(line["level"], "INFO");
}
