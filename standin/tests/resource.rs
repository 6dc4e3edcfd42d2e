//! NEXT's RFC 8707 `resource` parameter (§7 item 21); UP ignores it.
mod common;

use canvas_standin::{default_seed, Behaviour, Config};
use common::*;
use serde_json::json;

const API: &str = "https://api.example.edu/";
const FILES: &str = "https://files.example.edu/";
const DESC: &str = "The requested resource is invalid, missing, unknown, or malformed.";

fn config(behaviour: Behaviour) -> Config {
    let mut seed = default_seed();
    seed.developer_keys[0].allowed_audiences = vec![API.into(), FILES.into()];
    Config { seed, behaviour, test_hooks: true, ..Config::default() }
}

fn auth_with(resource: &str) -> String {
    auth_path(&[
        ("client_id", WEB),
        ("redirect_uri", CALLBACK),
        ("response_type", "code"),
        ("state", "s1"),
        ("resource", resource),
    ])
}

async fn exchange(s: &Standin, code: &str, resource: Option<&str>) -> Resp {
    let mut p =
        vec![("grant_type", "authorization_code"), ("client_id", WEB), ("client_secret", WEB_SECRET), ("code", code)];
    if let Some(r) = resource {
        p.push(("resource", r));
    }
    s.token(&p).await
}

const BAD: [&str; 6] = [
    "not a uri",
    "",
    "ftp://api.example.edu/",
    "https://api.example.edu/#frag",
    "https://other.example.edu/",
    "/relative",
];

#[tokio::test]
async fn next_refuses_a_bad_resource_at_auth_with_a_redirect() {
    let mut s = start(config(Behaviour::Next)).await;
    for bad in BAD {
        let r = s.browse(&auth_with(bad)).await;
        assert_eq!(r.status, 302, "{bad:?}");
        assert!(r.location().starts_with(CALLBACK), "{bad:?}: {}", r.location());
        let q = r.location_query();
        assert_eq!(
            (q["error"].as_str(), q["error_description"].as_str(), q["state"].as_str()),
            ("invalid_target", DESC, "s1")
        );
    }
    // An allowed one goes on as usual (to the login page).
    let r = s.browse(&auth_with(API)).await;
    assert_eq!(r.location(), s.url("/login"));
}

#[tokio::test]
async fn up_ignores_resource() {
    let mut s = start(config(Behaviour::Up)).await;
    for bad in BAD {
        assert_eq!(s.browse(&auth_with(bad)).await.location(), s.url("/login"), "{bad:?}");
    }
    s.login("student@example.edu").await;
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1, "resource": API})).await;
    assert_eq!(exchange(&s, &code, Some("https://other.example.edu/")).await.status, 200);
}

#[tokio::test]
async fn next_token_resource_must_be_covered_by_the_grant() {
    let mut s = start(config(Behaviour::Next)).await;
    s.login("student@example.edu").await;
    // Through the browser: the code is for API.
    assert_eq!(s.browse(&auth_with(API)).await.location(), s.url("/login/oauth2/confirm"));
    let page = s.browse("/login/oauth2/confirm").await.text();
    let code = s.browse_post("/login/oauth2/accept", &[("custom_csrf_token", &csrf_of(&page))]).await.location_query()
        ["code"]
        .clone();
    for other in [FILES, "https://other.example.edu/", "nope"] {
        assert_oauth_error(&exchange(&s, &code, Some(other)).await, 400, "invalid_target", DESC);
    }
    // A refused exchange leaves the code usable.
    let r = exchange(&s, &code, Some(API)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let rt = r.json()["refresh_token"].as_str().unwrap().to_string();
    let refresh = |resource: &'static str| {
        let rt = rt.clone();
        let s = &s;
        async move {
            s.token(&[
                ("grant_type", "refresh_token"),
                ("client_id", WEB),
                ("client_secret", WEB_SECRET),
                ("refresh_token", &rt),
                ("resource", resource),
            ])
            .await
        }
    };
    assert_oauth_error(&refresh(FILES).await, 400, "invalid_target", DESC);
    assert_eq!(refresh(API).await.status, 200);
    // Leaving resource out of the token request is fine.
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1, "resource": API})).await;
    assert_eq!(exchange(&s, &code, None).await.status, 200);
    // A grant made without resource: any acceptable one, but still only acceptable ones.
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1})).await;
    assert_oauth_error(&exchange(&s, &code, Some("https://other.example.edu/")).await, 400, "invalid_target", DESC);
    assert_eq!(exchange(&s, &code, Some(FILES)).await.status, 200);
}
