//! Canary (R5): unique canary values for the client secret, codes, tokens and session URLs;
//! a few hundred mixed requests; no canary may appear in a response where it does not belong,
//! nor anywhere in the captured logs (text and JSON, the binary's two formats), nor in `/metrics`.

mod common;
use axum::response::IntoResponse;
use common::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SECRET_CANARY: &str = "CANARYsecretZ9";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_canary_leaks() {
    use canvas_oauth_relay::{log_layer, LogFormat};
    use tracing_subscriber::layer::SubscriberExt as _;
    let (logs, json_logs) = (Capture::default(), Capture::default());
    let (writer, json_writer) = (logs.clone(), json_logs.clone());
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::DEBUG)
        .with(log_layer(LogFormat::Text, move || writer.clone()))
        .with(log_layer(LogFormat::Json, move || json_writer.clone()));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let n = Arc::new(AtomicUsize::new(0));
    let counter = n.clone();
    let f = fake(move |s| {
        let i = counter.fetch_add(1, Ordering::SeqCst);
        let path = s.path.as_str();
        if path == "/login/oauth2/token" && s.method == "POST" {
            let form: std::collections::HashMap<String, String> = serde_urlencoded::from_str(&s.body).unwrap_or_default();
            match (form.get("grant_type").map(String::as_str), i % 7) {
                (Some("refresh_token"), 5) => json_resp(400, json!({"error": "invalid_request", "error_description": "refresh_token not found"})),
                (_, 6) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, format!("<html>{SECRET_CANARY} CANARYrt-{i}</html>")).into_response(),
                (_, 4) => json_resp(400, json!({"error": "invalid_grant", "error_description": "authorization_code not found"})),
                _ => json_resp(200, token_body(&format!("CANARYat-{i}"), Some(&format!("CANARYrt-{i}")))),
            }
        } else if path == "/login/oauth2/token" {
            if i.is_multiple_of(3) { json_resp(401, json!({"errors": {"base": "Invalid access token."}})) } else { json_resp(200, json!({})) }
        } else if path == "/login/session_token" {
            json_resp(200, json!({"session_url": format!("{}/courses?session_token=CANARYsession-{i}", s.headers["host"].to_str().map(|h| format!("http://{h}")).unwrap()), "requires_terms_acceptance": false}))
        } else {
            json_resp(if i.is_multiple_of(4) { 401 } else { 200 }, json!({"id": 1, "name": "x"}))
        }
    })
    .await;
    let (relay, ops, _stop) = start_relay_with_ops(config(&f.url, CLIENT_ID, SECRET_CANARY)).await;
    let c = client();
    let mut responses: Vec<(String, String, String)> = Vec::new(); // (route, headers, body)
    let mut cookie: Option<String> = None;
    let mut access = "CANARYat-none".to_string();
    for round in 0..60 {
        let code = format!("CANARYcode-{round}");
        let r = json_post(&c, &format!("{relay}/token"), json!({"code": code, "code_verifier": VERIFIER}))
            .send()
            .await
            .unwrap();
        if let Some(p) = cookie_pair(&r) {
            if !p.ends_with('=') {
                cookie = Some(p);
            }
        }
        let (h, b) = dump(r).await;
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&b) {
            if let Some(a) = v["access_token"].as_str() {
                access = a.to_string();
            }
        }
        responses.push(("token".into(), h, b));
        let mut req = post(&c, &format!("{relay}/refresh"));
        if let Some(ck) = &cookie {
            req = req.header("cookie", ck);
        }
        let (h, b) = dump(req.send().await.unwrap()).await;
        responses.push(("refresh".into(), h, b));
        let r = json_post(&c, &format!("{relay}/session-url"), json!({"return_to": format!("{}/x", f.url)}))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        let (h, b) = dump(r).await;
        responses.push(("session".into(), h, b));
        let r = c
            .get(format!("{relay}/api/v1/users/self?include[]=CANARYquery-{round}"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        let (h, b) = dump(r).await;
        responses.push(("api".into(), h, b));
        if round % 5 == 0 {
            let mut req = json_post(&c, &format!("{relay}/revoke"), json!({"expire_sessions": round % 2 == 0}))
                .bearer_auth(&access);
            if let Some(ck) = &cookie {
                req = req.header("cookie", ck);
            }
            let (h, b) = dump(req.send().await.unwrap()).await;
            responses.push(("revoke".into(), h, b));
        }
    }
    assert!(responses.len() >= 250, "{}", responses.len());
    assert!(f.count() >= 200);
    for (route, headers, body) in &responses {
        for bad in [SECRET_CANARY, "CANARYcode", "CANARYrt", "CANARYquery"] {
            assert!(!headers.contains(bad) && !body.contains(bad), "{bad} in {route}: {headers} {body}");
        }
        assert!(!headers.contains("CANARYat") && !headers.contains("CANARYsession"), "{route}: {headers}");
        if !matches!(route.as_str(), "token" | "refresh") {
            assert!(!body.contains("CANARYat"), "{route}: {body}");
        }
        if route != "session" {
            assert!(!body.contains("CANARYsession"), "{route}: {body}");
        }
    }
    // The positive control: the canaries did flow where they belong.
    assert!(responses.iter().any(|(r, _, b)| r == "token" && b.contains("CANARYat")));
    assert!(responses.iter().any(|(r, _, b)| r == "session" && b.contains("CANARYsession")));
    let metrics = c.get(format!("{ops}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"relay_http_requests_total{route="/api/v1/{*path}""#), "{metrics}");
    assert!(!metrics.contains("CANARY"), "canary in the metrics:\n{metrics}");
    let json_log = String::from_utf8(json_logs.0.lock().unwrap().clone()).unwrap();
    let json_lines: Vec<serde_json::Value> = json_log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(json_lines.len() >= 250, "JSON lines were captured: {}", json_lines.len());
    for (format, log) in [("text", String::from_utf8(logs.0.lock().unwrap().clone()).unwrap()), ("json", json_log)] {
        assert!(log.contains("relay request"), "{format} logs were captured");
        assert!(log.contains("upstream_status"));
        assert!(
            !log.contains("CANARY"),
            "canary in the {format} logs:\n{}",
            log.lines().filter(|l| l.contains("CANARY")).collect::<Vec<_>>().join("\n")
        );
    }
}

async fn dump(r: reqwest::Response) -> (String, String) {
    let h = r.headers().iter().map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or("?"))).collect::<String>();
    (h, r.text().await.unwrap())
}
