//! grant_type=refresh_token (§3.4) over real HTTP.
mod common;

use canvas_standin::{default_seed, Behaviour, Config};
use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn confidential_refresh_does_not_rotate() {
    let s = start_default().await;
    let t = s.tokens_for(WEB, WEB_SECRET).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let at0 = t["access_token"].as_str().unwrap();
    assert_eq!(s.api("/api/v1/users/self", at0).await.status, 200);
    let params =
        [("grant_type", "refresh_token"), ("client_id", WEB), ("client_secret", WEB_SECRET), ("refresh_token", rt)];
    let r1 = s.token(&params).await;
    assert_eq!(r1.status, 200, "{}", r1.text());
    let v1 = r1.json();
    assert_eq!(keys_of(&v1), ["access_token", "canvas_region", "expires_in", "token_type", "user"]);
    let at1 = v1["access_token"].as_str().unwrap();
    assert_ne!(at0, at1);
    let old = s.api("/api/v1/users/self", at0).await;
    assert_eq!(old.status, 401);
    assert_eq!(old.json()["errors"][0]["message"], "Invalid access token.");
    // The same refresh token works again.
    let r2 = s.token(&params).await;
    assert_eq!(r2.status, 200);
    assert_eq!(s.api("/api/v1/users/self", r2.json()["access_token"].as_str().unwrap()).await.status, 200);
}

#[tokio::test]
async fn refresh_errors_up_and_next() {
    for (behaviour, not_found_error) in [(Behaviour::Up, "invalid_request"), (Behaviour::Next, "invalid_grant")] {
        let s = start(Config { behaviour, test_hooks: true, ..Config::default() }).await;
        let r = s.token(&[("grant_type", "refresh_token"), ("client_id", WEB), ("client_secret", WEB_SECRET)]).await;
        assert_oauth_error(
            &r,
            400,
            "invalid_request",
            "You must provide the refresh_token parameter when using the refresh_token grant type",
        );
        let r = s
            .token(&[
                ("grant_type", "refresh_token"),
                ("client_id", WEB),
                ("client_secret", WEB_SECRET),
                ("refresh_token", "nope"),
            ])
            .await;
        assert_oauth_error(&r, 400, not_found_error, "refresh_token not found");
        let t = s.tokens_for(WEB, WEB_SECRET).await;
        let rt = t["refresh_token"].as_str().unwrap();
        // Client auth runs first.
        let r = s
            .token(&[
                ("grant_type", "refresh_token"),
                ("client_id", WEB),
                ("client_secret", "bad"),
                ("refresh_token", rt),
            ])
            .await;
        assert_oauth_error(&r, 401, "invalid_client", "invalid client");
        let r = s
            .token(&[
                ("grant_type", "refresh_token"),
                ("client_id", TRUSTED),
                ("client_secret", "standin-secret-trusted"),
                ("refresh_token", rt),
            ])
            .await;
        assert_oauth_error(&r, 400, "invalid_grant", "incorrect client");
        // Revoked: the refresh token dies too.
        let auth = format!("Bearer {}", t["access_token"].as_str().unwrap());
        let r = request("DELETE", &s.url("/login/oauth2/token"), &[("Authorization", &auth)], None).await;
        assert_eq!(r.status, 200);
        let r = s
            .token(&[
                ("grant_type", "refresh_token"),
                ("client_id", WEB),
                ("client_secret", WEB_SECRET),
                ("refresh_token", rt),
            ])
            .await;
        assert_oauth_error(&r, 400, not_found_error, "refresh_token not found");
    }
}

#[tokio::test]
async fn public_refresh_rotates_with_rolling_window() {
    let mut seed = default_seed();
    seed.settings.public_client_token_ttl_secs = 2;
    let s = start(Config { seed, test_hooks: true, ..Config::default() }).await;
    let v = "verifier-verifier-verifier-verifier-verifier";
    let code = s
        .mint_code(
            json!({"client_id": PUBLIC, "user_id": 1, "code_challenge": challenge(v), "code_challenge_method": "S256"}),
        )
        .await;
    let r = s
        .token(&[("grant_type", "authorization_code"), ("client_id", PUBLIC), ("code", &code), ("code_verifier", v)])
        .await;
    let t = r.json();
    let rt0 = t["refresh_token"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = s.token(&[("grant_type", "refresh_token"), ("client_id", PUBLIC), ("refresh_token", &rt0)]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v1 = r.json();
    let rt1 = v1["refresh_token"].as_str().expect("public refresh rotates").to_string();
    assert_ne!(rt0, rt1);
    // The old refresh token is dead at once.
    let r = s.token(&[("grant_type", "refresh_token"), ("client_id", PUBLIC), ("refresh_token", &rt0)]).await;
    assert_oauth_error(&r, 400, "invalid_request", "refresh_token not found");
    // Rolling: 1.2 s later (2.4 s after issue) the refreshed token still works.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let at1 = v1["access_token"].as_str().unwrap();
    assert_eq!(s.api("/api/v1/users/self", at1).await.status, 200);
    // After the window passes: "Expired access token." with expired_at; the refresh token is dead.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = s.api("/api/v1/users/self", at1).await;
    assert_eq!(r.status, 401);
    let body = r.json();
    assert_eq!(body["errors"][0]["message"], "Expired access token.");
    assert!(body["errors"][0]["expired_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"canvas-lms\""));
    let r = s.token(&[("grant_type", "refresh_token"), ("client_id", PUBLIC), ("refresh_token", &rt1)]).await;
    assert_oauth_error(&r, 400, "invalid_request", "refresh_token not found");
}
