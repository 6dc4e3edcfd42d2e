//! Happy paths of every route, relay in front of the stand-in Canvas.

mod common;
use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn token_refresh_revoke_against_standin() {
    let s = standin().await;
    let relay = start_relay(config(&s.url(), CLIENT_ID, SECRET)).await;
    let c = client();
    let code = code(&s.url(), CLIENT_ID, 1).await;
    let resp = json_post(&c, &format!("{relay}/token"), json!({"code": code, "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert_eq!(resp.headers()["access-control-allow-origin"], ORIGIN);
    let sc = set_cookie(&resp).unwrap();
    // http://127.0.0.1 is loopback: no Secure, no prefix; HttpOnly, SameSite=Strict, Path=/.
    assert!(sc.starts_with("canvas_relay_rt=v2.k1."), "{sc}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/;"] {
        assert!(sc.contains(flag), "{sc}");
    }
    assert!(!sc.contains("Secure") && !sc.contains("Domain"), "{sc}");
    let cookie = cookie_pair(&resp).unwrap();
    let (_, body) = json(resp).await;
    assert!(body.get("refresh_token").is_none(), "R3: never in the body");
    let access = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["id"], 1);

    // API through the relay with that token.
    let me = c.get(format!("{relay}/api/v1/users/self")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(me.status(), 200);

    // Refresh: a new access token; the old one dies at Canvas.
    let resp = post(&c, &format!("{relay}/refresh")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    // Confidential refresh does not rotate the token, but the cookie is renewed (sliding, S2).
    let renewed = cookie_pair(&resp).expect("renewed cookie");
    assert!(renewed.starts_with("canvas_relay_rt=v2.k1.") && renewed != cookie, "{renewed}");
    let (_, body) = json(resp).await;
    let access2 = body["access_token"].as_str().unwrap().to_string();
    assert_ne!(access, access2);
    let old = c.get(format!("{relay}/api/v1/users/self")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(old.status(), 401, "Canvas's 401 passes through");

    // Revoke: cookie cleared, Canvas confirmed, then refresh says the grant is gone.
    let resp = json_post(&c, &format!("{relay}/revoke"), json!({})).bearer_auth(&access2).send().await.unwrap();
    assert!(set_cookie(&resp).unwrap().contains("Max-Age=0"));
    assert_eq!(json(resp).await, (200, json!({"revocation": "confirmed"})));
    let resp = post(&c, &format!("{relay}/refresh")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(set_cookie(&resp).unwrap().contains("Max-Age=0"), "grant gone → cookie cleared");
    let (_, body) = json(resp).await;
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn public_client_rotation_replaces_cookie() {
    let s = standin().await;
    let relay = start_relay(config(&s.url(), "10000000000002", "standin-secret-public")).await;
    let c = client();
    let code = code(&s.url(), "10000000000002", 2).await;
    let resp = json_post(&c, &format!("{relay}/token"), json!({"code": code, "code_verifier": VERIFIER}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cookie1 = cookie_pair(&resp).unwrap();
    let resp = post(&c, &format!("{relay}/refresh")).header("cookie", &cookie1).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let cookie2 = cookie_pair(&resp).expect("rotated refresh token → new cookie");
    assert_ne!(cookie1, cookie2);
    tokio::time::sleep(Duration::from_millis(2100)).await; // past the coalescing window
    let resp = post(&c, &format!("{relay}/refresh")).header("cookie", &cookie2).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let resp = post(&c, &format!("{relay}/refresh")).header("cookie", &cookie1).send().await.unwrap();
    assert_eq!(resp.status(), 401, "the rotated-out refresh token is dead");
}

#[tokio::test]
async fn concurrent_refreshes_coalesce_into_one_canvas_call() {
    let s = standin().await;
    let relay = start_relay(config(&s.url(), CLIENT_ID, SECRET)).await;
    let (_, cookie) = sign_in(&relay, &s.url()).await;
    let before = standin_stats(&s.url()).await["refresh_requests"].as_u64().unwrap();
    let c = client();
    let calls = (0..8).map(|_| post(&c, &format!("{relay}/refresh")).header("cookie", &cookie).send());
    let results = futures_util::future::join_all(calls).await;
    let mut tokens = Vec::new();
    for r in results {
        let r = r.unwrap();
        assert_eq!(r.status(), 200);
        let (_, b) = json(r).await;
        tokens.push(b["access_token"].as_str().unwrap().to_string());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "every caller gets the same answer");
    let after = standin_stats(&s.url()).await["refresh_requests"].as_u64().unwrap();
    assert_eq!(after - before, 1, "one Canvas call");
    // The token they share works.
    let me = c.get(format!("{relay}/api/v1/users/self")).bearer_auth(&tokens[0]).send().await.unwrap();
    assert_eq!(me.status(), 200);
}

#[tokio::test]
async fn revoke_an_expired_token_refreshes_first() {
    let s = standin_with(canvas_standin::Config {
        test_hooks: true,
        access_token_ttl: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let relay = start_relay(config(&s.url(), CLIENT_ID, SECRET)).await;
    let (access, cookie) = sign_in(&relay, &s.url()).await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let c = client();
    let expired = c.get(format!("{relay}/api/v1/users/self")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(expired.status(), 401);
    let before = standin_stats(&s.url()).await;
    let resp = json_post(&c, &format!("{relay}/revoke"), json!({"expire_sessions": true}))
        .bearer_auth(&access)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let after = standin_stats(&s.url()).await;
    assert_eq!(after["refresh_requests"].as_u64().unwrap() - before["refresh_requests"].as_u64().unwrap(), 1);
    assert_eq!(after["revoke_requests"].as_u64().unwrap() - before["revoke_requests"].as_u64().unwrap(), 2);
    // The grant is gone now.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let resp = post(&c, &format!("{relay}/refresh")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn cookie_only_revoke_kills_the_grant() {
    let s = standin().await;
    let relay = start_relay(config(&s.url(), CLIENT_ID, SECRET)).await;
    let (access, cookie) = sign_in(&relay, &s.url()).await;
    let c = client();
    let before = standin_stats(&s.url()).await;
    // No Bearer: the relay refreshes with the cookie, revokes that token, clears the cookie.
    let resp = json_post(&c, &format!("{relay}/revoke"), json!({})).header("cookie", &cookie).send().await.unwrap();
    assert!(set_cookie(&resp).unwrap().contains("Max-Age=0"));
    let (st, body) = json(resp).await;
    assert_eq!(st, 200, "{body}");
    let after = standin_stats(&s.url()).await;
    assert_eq!(after["refresh_requests"].as_u64().unwrap() - before["refresh_requests"].as_u64().unwrap(), 1);
    assert_eq!(after["revoke_requests"].as_u64().unwrap() - before["revoke_requests"].as_u64().unwrap(), 1);
    // The grant is dead at Canvas: the (replayed) cookie no longer refreshes, the old token is dead.
    let resp = post(&c, &format!("{relay}/refresh")).header("cookie", &cookie).send().await.unwrap();
    let (st, body) = json(resp).await;
    assert_eq!((st, body["error"].as_str()), (401, Some("invalid_grant")), "{body}");
    let me = c.get(format!("{relay}/api/v1/users/self")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(me.status(), 401);
}

#[tokio::test]
async fn session_url_and_proxy_link_rewriting() {
    let s = standin().await;
    let mut cfg = config(&s.url(), CLIENT_ID, SECRET);
    cfg.base_path = "/canvas-relay".into();
    let relay = start_relay(cfg).await;
    let (access, _) = {
        let code = code(&s.url(), CLIENT_ID, 1).await;
        let resp = json_post(&client(), &format!("{relay}/token"), json!({"code": code, "code_verifier": VERIFIER}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let sc = set_cookie(&resp).unwrap();
        assert!(sc.contains("Path=/canvas-relay;"), "cookie scoped to the relay path: {sc}");
        let (_, b) = json(resp).await;
        (b["access_token"].as_str().unwrap().to_string(), ())
    };
    let c = client();
    let resp = json_post(&c, &format!("{relay}/session-url"), json!({"return_to": format!("{}/courses", s.url())}))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 200, "{body}");
    let url = body["session_url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/courses?session_token=", s.url())), "{url}");
    assert_eq!(body.as_object().unwrap().len(), 1);

    let resp = c.get(format!("{relay}/api/v1/courses?per_page=1")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let link = resp.headers()["link"].to_str().unwrap().to_string();
    assert!(link.contains("</canvas-relay/api/v1/courses?page=2&per_page=1>; rel=\"next\""), "{link}");
    assert!(!link.contains(&s.url()), "no Canvas URLs left: {link}");
    assert!(resp.headers().get("set-cookie").is_none());
    assert_eq!(resp.headers()["cache-control"], "no-store");
    // Follow the rewritten link.
    let next = link.split('<').nth(1).unwrap().split('>').next().unwrap().to_string();
    let origin = relay.trim_end_matches("/canvas-relay");
    let page2 = c.get(format!("{origin}{next}")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(page2.status(), 200);
}

#[tokio::test]
async fn lti_token_and_jwks() {
    let s = standin().await;
    let relay = start_relay(lti_config(&s.url(), Some(LTI_CALLER))).await;
    let c = client();
    let resp = lti_post(&c, &relay, LTI_SCOPE).send().await.unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], LTI_SCOPE);
    assert!(body["access_token"].as_str().unwrap().split('.').count() == 3);
    let jwks: serde_json::Value = c.get(format!("{relay}/jwks.json")).send().await.unwrap().json().await.unwrap();
    let n = jwks["keys"][0]["n"].as_str().unwrap();
    assert_eq!(n, canvas_standin::seed::default_lti_public_jwk()["n"].as_str().unwrap());
}

#[tokio::test]
async fn health_openapi_and_static_files() {
    let s = standin().await;
    let dir = std::env::temp_dir().join(format!("relay-static-{}", std::process::id()));
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(pkg.join("lib.js"), "export {}").unwrap();
    let www = dir.join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "<h1>www</h1>").unwrap();
    let mut cfg = config(&s.url(), CLIENT_ID, SECRET);
    cfg.static_dir = Some(www.clone());
    cfg.static_mounts = vec![("/pkg".into(), pkg.clone())];
    let relay = start_relay(cfg).await;
    let c = client();
    let h = c.get(format!("{relay}/health")).send().await.unwrap();
    assert_eq!(h.status(), 200);
    let doc: serde_json::Value = c.get(format!("{relay}/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let index = c.get(format!("{relay}/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["cache-control"], "no-store");
    assert_eq!(index.text().await.unwrap(), "<h1>www</h1>");
    let js = c.get(format!("{relay}/pkg/lib.js")).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert_eq!(js.text().await.unwrap(), "export {}");
    assert_eq!(c.get(format!("{relay}/nope.txt")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn openapi_routes_match_the_router() {
    let s = standin().await;
    // With LTI fully configured and GraphQL allowed: /lti/token and /api/graphql are 404 otherwise.
    let mut config = lti_config(&s.url(), Some(LTI_CALLER));
    config.api_allow.push("POST:/api/graphql".parse().unwrap());
    let relay = start_relay(config).await;
    let doc: serde_json::Value = serde_json::from_str(canvas_oauth_relay::OPENAPI_JSON).unwrap();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|k| *k != "parameters") {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    // Every documented route answers (not the 404 fallback, not 405).
    let c = client();
    for (method, path) in &documented {
        let p = path.replace("{path}", "users/self");
        let req = c.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), format!("{relay}{p}"));
        let resp = req.header("origin", ORIGIN).header("x-canvas-relay", "1").send().await.unwrap();
        let st = resp.status().as_u16();
        let (_, body) = json(resp).await;
        assert!(st != 405 && body.get("error") != Some(&json!("not_found")), "{method} {path}: {st} {body}");
    }
    // And every router route is documented.
    for (method, path) in canvas_oauth_relay::ROUTES {
        let p = path.replace("{*path}", "{path}");
        let found = documented.iter().any(|(m, dp)| *dp == p && (*method == "ANY" || m == method));
        assert!(found, "{method} {path} is not in openapi.json");
    }
    for (m, p) in &documented {
        let rp = p.replace("{path}", "{*path}");
        assert!(
            canvas_oauth_relay::ROUTES.iter().any(|(rm, r)| *r == rp && (*rm == "ANY" || rm == m)),
            "{m} {p} not routed"
        );
    }
    // Paths not in either answer the 404 fallback.
    let resp = post(&c, &format!("{relay}/tokens")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}
