//! Ending the browser's Canvas session: GET/DELETE /logout and `expire_sessions` on
//! DELETE /login/oauth2/token (§4). The same in UP and NEXT.
mod common;

use canvas_standin::{default_seed, Behaviour, Config};
use common::*;
use serde_json::json;

/// The `authenticity_token` hidden field of the /logout confirm page.
fn authenticity_token_of(html: &str) -> String {
    let marker = "name=\"authenticity_token\" value=\"";
    let i = html.find(marker).expect("authenticity_token field") + marker.len();
    html[i..].split('"').next().unwrap().to_string()
}

/// Is the browser still known to Canvas? A fresh authorization either goes on to consent
/// (logged in) or to the password page.
async fn asks_for_password(s: &mut Standin) -> bool {
    let r = s.browse(&auth_path(&[("client_id", WEB), ("redirect_uri", CALLBACK), ("response_type", "code")])).await;
    assert_eq!(r.status, 302, "{}", r.text());
    let to = r.location();
    assert!(to.ends_with("/login") || to.ends_with("/login/oauth2/confirm"), "{to}");
    to.ends_with("/login")
}

fn with_slo() -> Config {
    let mut seed = default_seed();
    seed.settings.login_slo_url = Some("https://idp.example.edu/slo".into());
    Config { seed, test_hooks: true, ..Config::default() }
}

async fn logout_form_post(s: &mut Standin, token: &str) -> Resp {
    s.browse_post("/logout", &[("_method", "delete"), ("authenticity_token", token)]).await
}

#[tokio::test]
async fn logout_confirm_page_then_delete_ends_the_web_session_only() {
    for behaviour in [Behaviour::Up, Behaviour::Next] {
        let mut s = start(Config { behaviour, test_hooks: true, ..Config::default() }).await;
        // Nobody logged in: the confirm page sends you to the login page.
        let r = s.browse("/logout").await;
        assert_eq!((r.status, r.location()), (302, s.url("/login")));
        s.login("student@example.edu").await;
        assert!(!asks_for_password(&mut s).await);
        let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
        let page = s.browse("/logout").await;
        assert_eq!(page.status, 200);
        assert!(page.header("content-type").unwrap().starts_with("text/html"));
        let html = page.text();
        assert!(html.contains("action=\"/logout\"") && html.contains("name=\"_method\" value=\"delete\""), "{html}");
        let token = authenticity_token_of(&html);
        // The button's request: POST with _method=delete and the token.
        let r = logout_form_post(&mut s, &token).await;
        assert_eq!((r.status, r.location()), (302, s.url("/login")), "{behaviour:?}");
        assert!(asks_for_password(&mut s).await, "{behaviour:?}: the browser is no longer known");
        assert!(!s.browse("/").await.text().contains("Sam Student"));
        // Ending the web session revokes no OAuth token.
        assert_eq!(s.api("/api/v1/users/self", &at).await.status, 200);
    }
}

#[tokio::test]
async fn logout_needs_the_authenticity_token_and_a_delete() {
    let mut s = start_default().await;
    s.login("student@example.edu").await;
    let cookie = s.cookie.clone().unwrap();
    // Before the confirm page there is no token in the session: refused.
    let r = request("DELETE", &s.url("/logout"), &[("Cookie", &cookie)], None).await;
    assert_eq!((r.status, r.text()), (422, "Invalid authenticity token".to_string()));
    let token = authenticity_token_of(&s.browse("/logout").await.text());
    // A wrong token or none: 422, still logged in.
    assert_eq!(logout_form_post(&mut s, "0123456789abcdef").await.status, 422);
    assert_eq!(s.browse_post("/logout", &[("_method", "delete")]).await.status, 422);
    // A plain POST is not routed (Canvas routes only GET and DELETE /logout).
    assert_eq!(s.browse_post("/logout", &[("authenticity_token", &token)]).await.status, 404);
    assert!(!asks_for_password(&mut s).await);
    // A real DELETE with the token as X-CSRF-Token, as Rails also accepts.
    let r = request("DELETE", &s.url("/logout"), &[("Cookie", &cookie), ("X-CSRF-Token", &token)], None).await;
    assert_eq!((r.status, r.location()), (302, s.url("/login")));
    assert!(asks_for_password(&mut s).await);
    // The old cookie now names no session: the same token is refused.
    let r = request("DELETE", &s.url("/logout"), &[("Cookie", &cookie), ("X-CSRF-Token", &token)], None).await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn logout_goes_to_the_single_logout_url_of_the_login_provider() {
    let mut s = start(with_slo()).await;
    s.login("student@example.edu").await;
    let token = authenticity_token_of(&s.browse("/logout").await.text());
    let r = logout_form_post(&mut s, &token).await;
    assert_eq!((r.status, r.location()), (302, "https://idp.example.edu/slo".to_string()));
    assert!(asks_for_password(&mut s).await);
}

/// DELETE /login/oauth2/token with a Bearer token and the browser's cookie.
async fn revoke(s: &Standin, at: &str, cookie: Option<&str>, expire: Option<&str>) -> Resp {
    let mut url = s.url("/login/oauth2/token");
    if let Some(v) = expire {
        url.push_str(&format!("?expire_sessions={v}"));
    }
    let auth = format!("Bearer {at}");
    let mut h = vec![("Authorization", auth.as_str())];
    if let Some(c) = cookie {
        h.push(("Cookie", c));
    }
    request("DELETE", &url, &h, None).await
}

/// Logs a browser in with its own cookie and returns that cookie.
async fn new_browser(s: &mut Standin) -> String {
    s.cookie = None;
    s.login("student@example.edu").await;
    s.cookie.clone().unwrap()
}

async fn asks_for_password_as(s: &mut Standin, cookie: &str) -> bool {
    s.cookie = Some(cookie.to_string());
    asks_for_password(s).await
}

#[tokio::test]
async fn expire_sessions_ends_the_web_session_of_the_request_that_carries_it() {
    for behaviour in [Behaviour::Up, Behaviour::Next] {
        let mut s = start(Config { behaviour, test_hooks: true, ..Config::default() }).await;
        let (a, b) = (new_browser(&mut s).await, new_browser(&mut s).await);
        // Without expire_sessions the browser session survives the revocation.
        let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
        let r = revoke(&s, &at, Some(&a), None).await;
        assert_eq!((r.status, r.json()), (200, json!({})));
        assert!(!asks_for_password_as(&mut s, &a).await);
        // With it (any value, even 0): this request's session ends, the other browser's does not.
        let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
        let r = revoke(&s, &at, Some(&a), Some("0")).await;
        assert_eq!((r.status, r.json()), (200, json!({})), "{behaviour:?}: no forward_url without SLO");
        assert!(asks_for_password_as(&mut s, &a).await, "{behaviour:?}");
        assert!(!asks_for_password_as(&mut s, &b).await, "{behaviour:?}: another browser keeps its session");
        assert_eq!(s.api("/api/v1/users/self", &at).await.json()["errors"][0]["message"], "Revoked access token.");
        // Server-side (a relay: Bearer only, no cookie): revoked, no session touched.
        let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
        let r = revoke(&s, &at, None, Some("1")).await;
        assert_eq!((r.status, r.json()), (200, json!({})));
        assert!(!asks_for_password_as(&mut s, &b).await);
        // A failed revocation (unknown token) still ended the session first.
        let r = revoke(&s, "not-a-token", Some(&b), Some("")).await;
        assert_eq!(r.status, 401);
        assert!(asks_for_password_as(&mut s, &b).await, "{behaviour:?}");
    }
}

#[tokio::test]
async fn expire_sessions_answers_the_forward_url_of_a_single_logout_provider() {
    let mut s = start(with_slo()).await;
    s.login("student@example.edu").await;
    let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
    let r = revoke(&s, &at, s.cookie.as_deref(), Some("true")).await;
    assert_eq!((r.status, r.json()), (200, json!({"forward_url": "https://idp.example.edu/slo"})));
    assert!(asks_for_password(&mut s).await);
    // No browser session in the request (the relay's case): no forward_url.
    s.login("student@example.edu").await;
    let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
    let r = revoke(&s, &at, None, Some("true")).await;
    assert_eq!((r.status, r.json()), (200, json!({})));
    // Without expire_sessions: no forward_url and the session stays.
    let at = s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string();
    let r = revoke(&s, &at, s.cookie.as_deref(), None).await;
    assert_eq!((r.status, r.json()), (200, json!({})));
    assert!(!asks_for_password(&mut s).await);
}
