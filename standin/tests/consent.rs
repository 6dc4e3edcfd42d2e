//! prompt, silent approval, confirm/accept/deny and PKCE at /auth (§2.4–§2.6) over real HTTP.
mod common;

use canvas_standin::{default_seed, Config};
use common::*;

const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

#[tokio::test]
async fn prompt_none_trusted_force_login_and_oob() {
    let mut s = start_default().await;
    s.login("student@example.edu").await;
    // Untrusted key, logged in: interaction_required; trusted: a code.
    let r = s
        .browse(&auth_path(&[
            ("client_id", WEB),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("prompt", "none"),
            ("state", "q"),
        ]))
        .await;
    let q = r.location_query();
    assert_eq!(q["error"], "interaction_required");
    assert_eq!(q["error_description"], "prompt=none but a token cannot be granted without user interaction");
    let r = s
        .browse(&auth_path(&[
            ("client_id", TRUSTED),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("prompt", "none"),
            ("state", "q"),
        ]))
        .await;
    let q = r.location_query();
    assert_eq!(q["code"].len(), 128);
    assert_eq!(q["state"], "q");
    // 8: logged in, trusted, no prompt: silent approval; untrusted: confirm.
    let r =
        s.browse(&auth_path(&[("client_id", TRUSTED), ("redirect_uri", CALLBACK), ("response_type", "code")])).await;
    assert!(r.location_query().contains_key("code"));
    let r = s.browse(&auth_path(&[("client_id", WEB), ("redirect_uri", CALLBACK), ("response_type", "code")])).await;
    assert_eq!(r.location(), format!("{}/login/oauth2/confirm", s.base));
    // force_login acts on presence, even 0.
    let r = s
        .browse(&auth_path(&[
            ("client_id", TRUSTED),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("force_login", "0"),
            ("canvas_login", "1"),
        ]))
        .await;
    assert_eq!(r.location(), format!("{}/login?canvas_login=1&force_login=0", s.base));
    // OOB: prompt=none never succeeds, and redirects go to Canvas's own /login/oauth2/auth.
    let r = s
        .browse(&auth_path(&[
            ("client_id", TRUSTED),
            ("redirect_uri", OOB),
            ("response_type", "code"),
            ("prompt", "none"),
        ]))
        .await;
    let loc = r.location();
    assert!(loc.starts_with(&format!("{}/login/oauth2/auth?error=interaction_required&", s.base)), "{loc}");
    let landing = s.browse(&loc).await;
    assert_eq!(landing.status, 200);
    // OOB through consent.
    let r = s.browse(&auth_path(&[("client_id", TRUSTED), ("redirect_uri", OOB), ("response_type", "code")])).await;
    assert_eq!(r.location(), format!("{}/login/oauth2/confirm", s.base));
    let csrf = csrf_of(&s.browse("/login/oauth2/confirm").await.text());
    let r = s.browse_post("/login/oauth2/accept", &[("custom_csrf_token", &csrf)]).await;
    assert!(r.location().starts_with(&format!("{}/login/oauth2/auth?code=", s.base)));
}

#[tokio::test]
async fn confirm_accept_deny_errors() {
    let mut seed = default_seed();
    seed.users[1].can_create_tokens = false;
    let mut s = start(Config { seed, ..Config::default() }).await;
    // confirm with no oauth session → /login.
    let r = s.browse("/login/oauth2/confirm").await;
    assert_eq!((r.status, r.location()), (302, format!("{}/login", s.base)));
    // accept/deny with no oauth session.
    let r = s.browse_post("/login/oauth2/accept", &[]).await;
    assert_eq!((r.status, r.text().as_str()), (400, "Invalid or missing session for oauth"));
    let r = s.browse_post("/login/oauth2/deny", &[]).await;
    assert_eq!((r.status, r.text().as_str()), (400, "Invalid or missing session for oauth"));
    // UP with oauth2_deny_post: GET deny is 405.
    let r = s.browse("/login/oauth2/deny").await;
    assert_eq!((r.status, r.text().as_str()), (405, "This endpoint requires a POST request"));
    // Session without a CSRF token yet (confirm not visited).
    s.login("student@example.edu").await;
    s.browse(&auth_path(&[("client_id", WEB), ("redirect_uri", CALLBACK), ("response_type", "code"), ("state", "st")]))
        .await;
    let r = s.browse_post("/login/oauth2/accept", &[("custom_csrf_token", "x")]).await;
    assert_eq!((r.status, r.text().as_str()), (400, "Missing custom CSRF token"));
    s.browse("/login/oauth2/confirm").await;
    let r = s.browse_post("/login/oauth2/accept", &[("custom_csrf_token", "0123")]).await;
    assert_eq!((r.status, r.text().as_str()), (400, "Invalid custom CSRF token"));
    // Deny: access_denied + state, no error_description.
    let r = s.browse_post("/login/oauth2/deny", &[]).await;
    assert_eq!(r.location(), "http://localhost:8080/callback?error=access_denied&state=st");
    // A user who may not create tokens: client_not_allowed_for_user (untrusted keys only).
    let mut t = start(Config { seed: s_seed(), ..Config::default() }).await;
    t.browse(&auth_path(&[("client_id", WEB), ("redirect_uri", CALLBACK), ("response_type", "code")])).await;
    t.login("teacher@example.edu").await;
    let r = t.browse("/login/oauth2/confirm").await;
    let q = r.location_query();
    assert_eq!(q["error"], "client_not_allowed_for_user");
    assert_eq!(
        q["error_description"],
        "The current user is logged in but does not have permission to authorize this application."
    );
    // Without the deny_post flag, GET deny works.
    let mut seed = default_seed();
    seed.settings.oauth2_deny_post = false;
    let mut u = start(Config { seed, ..Config::default() }).await;
    u.browse(&auth_path(&[("client_id", WEB), ("redirect_uri", CALLBACK), ("response_type", "code")])).await;
    let r = u.browse("/login/oauth2/deny").await;
    assert_eq!(r.location(), "http://localhost:8080/callback?error=access_denied");
}

fn s_seed() -> canvas_standin::Seed {
    let mut seed = default_seed();
    seed.users[1].can_create_tokens = false;
    seed
}

#[tokio::test]
async fn pkce_challenge_from_auth_is_stored_only_for_s256() {
    let mut s = start_default().await;
    s.login("student@example.edu").await;
    let verifier = "this-is-a-verifier-of-reasonable-length-1234567";
    use base64::Engine;
    use sha2::Digest;
    let ch = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let seed_trusted_public = |method: &'static str, ch: String| {
        auth_path(&[
            ("client_id", TRUSTED),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("code_challenge", &ch),
            ("code_challenge_method", method),
        ])
    };
    let p = seed_trusted_public("S256", ch.clone());
    let code = s.browse(&p).await.location_query()["code"].clone();
    let r = s
        .token(&[
            ("client_id", TRUSTED),
            ("client_secret", "standin-secret-trusted"),
            ("code", &code),
            ("code_verifier", verifier),
        ])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let p = seed_trusted_public("s256", ch.clone()); // case-sensitive: ignored
    let code = s.browse(&p).await.location_query()["code"].clone();
    let r = s
        .token(&[
            ("client_id", TRUSTED),
            ("client_secret", "standin-secret-trusted"),
            ("code", &code),
            ("code_verifier", verifier),
        ])
        .await;
    assert_eq!(r.json()["error"], "invalid_grant");
}
