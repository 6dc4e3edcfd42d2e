//! The relay's plumbing as the browser sees it: request ids, CORS details, which check answers
//! first when a request is wrong in several ways, and the sign-out's cookie clearing on refusals
//! made before the handler's own logic.

mod common;
use common::*;

fn is_hex16(v: &str) -> bool {
    v.len() == 16 && v.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn request_ids_are_the_relays_own() {
    let relay = start_relay(config("http://127.0.0.1:9", CLIENT_ID, SECRET)).await;
    let c = client();
    let mut ids = Vec::new();
    for req in [
        c.get(format!("{relay}/health")).header("x-request-id", "chosen-by-the-client"),
        c.get(format!("{relay}/nothing")),
        c.post(format!("{relay}/token")),
        c.request(reqwest::Method::OPTIONS, format!("{relay}/token")).header("origin", ORIGIN),
    ] {
        let r = req.send().await.unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
        assert!(is_hex16(&id), "{id}");
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "a fresh id per request");
}

#[tokio::test]
async fn preflight_and_cors_answer_headers() {
    let relay = start_relay(config("http://127.0.0.1:9", CLIENT_ID, SECRET)).await;
    let c = client();
    let pre = c
        .request(reqwest::Method::OPTIONS, format!("{relay}/refresh"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    let h = pre.headers();
    assert_eq!(h["access-control-allow-origin"], ORIGIN);
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert_eq!(h["access-control-allow-methods"], "POST");
    assert_eq!(h["access-control-allow-headers"], "authorization, content-type, accept, x-canvas-relay, if-none-match");
    assert_eq!(h["access-control-max-age"], "600");
    assert_eq!(h["vary"], "Origin");
    assert_eq!(h["cache-control"], "no-store");
    // A preflight without an Origin is refused; so is a preflight to an unknown path from nowhere.
    assert_eq!(c.request(reqwest::Method::OPTIONS, format!("{relay}/refresh")).send().await.unwrap().status(), 403);
    // A refusal for the missing X-Canvas-Relay still lets the browser read it.
    let r = c.post(format!("{relay}/refresh")).header("origin", ORIGIN).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(
        r.headers()["access-control-expose-headers"],
        "link, retry-after, x-rate-limit-remaining, x-request-cost, x-request-id"
    );
    assert_eq!(r.headers()["vary"], "Origin");
    // State-changing requests need the Origin and header on any path and any method the relay knows.
    for (method, path) in [("POST", "/nothing"), ("POST", "/health"), ("DELETE", "/token"), ("PUT", "/jwks.json")] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = c.request(m, format!("{relay}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 403, "{method} {path}");
        assert_eq!(r.headers()["vary"], "Origin", "{method} {path}");
    }
    // With them, the router decides: 404 and 405.
    assert_eq!(post(&c, &format!("{relay}/nothing")).send().await.unwrap().status(), 404);
    assert_eq!(post(&c, &format!("{relay}/health")).send().await.unwrap().status(), 405);
}

#[tokio::test]
async fn the_first_failed_check_answers() {
    let relay = start_relay(lti_config("http://127.0.0.1:9", Some(LTI_CALLER))).await;
    let c = client();
    let bad_body = |url: String| post(&c, &url).header("content-type", "application/json").body("{\"x\":1}");
    // Query before body, body before credentials.
    let (st, b) = json(bad_body(format!("{relay}/session-url?x=1")).send().await.unwrap()).await;
    assert_eq!((st, b["error_description"].as_str()), (400, Some("query parameters are not accepted on this route")));
    let (st, b) = json(bad_body(format!("{relay}/session-url")).send().await.unwrap()).await;
    assert_eq!((st, b["error"].as_str()), (400, Some("invalid_request")), "{b}");
    let (st, b) = json(bad_body(format!("{relay}/refresh")).send().await.unwrap()).await;
    assert_eq!((st, b["error"].as_str()), (400, Some("invalid_request")), "{b}");
    let (st, b) = json(post(&c, &format!("{relay}/session-url")).send().await.unwrap()).await;
    assert_eq!((st, b["error"].as_str()), (401, Some("invalid_token")), "{b}");
    // /lti/token: the caller token before the query and the body.
    let r = c.post(format!("{relay}/lti/token?x=1")).header("content-type", "application/json").body("{}");
    let (st, b) = json(r.send().await.unwrap()).await;
    assert_eq!((st, b["error"].as_str()), (401, Some("invalid_client")), "{b}");
    let r = c.post(format!("{relay}/lti/token?x=1")).bearer_auth(LTI_CALLER).body("{}");
    let (st, b) = json(r.send().await.unwrap()).await;
    assert_eq!((st, b["error_description"].as_str()), (400, Some("query parameters are not accepted on this route")));
}

#[tokio::test]
async fn sign_out_clears_the_cookie_when_the_request_itself_is_refused() {
    let relay = start_relay(config("http://127.0.0.1:9", CLIENT_ID, SECRET)).await;
    let c = client();
    let cleared = |r: &reqwest::Response| set_cookie(r).is_some_and(|s| s.starts_with("canvas_relay_rt=;"));
    for r in [
        post(&c, &format!("{relay}/revoke?x=1")),
        post(&c, &format!("{relay}/revoke")).header("content-type", "text/plain").body("{}"),
        post(&c, &format!("{relay}/revoke")).header("authorization", "Basic eDp5"),
        post(&c, &format!("{relay}/revoke")).bearer_auth("a").header("authorization", "Bearer b"),
    ] {
        let r = r.header("cookie", "canvas_relay_rt=v2.k1.AAAA").send().await.unwrap();
        assert!(cleared(&r), "{:?}", r.url());
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    // Refused before the route (no X-Canvas-Relay): the relay does not touch the cookie.
    let r = c.post(format!("{relay}/revoke")).header("origin", ORIGIN).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(set_cookie(&r).is_none());
}

#[tokio::test]
async fn the_token_deadline_covers_reading_the_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut cfg = config("http://127.0.0.1:9", CLIENT_ID, SECRET);
    cfg.session.token_deadline = std::time::Duration::from_millis(1000);
    cfg.body_timeout = std::time::Duration::from_secs(5);
    let relay = start_relay(cfg).await;
    let addr = relay.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // A body that never arrives: the whole request, body included, is bounded by the deadline.
    let head = format!(
        "POST /token HTTP/1.1\r\nhost: {addr}\r\norigin: {ORIGIN}\r\nx-canvas-relay: 1\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let (mut buf, mut chunk) = (Vec::new(), [0u8; 4096]);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(8), async {
        while let Ok(n @ 1..) = s.read(&mut chunk).await {
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    let took = started.elapsed();
    let answer = String::from_utf8_lossy(&buf);
    assert!(answer.starts_with("HTTP/1.1 504"), "{answer}");
    assert!(took < std::time::Duration::from_secs(4), "{took:?}: the body timeout answered, not the deadline");
}
