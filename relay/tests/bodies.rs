//! API request bodies and methods (S3, S4): what the proxy refuses, and that it refuses it from the
//! headers, before the body is read. A counting fake Canvas shows that nothing refused reached it.

mod common;
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn relay_config(canvas: &str) -> canvas_oauth_relay::RelayConfig {
    let mut c = config(canvas, CLIENT_ID, SECRET);
    c.api_allow = vec![canvas_oauth_relay::ApiRule {
        methods: ["GET", "HEAD", "POST", "DELETE"].map(String::from).to_vec(),
        prefix: "/api/v1/".into(),
    }];
    c
}

/// What the relay answers to `head` and then silence, read for at most 6 s.
async fn stalled_6s(relay: &str, head: &str) -> (String, Duration) {
    stalled(relay, head, Duration::from_secs(6)).await
}

#[tokio::test]
async fn get_head_and_delete_with_a_body_are_refused() {
    let f = fake(|_| json_resp(200, json!({"id": 1}))).await;
    let relay = start_relay(relay_config(&f.url)).await;
    let c = client();
    let url = format!("{relay}/api/v1/courses/1");
    for method in [reqwest::Method::GET, reqwest::Method::HEAD, reqwest::Method::DELETE] {
        let req = c.request(method.clone(), &url).header("origin", ORIGIN).header("x-canvas-relay", "1");
        let r = req.bearer_auth("t").body("x=1").send().await.unwrap();
        assert_eq!(r.status(), 400, "{method}");
        if method != reqwest::Method::HEAD {
            let (_, b) = json(r).await;
            assert_eq!(b["error"], "invalid_request", "{method}");
        }
    }
    // Refused from the headers: a body that never arrives does not hold the request.
    let head =
        "GET /api/v1/courses/1 HTTP/1.1\r\nHost: HOST\r\nAuthorization: Bearer t\r\nContent-Length: 8000\r\n\r\nx";
    let (answer, took) = stalled_6s(&relay, head).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    let head = "DELETE /api/v1/courses/1 HTTP/1.1\r\nHost: HOST\r\nOrigin: ORIGIN\r\nX-Canvas-Relay: 1\r\n\
                Authorization: Bearer t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"
        .replace("ORIGIN", ORIGIN);
    let (answer, _) = stalled_6s(&relay, &head).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert_eq!(f.count(), 0, "nothing reached Canvas");
    // Without a body they pass (a zero Content-Length is no body).
    assert_eq!(c.get(&url).bearer_auth("t").header("content-length", "0").send().await.unwrap().status(), 200);
    assert_eq!(c.head(&url).bearer_auth("t").send().await.unwrap().status(), 200);
    let del = c.delete(&url).bearer_auth("t").header("origin", ORIGIN).header("x-canvas-relay", "1");
    assert_eq!(del.send().await.unwrap().status(), 200);
    assert_eq!(f.count(), 3);
}

#[tokio::test]
async fn a_malformed_bearer_is_refused_before_the_body_is_read() {
    let f = fake(|_| json_resp(200, json!({"id": 1}))).await;
    let mut cfg = relay_config(&f.url);
    cfg.body_timeout = Duration::from_secs(5);
    let relay = start_relay(cfg).await;
    let post = format!(
        "POST /api/v1/courses HTTP/1.1\r\nHost: HOST\r\nOrigin: {ORIGIN}\r\nX-Canvas-Relay: 1\r\n\
         Content-Type: application/json\r\nContent-Length: 8000\r\n"
    );
    for (auth, status) in [
        ("Authorization: Bearer a b\r\n", "401"),
        ("Authorization: Bearer t\u{e9}x\r\n", "401"),
        ("Authorization: bearer t\r\n", "401"),
        ("Authorization: Basic dDp0\r\n", "401"),
        ("Authorization: Bearer t\r\nAuthorization: Bearer u\r\n", "400"),
    ] {
        let (answer, took) = stalled_6s(&relay, &format!("{post}{auth}\r\n{{\"a\":")).await;
        assert!(answer.starts_with(&format!("HTTP/1.1 {status}")), "{auth:?}: {answer:?}");
        assert!(took < Duration::from_secs(2), "{auth:?}: {took:?}, the body timeout is 5 s");
    }
    assert_eq!(f.count(), 0, "nothing reached Canvas");
}

#[tokio::test]
async fn bodies_in_flight_share_one_budget() {
    let f = fake(|_| json_resp(200, json!({"id": 1}))).await;
    let mut cfg = relay_config(&f.url);
    cfg.max_api_body = 1000;
    cfg.api_body_budget = 4000;
    // Long enough for the probes below even on a loaded machine; the test takes this long.
    cfg.body_timeout = Duration::from_secs(3);
    let relay = start_relay(cfg).await;
    let head = format!(
        "POST /api/v1/courses HTTP/1.1\r\nHost: HOST\r\nOrigin: {ORIGIN}\r\nX-Canvas-Relay: 1\r\n\
         Authorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"a\":"
    );
    // Four slow bodies of 1000 bytes take the whole budget until their body timeout (408).
    let slow: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn({
                let (relay, head) = (relay.clone(), head.clone());
                async move { stalled_6s(&relay, &head).await }
            })
        })
        .collect();
    let c = client();
    let send = || {
        c.post(format!("{relay}/api/v1/courses"))
            .bearer_auth("t")
            .header("origin", ORIGIN)
            .header("x-canvas-relay", "1")
            .header("content-type", "application/json")
            .body(format!("{{\"a\":\"{}\"}}", "x".repeat(900)))
            .send()
    };
    // Bounded wait until the four are being read, then the next body gets 503 at once.
    let mut refused = None;
    for _ in 0..40 {
        let started = Instant::now();
        let r = send().await.unwrap();
        if r.status() == 503 {
            refused = Some((r, started.elapsed()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (r, took) = refused.expect("a body beyond the budget is refused");
    assert!(took < Duration::from_secs(1), "{took:?}: refused at once, not after a wait");
    assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    let (_, b) = json(r).await;
    assert_eq!(b["error"], "temporarily_unavailable");
    for s in slow {
        let (answer, _) = s.await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    }
    // The budget comes back when they are gone.
    assert_eq!(send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_default_api_body_cap_is_256_kib() {
    let f = fake(|_| json_resp(200, json!({"id": 1}))).await;
    let relay = start_relay(config(&f.url, CLIENT_ID, SECRET)).await;
    let body = |n: usize| format!("{{\"a\":\"{}\"}}", "x".repeat(n));
    let send = |b: String| {
        post(&client(), &format!("{relay}/api/v1/courses"))
            .bearer_auth("t")
            .header("content-type", "application/json")
            .body(b)
            .send()
    };
    assert_eq!(send(body(200 * 1024)).await.unwrap().status(), 200);
    assert_eq!(send(body(300 * 1024)).await.unwrap().status(), 413);
    assert_eq!(f.count(), 1);
}

#[tokio::test]
async fn media_types_and_form_keys_are_read_as_rack_reads_them() {
    let f = fake(|_| json_resp(200, json!({"id": 1}))).await;
    let relay = start_relay(relay_config(&f.url)).await;
    let c = client();
    let url = format!("{relay}/api/v1/courses/1/discussion_topics/2");
    let part = "--XX\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--XX--\r\n";
    let refused: &[(&[&str], &str)] = &[
        (&["application/x-www-form-urlencoded, x"], "_method=DELETE"),
        (&["application/x-www-form-urlencoded , application/json"], "title=x&_method=DELETE"),
        (&["multipart/mixed; boundary=XX"], part),
        (&["multipart/related; boundary=XX"], part),
        (&["Multipart/Alternative, x"], part),
        (&["application/x-www-form-urlencoded"], "[_method]=DELETE"),
        (&["application/x-www-form-urlencoded"], "_method]=DELETE"),
        (&["application/x-www-form-urlencoded"], "]%5B_method=DELETE"),
        (&["application/json", "application/x-www-form-urlencoded"], "_method=DELETE"),
    ];
    for (types, body) in refused {
        let mut req = post(&c, &url).bearer_auth("t").body(body.to_string());
        for t in *types {
            req = req.header("content-type", *t);
        }
        let (st, b) = json(req.send().await.unwrap()).await;
        assert_eq!((st, b["error"].as_str()), (400, Some("invalid_request")), "{types:?} {body}");
    }
    for query in ["[_method]=DELETE", "[access_token]=x", "a=1&access_token]=x"] {
        let r = c.get(format!("{url}?{query}")).bearer_auth("t").send().await.unwrap();
        assert_eq!(r.status(), 400, "{query}");
    }
    assert_eq!(f.count(), 0, "nothing reached Canvas");
    // JSON naming _method, and forms that do not, pass.
    let form = post(&c, &url).bearer_auth("t").header("content-type", "application/x-www-form-urlencoded");
    assert_eq!(form.body("title=x&x[_method]=y").send().await.unwrap().status(), 200);
    let js = post(&c, &url).bearer_auth("t").header("content-type", "application/json; charset=utf-8");
    assert_eq!(js.body(r#"{"_method":"DELETE"}"#).send().await.unwrap().status(), 200);
    assert_eq!(f.count(), 2);
}
