//! POST /login/oauth2/token (§3) over real HTTP.
mod common;

use base64::Engine;
use canvas_standin::{default_seed, Behaviour, ClientType, Config};
use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn unsupported_grant_type_comes_before_client_auth() {
    let s = start_default().await;
    for gt in [None, Some("password"), Some("urn:ietf:params:oauth:grant-type:jwt-bearer"), Some("")] {
        let mut p = vec![("client_id", "nope"), ("client_secret", "bad")];
        if let Some(g) = gt {
            p.push(("grant_type", g));
        }
        let r = s.token(&p).await;
        assert_oauth_error(
            &r,
            400,
            "unsupported_grant_type",
            "The grant_type you requested is not currently supported",
        );
    }
}

#[tokio::test]
async fn unknown_and_invalid_client() {
    let mut seed = default_seed();
    seed.developer_keys[2].active = false; // the trusted key
    let s = start(Config { seed, test_hooks: true, ..Config::default() }).await;
    for id in ["abc", "99999999999999999999", "-1", "12345", TRUSTED, ""] {
        let r = s
            .token(&[("grant_type", "authorization_code"), ("client_id", id), ("client_secret", "x"), ("code", "c")])
            .await;
        assert_oauth_error(&r, 401, "invalid_client", "unknown client");
    }
    let r = s
        .token(&[("grant_type", "authorization_code"), ("client_id", WEB), ("client_secret", "wrong"), ("code", "c")])
        .await;
    assert_oauth_error(&r, 401, "invalid_client", "invalid client");
    let r = s.token(&[("grant_type", "authorization_code"), ("client_id", WEB), ("code", "c")]).await;
    assert_oauth_error(&r, 401, "invalid_client", "invalid client");
    // Public key without a secret on the plain (non-PKCE) path.
    let r = s.token(&[("grant_type", "authorization_code"), ("client_id", PUBLIC), ("code", "c")]).await;
    assert_oauth_error(&r, 401, "invalid_client", "invalid client");
}

#[tokio::test]
async fn code_errors_and_single_use() {
    let s = start_default().await;
    let base = [("grant_type", "authorization_code"), ("client_id", WEB), ("client_secret", WEB_SECRET)];
    let r = s.token(&base).await;
    assert_oauth_error(
        &r,
        400,
        "invalid_request",
        "You must provide the code parameter when using the authorization_code grant type",
    );
    let mut p = base.to_vec();
    p.push(("code", ""));
    assert_oauth_error(&s.token(&p).await, 400, "invalid_grant", "authorization_code not found");
    let mut p = base.to_vec();
    p.push(("code", "deadbeef"));
    assert_oauth_error(&s.token(&p).await, 400, "invalid_grant", "authorization_code not found");

    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1})).await;
    // Failures do not burn the code: wrong secret, then another client.
    let r = s
        .token(&[("grant_type", "authorization_code"), ("client_id", WEB), ("client_secret", "nope"), ("code", &code)])
        .await;
    assert_eq!(r.status, 401);
    let r = s
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", TRUSTED),
            ("client_secret", "standin-secret-trusted"),
            ("code", &code),
        ])
        .await;
    assert_oauth_error(&r, 400, "invalid_grant", "incorrect client");
    // redirect_uri is not checked at the token endpoint.
    let mut p = base.to_vec();
    p.push(("code", &code));
    p.push(("redirect_uri", "https://evil.example/elsewhere"));
    let r = s.token(&p).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    let v = r.json();
    assert_eq!(keys_of(&v), ["access_token", "canvas_region", "expires_in", "refresh_token", "token_type", "user"]);
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    assert_eq!(v["canvas_region"], "unknown");
    assert_eq!(v["user"]["id"], 1);
    assert_eq!(v["user"]["name"], "Sam Student");
    assert!(v["user"]["global_id"].is_string());
    assert_eq!(v["user"]["effective_locale"], "en");
    assert_eq!(v["user"]["fake_student"], false);
    // Single use.
    assert_oauth_error(&s.token(&p).await, 400, "invalid_grant", "authorization_code not found");
}

#[tokio::test]
async fn code_expires_after_code_ttl() {
    let s = start(Config { code_ttl: Duration::from_millis(400), test_hooks: true, ..Config::default() }).await;
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1})).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let r = s.exchange_web_code(&code).await;
    assert_oauth_error(&r, 400, "invalid_grant", "authorization_code not found");
}

#[tokio::test]
async fn client_auth_sources_basic_json_query() {
    let s = start_default().await;
    let basic =
        |u: &str, p: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}")));
    let url = s.url("/login/oauth2/token");
    // Basic only, code in the body, grant_type defaulted from code.
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1})).await;
    let r = request(
        "POST",
        &url,
        &[("Authorization", &basic(WEB, WEB_SECRET))],
        Some(("application/x-www-form-urlencoded", form(&[("code", &code)]))),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Body wins over Basic for each field: body client_id+secret right, Basic wrong.
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1})).await;
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("client_id", WEB),
        ("client_secret", WEB_SECRET),
        ("code", &code),
    ]);
    let r = request(
        "POST",
        &url,
        &[("Authorization", &basic("999", "wrong"))],
        Some(("application/x-www-form-urlencoded", body)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Field by field: client_id from the body, secret from Basic.
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1})).await;
    let body = form(&[("client_id", WEB), ("code", &code)]);
    let r = request(
        "POST",
        &url,
        &[("Authorization", &basic("999", WEB_SECRET))],
        Some(("application/x-www-form-urlencoded", body)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Body secret wrong, Basic right: body wins, so it fails.
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1})).await;
    let body = form(&[("client_id", WEB), ("client_secret", "wrong"), ("code", &code)]);
    let r = request(
        "POST",
        &url,
        &[("Authorization", &basic(WEB, WEB_SECRET))],
        Some(("application/x-www-form-urlencoded", body)),
    )
    .await;
    assert_oauth_error(&r, 401, "invalid_client", "invalid client");
    // JSON body.
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1})).await;
    let body = json!({"grant_type": "authorization_code", "client_id": 10000000000001u64, "client_secret": WEB_SECRET, "code": code});
    let r = request("POST", &url, &[], Some(("application/json", body.to_string().into_bytes()))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Query string only.
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1})).await;
    let q = serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("client_id", WEB),
        ("client_secret", WEB_SECRET),
        ("code", &code),
    ])
    .unwrap();
    let r = request("POST", &format!("{url}?{q}"), &[], None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Body wins over the query string.
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1})).await;
    let r = request(
        "POST",
        &format!("{url}?client_secret=wrong"),
        &[],
        Some((
            "application/x-www-form-urlencoded",
            form(&[("client_id", WEB), ("client_secret", WEB_SECRET), ("code", &code)]),
        )),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn pkce_public_client() {
    let s = start_default().await;
    let verifier = "b1b6e5cc-0bd5-4a6e-9d30-4f1f7bd0f6a1"; // 36 chars: Canvas does not check length
    let body = json!({"client_id": PUBLIC, "user_id": 1, "code_challenge": challenge(verifier), "code_challenge_method": "S256"});
    let mint = || s.mint_code(body.clone());
    // Success without a secret.
    let code = mint().await;
    let r = s
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC),
            ("code", &code),
            ("code_verifier", verifier),
        ])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["refresh_token"].is_string());
    // Wrong verifier: invalid_grant, and the challenge is consumed.
    let code = mint().await;
    let r = s
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC),
            ("code", &code),
            ("code_verifier", "wrong"),
        ])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_grant");
    let r = s
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC),
            ("code", &code),
            ("code_verifier", verifier),
        ])
        .await;
    assert_eq!(r.json()["error"], "invalid_grant");
    // Missing code with a verifier: invalid_grant, not "code not supplied".
    let r = s.token(&[("grant_type", "authorization_code"), ("client_id", PUBLIC), ("code_verifier", verifier)]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_grant");
    // A confidential key cannot leave out the secret even with a verifier.
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1, "code_challenge": challenge(verifier), "code_challenge_method": "S256"})).await;
    let r = s
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", WEB),
            ("code", &code),
            ("code_verifier", verifier),
        ])
        .await;
    assert_oauth_error(&r, 401, "invalid_client", "invalid client");
    // plain is ignored at issue time: a verifier then fails, no verifier succeeds.
    let code = s
        .mint_code(
            json!({"client_id": WEB, "user_id": 1, "code_challenge": verifier, "code_challenge_method": "plain"}),
        )
        .await;
    let r = s
        .token(&[("client_id", WEB), ("client_secret", WEB_SECRET), ("code", &code), ("code_verifier", verifier)])
        .await;
    assert_eq!(r.json()["error"], "invalid_grant");
    let r = s.token(&[("client_id", WEB), ("client_secret", WEB_SECRET), ("code", &code)]).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn pkce_downgrade_up_vs_next() {
    let verifier = "0123456789abcdef0123456789abcdef0123456789abcdef";
    for (behaviour, expect_ok) in [(Behaviour::Up, true), (Behaviour::Next, false)] {
        let s = start(Config { behaviour, test_hooks: true, ..Config::default() }).await;
        let code = s.mint_code(json!({"client_id": WEB, "user_id": 1, "code_challenge": challenge(verifier), "code_challenge_method": "S256"})).await;
        let r = s.exchange_web_code(&code).await;
        if expect_ok {
            assert_eq!(r.status, 200, "UP allows the downgrade: {}", r.text());
        } else {
            assert_eq!(r.status, 400, "NEXT closes the downgrade: {}", r.text());
            assert_eq!(r.json()["error"], "invalid_grant");
        }
    }
}

#[tokio::test]
async fn key_settings_shape_the_response() {
    let mut seed = default_seed();
    let mut reuse = seed.developer_keys[0].clone();
    reuse.id = 10000000000009;
    reuse.auto_expire_tokens = false;
    reuse.force_token_reuse = true;
    reuse.client_type = ClientType::Confidential;
    seed.developer_keys.push(reuse);
    let s = start(Config { seed, test_hooks: true, ..Config::default() }).await;
    let first = s.tokens_for("10000000000009", WEB_SECRET).await;
    assert_eq!(keys_of(&first), ["access_token", "canvas_region", "refresh_token", "token_type", "user"]);
    // force_token_reuse: the same token row, regenerated, without a refresh_token.
    let second = s.tokens_for("10000000000009", WEB_SECRET).await;
    assert_eq!(keys_of(&second), ["access_token", "canvas_region", "token_type", "user"]);
    assert_ne!(first["access_token"], second["access_token"]);
    // userinfo scope: access_token null, no refresh token.
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1, "scopes": ["/auth/userinfo"]})).await;
    let r = s.token(&[("client_id", WEB), ("client_secret", WEB_SECRET), ("code", &code)]).await;
    let v = r.json();
    assert!(v["access_token"].is_null());
    assert!(v.get("refresh_token").is_none());
    // replace_tokens=1 destroys the user's other tokens for the key.
    let a = s.tokens_for(WEB, WEB_SECRET).await;
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1})).await;
    let r =
        s.token(&[("client_id", WEB), ("client_secret", WEB_SECRET), ("code", &code), ("replace_tokens", "1")]).await;
    assert_eq!(r.status, 200);
    let old = s.api("/api/v1/users/self", a["access_token"].as_str().unwrap()).await;
    assert_eq!(old.json()["errors"][0]["message"], "Revoked access token.");
}
