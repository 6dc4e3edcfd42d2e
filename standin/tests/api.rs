//! API endpoints (§6), DELETE /login/oauth2/token (§4), GET /login/session_token (§5), test hooks.
mod common;

use canvas_standin::{default_seed, Config};
use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn api_401s() {
    let s = start_default().await;
    // No token, no session.
    let r = request("GET", &s.url("/api/v1/users/self"), &[], None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"status": "unauthenticated", "errors": [{"message": "user authorization required"}]}));
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"canvas-lms\""));
    // Garbage token.
    let r = s.api("/api/v1/courses", "1~garbage").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"errors": [{"message": "Invalid access token."}]}));
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"canvas-lms\""));
    assert_eq!(r.header("access-control-allow-origin"), None, "Canvas sends no CORS");
    // Token in the access_token param works; a non-Bearer scheme is not a token.
    let t = s.tokens_for(WEB, WEB_SECRET).await;
    let at = t["access_token"].as_str().unwrap();
    let q = serde_urlencoded::to_string([("access_token", at)]).unwrap();
    assert_eq!(request("GET", &s.url(&format!("/api/v1/users/self?{q}")), &[], None).await.status, 200);
    let r = request("GET", &s.url("/api/v1/users/self"), &[("Authorization", &format!("Token {at}"))], None).await;
    assert_eq!(r.json()["errors"][0]["message"], "user authorization required");
    // Profile of self and of another user.
    let p = s.api("/api/v1/users/self/profile", at).await.json();
    assert_eq!((p["id"].as_u64(), p["login_id"].as_str()), (Some(1), Some("student@example.edu")));
    assert_eq!(s.api("/api/v1/users/1", at).await.status, 200);
    assert_ne!(s.api("/api/v1/users/2", at).await.status, 200);
}

#[tokio::test]
async fn scope_enforcement_for_require_scopes_keys() {
    let s = start_default().await;
    let code = s.mint_code(json!({"client_id": SCOPED, "user_id": 1, "scopes": ["url:GET|/api/v1/users/:id"]})).await;
    let r = s.token(&[("client_id", SCOPED), ("client_secret", SCOPED_SECRET), ("code", &code)]).await;
    let at = r.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(s.api("/api/v1/users/self", &at).await.status, 200);
    let r = s.api("/api/v1/courses", &at).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"errors": [{"message": "Insufficient scopes on access token."}]}));
    assert_eq!(r.header("www-authenticate"), None);
    // Keys without require_scopes ignore scopes.
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1, "scopes": ["url:GET|/api/v1/users/:id"]})).await;
    let r = s.token(&[("client_id", WEB), ("client_secret", WEB_SECRET), ("code", &code)]).await;
    assert_eq!(s.api("/api/v1/courses", r.json()["access_token"].as_str().unwrap()).await.status, 200);
}

#[tokio::test]
async fn hourly_expiry_looks_like_an_invalid_token_and_refresh_still_works() {
    let s = start(Config { access_token_ttl: Duration::from_millis(600), test_hooks: true, ..Config::default() }).await;
    let t = s.tokens_for(WEB, WEB_SECRET).await;
    assert_eq!(t["expires_in"], 1);
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(s.api("/api/v1/users/self", at).await.status, 200);
    tokio::time::sleep(Duration::from_millis(900)).await;
    let r = s.api("/api/v1/users/self", at).await;
    assert_eq!((r.status, r.json()), (401, json!({"errors": [{"message": "Invalid access token."}]})));
    // Revoking an expired token fails (401, not the API body); refresh first.
    let bearer = format!("Bearer {at}");
    let r = request("DELETE", &s.url("/login/oauth2/token"), &[("Authorization", &bearer)], None).await;
    assert_eq!(r.status, 401);
    let r = request(
        "DELETE",
        &s.url("/login/oauth2/token"),
        &[("Authorization", &bearer), ("Accept", "application/json")],
        None,
    )
    .await;
    assert_eq!((r.status, r.json()["errors"]["base"].as_str()), (401, Some("Invalid access token.")));
    let r = s
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(r.status, 200);
    let at2 = r.json()["access_token"].as_str().unwrap().to_string();
    let r =
        request("DELETE", &s.url("/login/oauth2/token"), &[("Authorization", &format!("Bearer {at2}"))], None).await;
    assert_eq!((r.status, r.json()), (200, json!({})));
}

#[tokio::test]
async fn courses_pagination_with_canvas_link_headers() {
    let s = start_default().await;
    let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
    let base = format!("{}/api/v1/courses", s.base);
    let r = s.api("/api/v1/courses", &at).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json().as_array().unwrap().len(), 10);
    assert_eq!(
        r.header("link").unwrap(),
        format!("<{base}?page=1&per_page=10>; rel=\"current\",<{base}?page=2&per_page=10>; rel=\"next\",<{base}?page=1&per_page=10>; rel=\"first\",<{base}?page=2&per_page=10>; rel=\"last\"")
    );
    let r = s.api("/api/v1/courses?page=2", &at).await;
    let items = r.json();
    assert_eq!(items.as_array().unwrap().len(), 2);
    assert_eq!(items[0]["id"], 111);
    assert_eq!(
        r.header("link").unwrap(),
        format!("<{base}?page=2&per_page=10>; rel=\"current\",<{base}?page=1&per_page=10>; rel=\"prev\",<{base}?page=1&per_page=10>; rel=\"first\",<{base}?page=2&per_page=10>; rel=\"last\"")
    );
    // per_page is capped at 100; other params are kept.
    let r = s.api("/api/v1/courses?per_page=500&include[]=term", &at).await;
    assert_eq!(r.json().as_array().unwrap().len(), 12);
    let link = r.header("link").unwrap();
    assert!(link.starts_with(&format!("<{base}?include%5B%5D=term&page=1&per_page=100>; rel=\"current\"")), "{link}");
    let r = s.api("/api/v1/courses?per_page=5&page=3", &at).await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    assert!(r.header("link").unwrap().contains(&format!("<{base}?page=3&per_page=5>; rel=\"last\"")));
    // public_url sets the absolute base.
    let p =
        start(Config { public_url: Some("https://canvas.example.edu".into()), test_hooks: true, ..Config::default() })
            .await;
    let at = p.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
    assert!(p
        .api("/api/v1/courses", &at)
        .await
        .header("link")
        .unwrap()
        .starts_with("<https://canvas.example.edu/api/v1/courses?page=1"));
}

#[tokio::test]
async fn delete_token_cases() {
    let mut s = start_default().await;
    let url = s.url("/login/oauth2/token");
    let r = request("DELETE", &url, &[], None).await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"message": "can't delete OAuth access token when not using an OAuth access token"}))
    );
    // expire_sessions with only a cookie: logs the web session out, then 400.
    s.login("student@example.edu").await;
    assert!(s.browse("/").await.text().contains("Sam Student"));
    let cookie = s.cookie.clone().unwrap();
    let r = request("DELETE", &format!("{url}?expire_sessions=0"), &[("Cookie", &cookie)], None).await;
    assert_eq!(r.status, 400);
    assert!(!s.browse("/").await.text().contains("Sam Student"));
    // access_token param works for DELETE; then the token reads as revoked.
    let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
    let q = serde_urlencoded::to_string([("access_token", at.as_str())]).unwrap();
    let r = request("DELETE", &format!("{url}?{q}"), &[], None).await;
    assert_eq!((r.status, r.json()), (200, json!({})));
    assert_eq!(s.api("/api/v1/users/self", &at).await.json()["errors"][0]["message"], "Revoked access token.");
}

#[tokio::test]
async fn session_token_urls_log_the_browser_in_within_30s() {
    let mut s = start_default().await;
    let url = s.url("/login/session_token");
    // No token: JSON 401; cookie-session user: 403.
    let r = request("GET", &url, &[("Accept", "application/json")], None).await;
    assert_eq!(
        (r.status, r.json()),
        (401, json!({"status": "unauthenticated", "errors": [{"message": "user authorization required"}]}))
    );
    let mut b = start_default().await;
    b.login("student@example.edu").await;
    let r = request(
        "GET",
        &b.url("/login/session_token"),
        &[("Accept", "application/json"), ("Cookie", b.cookie.as_deref().unwrap())],
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.json()),
        (403, json!({"status": "unauthorized", "errors": [{"message": "user not authorized to perform that action"}]}))
    );
    // With a token.
    let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {at}");
    let h = [("Authorization", bearer.as_str()), ("Accept", "application/json")];
    let r = request("GET", &format!("{url}?return_to=http%3A%2F%2F%5Bbad"), &h, None).await;
    assert_eq!((r.status, r.json()), (400, json!({"error": "Invalid redirect URL"})));
    let r = request("GET", &format!("{url}?return_to=http%3A%2F%2Fevil.example%2F"), &h, None).await;
    assert_eq!(r.status, 403);
    // Default return_to is the root; a different port on the same host is fine; query gets `&`.
    let r = request("GET", &url, &h, None).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["requires_terms_acceptance"], false);
    assert!(v["session_url"].as_str().unwrap().starts_with(&format!("{}/?session_token=", s.base)));
    let r = request("GET", &format!("{url}?return_to=http%3A%2F%2F127.0.0.1%3A1%2Fx%3Fy%3D1"), &h, None).await;
    assert!(r.json()["session_url"].as_str().unwrap().starts_with("http://127.0.0.1:1/x?y=1&session_token="));
    // Referer fallback.
    let referer = format!("{}/courses", s.base);
    let r = request("GET", &url, &[("Authorization", bearer.as_str()), ("Referer", referer.as_str())], None).await;
    assert!(r.json()["session_url"].as_str().unwrap().starts_with(&format!("{referer}?session_token=")));
    // Opening the URL logs a fresh browser in.
    let session_url = request("GET", &format!("{url}?return_to=%2F"), &h, None).await;
    assert_eq!(session_url.status, 403, "a relative return_to is refused");
    let session_url = request("GET", &url, &h, None).await.json()["session_url"].as_str().unwrap().to_string();
    s.cookie = None;
    let r = s.browse(&session_url).await;
    assert_eq!(r.status, 302);
    assert_eq!(r.location(), "/");
    assert!(s.browse("/").await.text().contains("Sam Student"));
    // Only within 30 s.
    let late = request("GET", &url, &h, None).await.json()["session_url"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_secs(31)).await;
    s.cookie = None;
    let r = s.browse(&late).await;
    assert_eq!(r.status, 200);
    assert!(!r.text().contains("Sam Student"));
    assert!(s.cookie.is_none());
}

#[tokio::test]
async fn test_hooks_cors_and_stats() {
    let s = start_default().await;
    let r = request(
        "OPTIONS",
        &s.url("/__test/code"),
        &[("Origin", "http://localhost:8080"), ("Access-Control-Request-Method", "POST")],
        None,
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(r.header("access-control-allow-headers").unwrap().contains("content-type"));
    let t = s.tokens_for(WEB, WEB_SECRET).await;
    s.api("/api/v1/users/self", t["access_token"].as_str().unwrap()).await;
    s.token(&[
        ("grant_type", "refresh_token"),
        ("client_id", WEB),
        ("client_secret", WEB_SECRET),
        ("refresh_token", t["refresh_token"].as_str().unwrap()),
    ])
    .await;
    request("DELETE", &s.url("/login/oauth2/token"), &[], None).await;
    let r = request("GET", &s.url("/__test/stats"), &[], None).await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.json(),
        json!({"token_requests": 2, "refresh_requests": 1, "revoke_requests": 1, "api_requests": 1, "api_peak_in_flight": 1})
    );
    // Real endpoints carry no CORS.
    let r = s.token(&[]).await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    // Without test_hooks the hooks do not exist.
    let plain = start(Config { seed: default_seed(), ..Config::default() }).await;
    assert_eq!(request("GET", &plain.url("/__test/stats"), &[], None).await.status, 404);
}
