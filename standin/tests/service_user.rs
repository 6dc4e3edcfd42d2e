//! Service-user client_credentials (§3.5): a key set up with a service user gets tokens that act
//! as that user. The same in UP and NEXT.
mod common;

use canvas_standin::{default_seed, Behaviour, Config, User};
use common::*;
use serde_json::json;

const SVC: &str = "10000000000009";
const SVC_SECRET: &str = "standin-secret-service";
const INACTIVE: &str = "10000000000010";
const SCOPED_SVC: &str = "10000000000011";
const COURSES: &str = "url:GET|/api/v1/courses";

fn config(behaviour: Behaviour) -> Config {
    let mut seed = default_seed();
    let user = |id: u64, active: bool| User {
        id,
        login: format!("service-{id}@example.edu"),
        password: "unused".into(),
        name: format!("Service {id}"),
        locale: None,
        site_admin: false,
        can_create_tokens: true,
        email: None,
        can_become_users: false,
        active,
    };
    seed.users.extend([user(50, true), user(51, false)]);
    let key = |id: &str, service_user: u64| {
        let mut k = seed.developer_keys[0].clone();
        k.id = id.parse().unwrap();
        k.api_key = SVC_SECRET.into();
        k.authorized_flows = vec!["service_user_client_credentials".into()];
        k.service_user_id = Some(service_user);
        k
    };
    let mut scoped = key(SCOPED_SVC, 50);
    scoped.require_scopes = true;
    scoped.scopes = vec![COURSES.into()];
    let mut keys = vec![key(SVC, 50), key(INACTIVE, 51), scoped];
    // A key with the flow authorized but no service user is an ordinary symmetric key.
    let mut no_user = key("10000000000012", 50);
    no_user.service_user_id = None;
    keys.push(no_user);
    seed.developer_keys.extend(keys);
    Config { seed, behaviour, ..Config::default() }
}

async fn cc(s: &Standin, client_id: &str, secret: &str, scope: Option<&str>) -> Resp {
    let mut p = vec![("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)];
    if let Some(sc) = scope {
        p.push(("scope", sc));
    }
    s.token(&p).await
}

#[tokio::test]
async fn service_user_tokens_act_as_the_service_user() {
    for behaviour in [Behaviour::Up, Behaviour::Next] {
        let s = start(config(behaviour)).await;
        let r = cc(&s, SVC, SVC_SECRET, None).await;
        assert_eq!(r.status, 200, "{behaviour:?}: {}", r.text());
        let v = r.json();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["access_token", "expires_in", "token_type"], "no scope, no refresh_token, no user");
        assert_eq!((v["token_type"].clone(), v["expires_in"].clone()), (json!("Bearer"), json!(3600)));
        let at = v["access_token"].as_str().unwrap();
        let me = s.api("/api/v1/users/self", at).await;
        assert_eq!((me.status, me.json()["id"].clone()), (200, json!(50)));
        // HTTP Basic is ignored for client_credentials: the body must carry the secret.
        let basic = format!(
            "Basic {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{SVC}:{SVC_SECRET}"))
        );
        let r = request(
            "POST",
            &s.url("/login/oauth2/token"),
            &[("Authorization", &basic)],
            Some(("application/x-www-form-urlencoded", form(&[("grant_type", "client_credentials")]))),
        )
        .await;
        assert_oauth_error(&r, 401, "invalid_client", "unknown client");
    }
}

#[tokio::test]
async fn service_user_errors_in_canvas_order() {
    for behaviour in [Behaviour::Up, Behaviour::Next] {
        let s = start(config(behaviour)).await;
        assert_oauth_error(&cc(&s, "10000000000099", SVC_SECRET, None).await, 401, "invalid_client", "unknown client");
        assert_oauth_error(&cc(&s, INACTIVE, "wrong", None).await, 401, "invalid_client", "invalid client");
        // The inactive service user: exactly Canvas's spec answer.
        let r = cc(&s, INACTIVE, SVC_SECRET, None).await;
        assert_eq!(
            (r.status, r.json()),
            (400, json!({"error": "invalid_request", "error_description": "No active service"}))
        );
        // Scopes: optional unless required; any given must be the key's.
        let r = cc(&s, SVC, SVC_SECRET, Some("url:GET|/api/v1/nope")).await;
        assert_eq!((r.status, r.json()["error"].clone()), (400, json!("invalid_scope")));
        assert!(r.json()["error_description"].as_str().unwrap().ends_with("not granted: url:GET|/api/v1/nope"));
        let r = cc(&s, SCOPED_SVC, SVC_SECRET, None).await;
        assert_eq!((r.status, r.json()["error"].clone()), (400, json!("invalid_scope")));
        let r = cc(&s, SCOPED_SVC, SVC_SECRET, Some(COURSES)).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let at = r.json()["access_token"].as_str().unwrap().to_string();
        assert_eq!(s.api("/api/v1/courses", &at).await.status, 200);
        let r = s.api("/api/v1/users/self", &at).await;
        assert_eq!(r.json()["errors"][0]["message"], "Insufficient scopes on access token.");
        // Flow authorized but no service user: the ordinary symmetric path refuses the method.
        assert_oauth_error(
            &cc(&s, "10000000000012", SVC_SECRET, None).await,
            400,
            "invalid_request",
            "assertion method not supported for this grant_type",
        );
    }
}

#[tokio::test]
async fn an_inactive_user_cannot_log_in_and_their_grants_stop_working() {
    let mut seed = default_seed();
    seed.users[0].active = false;
    let mut s = start(Config { seed, test_hooks: true, ..Config::default() }).await;
    let r = s.login("student@example.edu").await;
    assert_eq!(r.status, 400, "the login form refuses them");
    assert!(!s.browse("/").await.text().contains("Sam Student"));
    // A grant made before (minted here) no longer works: API and refresh both refuse it.
    let v = s.tokens_for(WEB, WEB_SECRET).await;
    let at = v["access_token"].as_str().unwrap();
    assert_eq!(s.api("/api/v1/users/self", at).await.json()["errors"][0]["message"], "Invalid access token.");
    let r = s
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("refresh_token", v["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_oauth_error(&r, 400, "invalid_request", "refresh_token not found");
}
