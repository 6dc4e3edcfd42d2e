//! A negative test for each relay rule R1–R9 (docs/security.md). Where nothing should reach
//! Canvas, a counting fake Canvas proves that nothing did.

mod common;
use axum::response::IntoResponse;
use common::*;
use serde_json::json;
use std::time::Duration;

fn ok_token(_: &Seen) -> axum::response::Response {
    json_resp(200, token_body("at-1", Some("rt-1")))
}

async fn setup() -> (Fake, String) {
    let f = fake(ok_token).await;
    let relay = start_relay(config(&f.url, CLIENT_ID, SECRET)).await;
    (f, relay)
}

async fn cookie_from(relay: &str) -> String {
    let resp = json_post(&client(), &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    cookie_pair(&resp).unwrap()
}

#[tokio::test]
async fn r1_upstream_values_come_from_configuration_only() {
    let (f, relay) = setup().await;
    let c = client();
    let resp = json_post(&c, &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let seen = f.last();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str(), seen.query.as_deref()),
        ("POST", "/login/oauth2/token", None)
    );
    let form: std::collections::HashMap<String, String> = serde_urlencoded::from_str(&seen.body).unwrap();
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(form["client_secret"], SECRET);
    assert_eq!(form["redirect_uri"], REDIRECT);
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code_verifier"], VERIFIER);
    // The proxy cannot be pointed elsewhere: odd paths are refused before any call.
    let n = f.count();
    // A trailing slash is an empty segment, which the library refuses too (one rule, in core).
    for path in [
        "/api/v1/../login/oauth2/token",
        "/api/v1/%2e%2e/login",
        "/api/v1//evil.example/x",
        "/api/v1/a%2Fb",
        "/api/v1/users/self/",
    ] {
        let r = c.get(format!("{relay}{path}")).bearer_auth("t").send().await.unwrap();
        assert!(matches!(r.status().as_u16(), 400 | 403 | 404), "{path}: {}", r.status());
    }
    assert_eq!(f.count(), n, "nothing reached Canvas");
    // Redirects are never followed: a 302 becomes 502 and its target is not called.
    let target = fake(|_| json_resp(200, json!({}))).await;
    let loc = format!("{}/stolen", target.url);
    f.set(move |_| (axum::http::StatusCode::FOUND, [("location", loc.clone())]).into_response());
    let r = c.get(format!("{relay}/api/v1/users/self")).bearer_auth("t").send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(target.count(), 0);
}

#[tokio::test]
async fn r2_parameter_allow_lists() {
    let (f, relay) = setup().await;
    let c = client();
    let long = "a".repeat(129);
    let bodies = [
        json!({"code": "c", "code_verifier": VERIFIER, "client_secret": "x"}).to_string(),
        json!({"code": "c", "code_verifier": VERIFIER, "client_id": "1"}).to_string(),
        json!({"code": "c", "code_verifier": VERIFIER, "redirect_uri": "https://evil.example/"}).to_string(),
        json!({"code": "c", "code_verifier": VERIFIER, "replace_tokens": "1"}).to_string(),
        json!({"code": "c", "code_verifier": VERIFIER, "_method": "DELETE"}).to_string(),
        format!(r#"{{"code":"c","code":"d","code_verifier":"{VERIFIER}"}}"#),
        json!({"code": "c"}).to_string(),
        json!({"code": "c", "code_verifier": "short"}).to_string(),
        json!({"code": "c", "code_verifier": long}).to_string(),
        json!({"code": "c", "code_verifier": format!("{}+", &VERIFIER[..43])}).to_string(),
        json!({"code": "", "code_verifier": VERIFIER}).to_string(),
        json!({"code": "a b", "code_verifier": VERIFIER}).to_string(),
        json!(["c", VERIFIER]).to_string(),
        "code=c&code_verifier=x".to_string(),
        String::new(),
    ];
    for body in &bodies {
        let r = post(&c, &format!("{relay}/token"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let (st, b) = json(r).await;
        assert_eq!(st, 400, "{body}: {b}");
        assert_eq!(b["error"], "invalid_request", "{body}");
    }
    // Query parameters are refused too.
    let r = json_post(&c, &format!("{relay}/token?client_secret=x"), json!({"code": "c", "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = json_post(&c, &format!("{relay}/refresh"), json!({"refresh_token": "x"})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = json_post(&c, &format!("{relay}/revoke"), json!({"expire_sessions": true, "x": 1}))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c.get(format!("{relay}/api/v1/users/self?access_token=x")).bearer_auth("t").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(f.count(), 0, "nothing reached Canvas");
}

#[tokio::test]
async fn r3_cookie_is_sealed_bound_and_flagged() {
    let f = fake(ok_token).await;
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.public_url = Some("https://app.example.edu/".parse().unwrap());
    let relay = start_relay(cfg).await;
    let c = client();
    let resp = json_post(&c, &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    let sc = set_cookie(&resp).unwrap();
    assert!(sc.starts_with("__Host-canvas_relay_rt=v2.k1."), "{sc}");
    for flag in ["; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/;"] {
        assert!(sc.contains(flag), "{sc}");
    }
    assert!(!sc.contains("rt-1") && !sc.to_ascii_lowercase().contains("domain="), "{sc}");
    let (_, body) = json(resp).await;
    assert!(!body.to_string().contains("rt-1"), "no refresh token in the body");

    // Non-root base path over https: still __Host- with Path=/ (a __Secure- cookie on a sub-path
    // can be shadowed by a sibling subdomain's Domain= cookie with the same name and path).
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.public_url = Some("https://app.example.edu/relay".parse().unwrap());
    cfg.base_path = "/relay".into();
    let relay2 = start_relay(cfg).await;
    let resp = json_post(&c, &format!("{relay2}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    let sc = set_cookie(&resp).unwrap();
    assert!(
        sc.starts_with("__Host-canvas_relay_rt=v2.k1.") && sc.contains("; Path=/;") && sc.contains("; Secure"),
        "{sc}"
    );

    // Tampered, foreign and retired-key cookies are refused without calling Canvas.
    let (f, relay) = setup().await;
    let good = cookie_from(&relay).await;
    let n = f.count();
    let mut tampered = good.clone();
    tampered.pop();
    tampered.push(if good.ends_with('A') { 'B' } else { 'A' });
    let other = fake(ok_token).await;
    let other_relay = start_relay(config(&other.url, "10000000000002", SECRET)).await; // same key, other client_id
    let foreign = cookie_from(&other_relay).await;
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.cookie_keys = vec![key("k2", 2)];
    let retired_relay = start_relay(cfg).await;
    for (relay, cookie) in [(&relay, &tampered), (&relay, &foreign), (&retired_relay, &good)] {
        let r = post(&c, &format!("{relay}/refresh")).header("cookie", cookie).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(set_cookie(&r).unwrap().contains("Max-Age=0"));
        let (_, b) = json(r).await;
        assert_eq!(b["error"], "invalid_grant");
    }
    assert_eq!(f.count(), n, "nothing reached Canvas");
    let r = post(&c, &format!("{relay}/refresh")).send().await.unwrap();
    let (st, b) = json(r).await;
    assert_eq!((st, b["error"].as_str()), (401, Some("invalid_token")), "no cookie at all");

    // Rotation: new key first, old key still read; the cookie is re-sealed with the new key.
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.cookie_keys = vec![key("k2", 2), key("k1", 1)];
    let rotated = start_relay(cfg).await;
    let r = post(&c, &format!("{rotated}/refresh")).header("cookie", &good).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(set_cookie(&r).unwrap().starts_with("canvas_relay_rt=v2.k2."));
    let form: std::collections::HashMap<String, String> = serde_urlencoded::from_str(&f.last().body).unwrap();
    assert_eq!(form["refresh_token"], "rt-1");
}

#[tokio::test]
async fn r3_https_is_decided_by_configuration_not_the_host_header() {
    let f = fake(ok_token).await;
    let c = client();
    // Behind `proxy_pass http://127.0.0.1:PORT` without RELAY_PUBLIC_URL, listening on a public
    // address: the request's Host is loopback, the cookie must still be __Host- + Secure.
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.listen = "0.0.0.0:8080".parse().unwrap();
    cfg.base_path = "/canvas-relay".into();
    let relay = start_relay(cfg).await;
    let resp = json_post(&c, &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    let sc = set_cookie(&resp).unwrap();
    assert!(sc.starts_with("__Host-canvas_relay_rt=") && sc.contains("; Path=/;") && sc.contains("; Secure"), "{sc}");
    // Loopback listener, but an https origin is allowed: a deployment, so Secure too.
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.allowed_origins.push("https://app.example.edu".into());
    let relay = start_relay(cfg).await;
    let resp = json_post(&c, &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    assert!(set_cookie(&resp).unwrap().starts_with("__Host-canvas_relay_rt="));
    // RELAY_PUBLIC_URL wins over everything, whatever Host the request carries.
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.public_url = Some("https://relay.example.edu/".parse().unwrap());
    let relay = start_relay(cfg).await;
    let resp = json_post(&c, &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
        .header("host", "localhost")
        .send()
        .await
        .unwrap();
    assert!(set_cookie(&resp).unwrap().starts_with("__Host-canvas_relay_rt="));
    // Local development (loopback listener, http origins only): plain name, no Secure.
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.base_path = "/canvas-relay".into();
    let relay = start_relay(cfg).await;
    let resp = json_post(&c, &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
        .header("host", "app.example.edu")
        .send()
        .await
        .unwrap();
    let sc = set_cookie(&resp).unwrap();
    assert!(sc.starts_with("canvas_relay_rt=") && sc.contains("Path=/canvas-relay;") && !sc.contains("Secure"), "{sc}");
}

#[tokio::test]
async fn r3_several_session_cookies_are_no_session() {
    let (f, relay) = setup().await;
    let c = client();
    let mine = cookie_from(&relay).await;
    // A second cookie with our name, e.g. planted from a sibling subdomain, sealed by this same
    // relay for the attacker's own grant.
    let planted = cookie_from(&relay).await;
    let n = f.count();
    for header in [format!("{planted}; {mine}"), format!("{mine}; other=1; {planted}")] {
        let r = post(&c, &format!("{relay}/refresh")).header("cookie", &header).send().await.unwrap();
        assert!(set_cookie(&r).unwrap().contains("Max-Age=0"), "cleared");
        let (st, b) = json(r).await;
        assert_eq!((st, b["error"].as_str()), (401, Some("invalid_token")), "{b}");
    }
    // Also across several Cookie header lines.
    let r =
        post(&c, &format!("{relay}/refresh")).header("cookie", &planted).header("cookie", &mine).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(f.count(), n, "nothing reached Canvas");
    // One cookie still works.
    let r = post(&c, &format!("{relay}/refresh")).header("cookie", &mine).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn r4_origin_header_and_cors() {
    let (f, relay) = setup().await;
    let c = client();
    let url = format!("{relay}/token");
    let body = json!({"code": "c0de", "code_verifier": VERIFIER}).to_string();
    let cases = [
        c.post(&url).header("x-canvas-relay", "1"),
        c.post(&url).header("x-canvas-relay", "1").header("origin", "https://evil.example"),
        c.post(&url).header("x-canvas-relay", "1").header("origin", "null"),
        c.post(&url).header("origin", ORIGIN),
        c.post(&url).header("origin", ORIGIN).header("x-canvas-relay", "0"),
    ];
    for req in cases {
        let r = req.header("content-type", "application/json").body(body.clone()).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let (_, b) = json(r).await;
        assert_eq!(b["error"], "access_denied");
    }
    // A cross-site form post (no custom header possible) gets nowhere.
    let r = c
        .post(&url)
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("code=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert_eq!(f.count(), 0, "nothing reached Canvas");
    // CORS: an allow-listed origin is echoed exactly, with Vary: Origin; others get nothing.
    let pre = c
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert_eq!(pre.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(pre.headers()["vary"], "Origin");
    assert!(pre.headers()["access-control-allow-headers"].to_str().unwrap().contains("x-canvas-relay"));
    let pre = c.request(reqwest::Method::OPTIONS, &url).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(pre.status(), 403);
    assert!(pre.headers().get("access-control-allow-origin").is_none());
    // Only POST for exchange, refresh and revoke.
    for path in ["/token", "/refresh", "/revoke"] {
        let r = c.get(format!("{relay}{path}")).header("origin", ORIGIN).send().await.unwrap();
        assert_eq!(r.status(), 405, "{path}");
    }
    // State-changing API calls need the header too.
    let r = c.post(format!("{relay}/api/v1/courses")).header("origin", ORIGIN).bearer_auth("t").send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(f.count(), 0);
}

#[tokio::test]
async fn r5_upstream_errors_are_reduced_to_oauth_codes() {
    let (f, relay) = setup().await;
    let c = client();
    let cookie = cookie_from(&relay).await;
    type Answer = Box<dyn Fn(&Seen) -> axum::response::Response + Send + Sync>;
    let cases: Vec<(u16, &str, Answer)> = vec![
        (
            502,
            "server_error",
            Box::new(|_| {
                (
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "<html><body>Error rt-1 standin-secret-web</body></html>",
                )
                    .into_response()
            }),
        ),
        (
            502,
            "server_error",
            Box::new(|_| json_resp(401, json!({"error": "invalid_client", "error_description": "invalid client"}))),
        ),
        (502, "server_error", Box::new(|_| json_resp(400, json!({"error": "unsupported_grant_type"})))),
        (
            401,
            "invalid_grant",
            Box::new(|_| {
                json_resp(400, json!({"error": "invalid_request", "error_description": "refresh_token not found"}))
            }),
        ),
        (401, "invalid_grant", Box::new(|_| json_resp(400, json!({"error": "invalid_grant"})))),
        (401, "invalid_grant", Box::new(|_| json_resp(401, json!({"error": "invalid_grant"})))),
        (
            502,
            "server_error",
            Box::new(|_| json_resp(400, json!({"error": "invalid_request", "error_description": "something else"}))),
        ),
    ];
    for (want, error, behave) in cases {
        f.set(behave);
        tokio::time::sleep(Duration::from_millis(2100)).await; // no shared result from the last case
        let r = post(&c, &format!("{relay}/refresh")).header("cookie", &cookie).send().await.unwrap();
        let cleared = set_cookie(&r).is_some_and(|s| s.contains("Max-Age=0"));
        let text = r.headers().iter().map(|(k, v)| format!("{k}: {v:?}\n")).collect::<String>();
        let (st, b) = json(r).await;
        assert_eq!((st, b["error"].as_str().unwrap()), (want, error), "{b}");
        assert_eq!(cleared, error == "invalid_grant", "cookie cleared only when the grant is gone");
        let all = format!("{text}{b}");
        assert!(!all.contains("<html") && !all.contains("rt-1") && !all.contains(SECRET), "{all}");
    }
}

#[tokio::test]
async fn r6_limits() {
    let (f, relay) = setup().await;
    let c = client();
    // Body over 8 KiB → 413, nothing forwarded.
    let big = json!({"code": "c".repeat(9000), "code_verifier": VERIFIER});
    let r = json_post(&c, &format!("{relay}/token"), big).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(f.count(), 0);
    // Per-client rate limit → 429 + Retry-After.
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.rate_limit_per_minute = 3;
    let limited = start_relay(cfg).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = post(&c, &format!("{limited}/refresh")).send().await.unwrap();
        if r.status() == 429 {
            let ra: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!(ra >= 1);
            let (_, b) = json(r).await;
            assert_eq!(b["error"], "rate_limited");
            statuses.push(429);
        } else {
            statuses.push(r.status().as_u16());
        }
    }
    assert_eq!(statuses, vec![401, 401, 401, 429, 429]);
    // Every route counts, the health check included (S1).
    assert_eq!(c.get(format!("{limited}/health")).send().await.unwrap().status(), 429);
    // In-flight cap: with one slot held by a slow call, the next waits then gets 503.
    let slow = fake(|_| json_resp(200, token_body("at", Some("rt")))).await;
    slow.set_delay(Duration::from_millis(2600));
    let mut cfg = config(&slow.url, CLIENT_ID, SECRET);
    cfg.max_inflight = 1;
    cfg.upstream_timeout = Duration::from_secs(4);
    let capped = start_relay(cfg).await;
    let body = json!({"code": "c0de", "code_verifier": VERIFIER});
    let a = json_post(&c, &format!("{capped}/token"), body.clone()).send();
    let b = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        json_post(&c, &format!("{capped}/token"), body.clone()).send().await
    };
    let (a, b) = tokio::join!(a, b);
    assert_eq!(a.unwrap().status(), 200);
    let b = b.unwrap();
    assert_eq!(b.status(), 503);
    assert!(b.headers().contains_key("retry-after"));
    assert_eq!(slow.count(), 1);
}

#[tokio::test]
async fn r7_no_store_and_headers_stripped_both_ways() {
    let f = fake(|s| {
        if s.path.starts_with("/api/") {
            (
                axum::http::StatusCode::OK,
                [
                    ("content-type", "application/json"),
                    ("set-cookie", "_normandy_session=abc; path=/"),
                    ("x-rate-limit-remaining", "700.5"),
                    ("x-request-cost", "0.25"),
                    ("cache-control", "max-age=3600"),
                    ("keep-alive", "timeout=5"),
                    ("x-secret-internal", "1"),
                ],
                "{\"id\":1}",
            )
                .into_response()
        } else {
            json_resp(200, token_body("at", Some("rt")))
        }
    })
    .await;
    let relay = start_relay(config(&f.url, CLIENT_ID, SECRET)).await;
    let c = client();
    let r = c
        .get(format!("{relay}/api/v1/users/self"))
        .bearer_auth("tok")
        .header("cookie", "canvas_relay_rt=v1.k1.xyz; other=1")
        .header("x-forwarded-for", "1.2.3.4")
        .header("proxy-authorization", "Basic eA==")
        .header("te", "trailers")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert!(h.get("set-cookie").is_none());
    assert!(h.get("keep-alive").is_none() && h.get("x-secret-internal").is_none());
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["x-rate-limit-remaining"], "700.5");
    assert_eq!(h["x-request-cost"], "0.25");
    let seen = f.last();
    for name in ["cookie", "x-forwarded-for", "proxy-authorization", "te", "origin"] {
        assert!(seen.headers.get(name).is_none(), "{name} forwarded");
    }
    assert_eq!(seen.headers["authorization"], "Bearer tok");
    // Errors, preflights and 404s carry no-store too.
    for r in [
        c.get(format!("{relay}/nothing")).send().await.unwrap(),
        post(&c, &format!("{relay}/refresh")).send().await.unwrap(),
        c.get(format!("{relay}/health")).send().await.unwrap(),
    ] {
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
}

#[tokio::test]
async fn r8_lti_scopes_and_assertion() {
    let f = fake(|_| json_resp(200, json!({"access_token": "lti.at.x", "token_type": "Bearer", "expires_in": 3600, "scope": "https://purl.imsglobal.org/spec/lti-ags/scope/score"}))).await;
    let mut cfg = lti_config(&f.url, Some(LTI_CALLER));
    cfg.lti.as_mut().unwrap().scopes = vec![LTI_SCOPE.to_string()];
    let relay = start_relay(cfg).await;
    let c = client();
    for scope in [
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
        "",
        "https://purl.imsglobal.org/spec/lti-ags/scope/score https://x/y",
    ] {
        let r = lti_post(&c, &relay, scope).send().await.unwrap();
        let (st, b) = json(r).await;
        assert_eq!((st, b["error"].as_str()), (400, Some("invalid_scope")), "{scope}");
    }
    assert_eq!(f.count(), 0, "nothing reached Canvas");
    let r = lti_post(&c, &relay, LTI_SCOPE).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let form: std::collections::HashMap<String, String> = serde_urlencoded::from_str(&f.last().body).unwrap();
    assert_eq!(form["grant_type"], "client_credentials");
    assert!(!form.contains_key("client_secret"));
    let jwt = &form["client_assertion"];
    use base64::Engine as _;
    let dec = |s: &str| -> serde_json::Value {
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap()
    };
    let parts: Vec<&str> = jwt.split('.').collect();
    let (header, claims) = (dec(parts[0]), dec(parts[1]));
    assert_eq!(header["alg"], "RS256");
    assert!(header["kid"].is_string());
    assert_eq!(claims["iss"], "10000000000005");
    assert_eq!(claims["sub"], "10000000000005");
    assert_eq!(claims["aud"], format!("{}/login/oauth2/token", f.url));
    let (iat, exp) = (claims["iat"].as_u64().unwrap(), claims["exp"].as_u64().unwrap());
    assert!(exp > iat && exp - iat <= 300);
    // Without a key, the route exists but refuses, and the JWKS is empty.
    let (f2, relay2) = setup().await;
    let r = lti_post(&c, &relay2, LTI_SCOPE).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let jwks: serde_json::Value = c.get(format!("{relay2}/jwks.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks, json!({"keys": []}));
    assert_eq!(f2.count(), 0);
}

#[tokio::test]
async fn lti_token_requires_the_caller_token() {
    let f = fake(|_| {
        json_resp(
            200,
            json!({"access_token": "lti.at.x", "token_type": "Bearer", "expires_in": 3600, "scope": LTI_SCOPE}),
        )
    })
    .await;
    let relay = start_relay(lti_config(&f.url, Some(LTI_CALLER))).await;
    let c = client();
    let body = json!({"scope": LTI_SCOPE});
    let wrong_same_length: String = LTI_CALLER.chars().rev().collect();
    // What a browser (or anyone forging browser headers) can send, and wrong secrets.
    let cases = [
        json_post(&c, &format!("{relay}/lti/token"), body.clone()),
        json_post(&c, &format!("{relay}/lti/token"), body.clone()).bearer_auth("x"),
        json_post(&c, &format!("{relay}/lti/token"), body.clone()).bearer_auth(&wrong_same_length),
        json_post(&c, &format!("{relay}/lti/token"), body.clone()).bearer_auth(format!("{LTI_CALLER}x")),
        json_post(&c, &format!("{relay}/lti/token"), body.clone())
            .header("authorization", format!("Basic {LTI_CALLER}")),
        json_post(&c, &format!("{relay}/lti/token"), body.clone())
            .header("authorization", format!("bearer {LTI_CALLER}")),
        json_post(&c, &format!("{relay}/lti/token"), body.clone())
            .bearer_auth(LTI_CALLER)
            .header("authorization", format!("Bearer {LTI_CALLER}")),
    ];
    for req in cases {
        let (st, b) = json(req.send().await.unwrap()).await;
        assert_eq!((st, b["error"].as_str()), (401, Some("invalid_client")), "{b}");
        assert!(!b.to_string().contains(LTI_CALLER));
    }
    assert_eq!(f.count(), 0, "nothing reached Canvas");
    // The right token works from a server (no Origin, no X-Canvas-Relay).
    let r = lti_post(&c, &relay, LTI_SCOPE).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(f.count(), 1);
    // A page on a foreign origin is still refused before anything else.
    let r = lti_post(&c, &relay, LTI_SCOPE).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(r.status(), 403);
    // A key without LTI_CALLER_TOKEN: the route is closed, even with browser headers.
    let closed = start_relay(lti_config(&f.url, None)).await;
    let r = json_post(&c, &format!("{closed}/lti/token"), body.clone()).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = lti_post(&c, &closed, LTI_SCOPE).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(f.count(), 1, "nothing more reached Canvas");
}

#[tokio::test]
async fn bearer_routes_refuse_without_calling_canvas() {
    let (f, relay) = setup().await;
    let c = client();
    let r = json_post(&c, &format!("{relay}/session-url"), json!({})).send().await.unwrap();
    let (st, b) = json(r).await;
    assert_eq!((st, b["error"].as_str()), (401, Some("invalid_token")));
    for path in ["/revoke", "/session-url"] {
        let r = json_post(&c, &format!("{relay}{path}"), json!({}))
            .header("authorization", "Basic eDp5")
            .send()
            .await
            .unwrap();
        let (st, b) = json(r).await;
        assert_eq!((st, b["error"].as_str()), (401, Some("invalid_token")), "{path}");
    }
    for rt in ["https://evil.example/", "javascript:alert(1)", "/relative", &format!("{}@evil.example/", f.url)] {
        let r = json_post(&c, &format!("{relay}/session-url"), json!({"return_to": rt}))
            .bearer_auth("t")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{rt}");
    }
    let r = c.get(format!("{relay}/api/v1/users/self")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // Methods not allow-listed (config allows GET and POST).
    let r = c
        .delete(format!("{relay}/api/v1/users/self"))
        .header("origin", ORIGIN)
        .header("x-canvas-relay", "1")
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(f.count(), 0);
}

#[tokio::test]
async fn revoke_clears_the_cookie_on_every_outcome() {
    type Behave = Box<dyn Fn(&Seen) -> axum::response::Response + Send + Sync>;
    let on_delete = |answer: fn() -> axum::response::Response| -> Behave {
        Box::new(move |s: &Seen| if s.method == "DELETE" { answer() } else { ok_token(s) })
    };
    let pending = json!({"revocation": "pending"});
    // (case, Canvas, delay, status, body, DELETEs Canvas saw)
    let cases: Vec<(&str, Behave, u64, u16, serde_json::Value, usize)> = vec![
        (
            "500",
            on_delete(|| (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "<html>oops</html>").into_response()),
            0,
            202,
            pending.clone(),
            1,
        ),
        (
            "throttled",
            on_delete(|| (axum::http::StatusCode::FORBIDDEN, "403 Forbidden (Rate Limit Exceeded)").into_response()),
            0,
            202,
            pending.clone(),
            1,
        ),
        // 401 → refresh → 401 again.
        (
            "refused twice",
            on_delete(|| json_resp(401, json!({"errors": [{"message": "Invalid access token."}]}))),
            0,
            202,
            pending.clone(),
            2,
        ),
        // Past the 1.5 s upstream deadline.
        ("slow", on_delete(|| json_resp(200, json!({}))), 3, 202, pending.clone(), 1),
        ("confirmed", on_delete(|| json_resp(200, json!({}))), 0, 200, json!({"revocation": "confirmed"}), 1),
    ];
    let c = client();
    let cleared = |r: &reqwest::Response| {
        set_cookie(r).is_some_and(|s| s.contains("Max-Age=0") && s.starts_with("canvas_relay_rt=;"))
    };
    for (case, behave, delay, status, body, deletes) in cases {
        // A relay each: an unconfirmed sign-out denylists the refresh token. No background
        // retries, so Canvas sees only the sign-out itself.
        let f = fake(ok_token).await;
        let mut cfg = config(&f.url, CLIENT_ID, SECRET);
        cfg.session.revoke_retry_attempts = 0;
        let relay = start_relay(cfg).await;
        let cookie = cookie_from(&relay).await;
        f.set(behave);
        f.set_delay(Duration::from_secs(delay));
        let r = json_post(&c, &format!("{relay}/revoke"), json!({}))
            .bearer_auth("at-1")
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert!(cleared(&r), "{case}: {:?}", set_cookie(&r));
        assert_eq!(json(r).await, (status, body), "{case}");
        let seen = f.seen.lock().unwrap().iter().filter(|s| s.method == "DELETE").count();
        assert_eq!(seen, deletes, "{case}");
    }
    // A bad request body: refused, cookie still cleared.
    let (_f, relay) = setup().await;
    let cookie = cookie_from(&relay).await;
    let r =
        json_post(&c, &format!("{relay}/revoke"), json!({"nope": 1})).header("cookie", &cookie).send().await.unwrap();
    assert!(cleared(&r));
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn revoke_without_token_or_cookie_is_an_idempotent_sign_out() {
    let (f, relay) = setup().await;
    let c = client();
    for req in [
        post(&c, &format!("{relay}/revoke")),
        json_post(&c, &format!("{relay}/revoke"), json!({"expire_sessions": true})),
    ] {
        let r = req.send().await.unwrap();
        assert!(set_cookie(&r).unwrap().contains("Max-Age=0"));
        let (st, b) = json(r).await;
        assert_eq!((st, b), (200, json!({"revocation": "none"})));
    }
    // A cookie that does not open here: nothing to revoke either.
    let r = post(&c, &format!("{relay}/revoke")).header("cookie", "canvas_relay_rt=v1.k1.AAAA").send().await.unwrap();
    assert!(set_cookie(&r).unwrap().contains("Max-Age=0"));
    assert_eq!(json(r).await, (200, json!({"revocation": "none"})));
    assert_eq!(f.count(), 0, "nothing reached Canvas");
}

#[tokio::test]
async fn proxy_refuses_method_override_in_form_bodies() {
    let f = fake(|_| json_resp(200, json!({"id": 1}))).await;
    let relay = start_relay(config(&f.url, CLIENT_ID, SECRET)).await; // allows GET and POST only
    let c = client();
    let url = format!("{relay}/api/v1/courses/1/discussion_topics/2");
    let form = "application/x-www-form-urlencoded";
    let refused: &[(Option<&str>, &str)] = &[
        (Some(form), "_method=DELETE"),
        (Some("Application/X-WWW-Form-Urlencoded; charset=utf-8"), "title=x&_method=delete"),
        (Some(form), "%5Fmethod=DELETE"),
        (Some(form), "title=x;_method=DELETE"),
        (Some(form), "title=x& _method=DELETE"),
        (Some(form), "_method[]=DELETE"),
        (None, "_method=DELETE"), // Rack reads a POST without Content-Type as a form
        (
            Some("multipart/form-data; boundary=XX"),
            "--XX\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--XX--\r\n",
        ),
        (
            Some("multipart/form-data; boundary=XX"),
            "--XX\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nx\r\n--XX--\r\n",
        ),
    ];
    for (ct, body) in refused {
        let mut req = post(&c, &url).bearer_auth("t").body(body.to_string());
        if let Some(ct) = ct {
            req = req.header("content-type", *ct);
        }
        let (st, b) = json(req.send().await.unwrap()).await;
        assert_eq!((st, b["error"].as_str()), (400, Some("invalid_request")), "{ct:?} {body}");
    }
    let r = post(&c, &format!("{url}?a=1;_method=DELETE")).bearer_auth("t").send().await.unwrap();
    assert_eq!(r.status(), 400, "query with ; separator");
    assert_eq!(f.count(), 0, "nothing reached Canvas");
    // Ordinary form and JSON bodies pass (Rack does not read _method from JSON).
    let r = post(&c, &url)
        .bearer_auth("t")
        .header("content-type", form)
        .body("title=x&message=_method")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = post(&c, &url)
        .bearer_auth("t")
        .header("content-type", "application/json")
        .body(r#"{"title":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(f.count(), 2);
}

#[cfg(not(feature = "test-hooks"))]
#[tokio::test]
async fn test_hooks_absent_without_the_feature() {
    let (_f, relay) = setup().await;
    let c = client();
    assert_eq!(c.get(format!("{relay}/__test/stats")).send().await.unwrap().status(), 404);
    assert_eq!(post(&c, &format!("{relay}/__test/reset")).send().await.unwrap().status(), 404);
}

#[cfg(feature = "test-hooks")]
#[tokio::test]
async fn test_hooks_count_requests() {
    let (_f, relay) = setup().await;
    let c = client();
    cookie_from(&relay).await;
    let _ = post(&c, &format!("{relay}/refresh")).send().await.unwrap();
    let stats: serde_json::Value = c.get(format!("{relay}/__test/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["token"], 1);
    assert_eq!(stats["refresh"], 1);
    assert_eq!(stats["api"], 0);
    post(&c, &format!("{relay}/__test/reset")).send().await.unwrap();
    let stats: serde_json::Value = c.get(format!("{relay}/__test/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["token"], 0);
}

/// R9: the embedded cookie mode flags the cookie `SameSite=None; Partitioned` (still `__Host-`,
/// Secure, HttpOnly); `Sec-Fetch-Site` is checked per mode before anything reaches Canvas; and
/// `/cookie-check` says whether the cookie arrived without saying anything of it.
#[tokio::test]
async fn r9_embedded_cookie_mode_and_sec_fetch_site() {
    let f = fake(ok_token).await;
    let c = client();
    let mut cfg = config(&f.url, CLIENT_ID, SECRET);
    cfg.cookie_mode = canvas_oauth_relay::CookieMode::Embedded;
    cfg.public_url = Some("https://app.test:17300/".parse().unwrap());
    let relay = start_relay(cfg).await;
    let token = |site: Option<&str>| {
        let req = json_post(&c, &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}));
        match site {
            Some(site) => req.header("sec-fetch-site", site),
            None => req,
        }
    };
    for site in [None, Some("same-origin"), Some("same-site")] {
        let resp = token(site).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{site:?}");
        let sc = set_cookie(&resp).unwrap();
        assert!(sc.starts_with("__Host-canvas_relay_rt="), "{sc}");
        for flag in ["; HttpOnly", "; SameSite=None", "; Partitioned", "; Secure", "; Path=/"] {
            assert!(sc.contains(flag), "{flag} in {sc}");
        }
    }
    let calls = f.count();
    for site in ["cross-site", "none", "bogus"] {
        let resp = token(Some(site)).send().await.unwrap();
        assert_eq!(resp.status(), 403, "{site}");
        assert_eq!(json(resp).await.1["error"], "access_denied");
    }
    assert_eq!(f.count(), calls, "nothing reached Canvas");

    // /cookie-check: only whether one non-empty cookie came, never its value.
    let pair = cookie_from(&relay).await;
    let check = |cookie: Option<String>| {
        let req = json_post(&c, &format!("{relay}/cookie-check"), json!({}));
        match cookie {
            Some(cookie) => req.header("cookie", cookie),
            None => req,
        }
    };
    let (status, body) = json(check(Some(pair.clone())).send().await.unwrap()).await;
    assert_eq!((status, body), (200, json!({"received": true})));
    let (_, body) = json(check(None).send().await.unwrap()).await;
    assert_eq!(body, json!({"received": false}));
    let (_, body) = json(check(Some(format!("{pair}; {pair}"))).send().await.unwrap()).await;
    assert_eq!(body, json!({"received": false}), "several cookies are no session");
    let resp = c.post(format!("{relay}/cookie-check")).header("cookie", pair.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 403, "the CSRF checks apply");
    let resp = check(Some(pair)).header("sec-fetch-site", "cross-site").send().await.unwrap();
    assert_eq!(resp.status(), 403);

    // The strict mode lets a cross-site call through (its Strict cookie is not sent with it),
    // but never `none`.
    let relay = start_relay(config(&f.url, CLIENT_ID, SECRET)).await;
    let strict = |site: &str| {
        json_post(&c, &format!("{relay}/token"), json!({"code": "c0de", "code_verifier": VERIFIER}))
            .header("sec-fetch-site", site)
    };
    let resp = strict("cross-site").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(set_cookie(&resp).unwrap().contains("SameSite=Strict"));
    assert_eq!(strict("none").send().await.unwrap().status(), 403);
}
