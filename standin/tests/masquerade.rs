//! Masquerading: an admin acting as a user in the browser gets grants whose token answer names
//! the admin as `real_user` (§3.3); API calls switch user with `as_user_id`. UP and NEXT alike.
mod common;

use canvas_standin::{Behaviour, Config};
use common::*;
use serde_json::{json, Value};

const ADMIN: &str = "admin@example.edu";

/// Approves a WEB authorization in the browser and exchanges the code.
async fn consent_and_exchange(s: &mut Standin) -> Value {
    let r = s.browse(&auth_path(&[("client_id", WEB), ("redirect_uri", CALLBACK), ("response_type", "code")])).await;
    assert_eq!(r.location(), s.url("/login/oauth2/confirm"));
    let page = s.browse("/login/oauth2/confirm").await.text();
    let r = s.browse_post("/login/oauth2/accept", &[("custom_csrf_token", &csrf_of(&page))]).await;
    let code = r.location_query()["code"].clone();
    let r = s.exchange_web_code(&code).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

async fn token_for_user(s: &Standin, user_id: u64) -> String {
    let code = s.mint_code(json!({"client_id": WEB, "user_id": user_id})).await;
    let r = s.exchange_web_code(&code).await;
    r.json()["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_grant_made_while_masquerading_names_the_real_user() {
    for behaviour in [Behaviour::Up, Behaviour::Next] {
        let mut s = start(Config { behaviour, test_hooks: true, ..Config::default() }).await;
        s.login(ADMIN).await;
        let plain = consent_and_exchange(&mut s).await;
        assert_eq!(plain["user"]["id"], 3);
        assert!(plain.get("real_user").is_none(), "no real_user without masquerading: {plain}");
        let r = s.browse_post("/users/1/masquerade", &[]).await;
        assert_eq!((r.status, r.location()), (302, s.url("/")));
        assert!(s.browse("/").await.text().contains("Sam Student"));
        // The consent page is for the masqueraded user.
        let v = consent_and_exchange(&mut s).await;
        assert_eq!(v["user"]["id"], 1, "{behaviour:?}: {v}");
        assert_eq!(v["real_user"], json!({"id": 3, "name": "Ada Admin", "global_id": "10000000000003"}));
        // The token acts as the masqueraded user.
        let at = v["access_token"].as_str().unwrap();
        assert_eq!(s.api("/api/v1/users/self", at).await.json()["id"], 1);
        // A refresh keeps real_user.
        let r = s
            .token(&[
                ("grant_type", "refresh_token"),
                ("client_id", WEB),
                ("client_secret", WEB_SECRET),
                ("refresh_token", v["refresh_token"].as_str().unwrap()),
            ])
            .await;
        assert_eq!(r.json()["real_user"]["id"], 3);
        // Stopping the masquerade: grants are the admin's again.
        let r =
            request("DELETE", &s.url("/users/1/masquerade"), &[("Cookie", s.cookie.as_deref().unwrap())], None).await;
        assert_eq!(r.status, 302);
        assert!(s.browse("/").await.text().contains("Ada Admin"));
        assert!(consent_and_exchange(&mut s).await.get("real_user").is_none());
    }
}

#[tokio::test]
async fn prompt_none_while_masquerading_is_silent_for_a_trusted_key() {
    let mut s = start_default().await;
    s.login(ADMIN).await;
    s.browse_post("/users/2/masquerade", &[]).await;
    let p =
        auth_path(&[("client_id", TRUSTED), ("redirect_uri", CALLBACK), ("response_type", "code"), ("prompt", "none")]);
    let code = s.browse(&p).await.location_query()["code"].clone();
    let r = s
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", TRUSTED),
            ("client_secret", "standin-secret-trusted"),
            ("code", &code),
        ])
        .await;
    let v = r.json();
    assert_eq!((v["user"]["id"].clone(), v["real_user"]["id"].clone()), (json!(2), json!(3)));
}

#[tokio::test]
async fn only_admins_masquerade_and_only_as_known_users() {
    let mut s = start_default().await;
    // Not logged in: to the login page.
    let r = s.browse_post("/users/1/masquerade", &[]).await;
    assert_eq!(r.location(), s.url("/login"));
    s.login("student@example.edu").await;
    let r = s.browse_post("/users/2/masquerade", &[]).await;
    assert_eq!(r.status, 401);
    assert!(s.browse("/").await.text().contains("Sam Student"));
    let mut a = start_default().await;
    a.login(ADMIN).await;
    assert_eq!(a.browse_post("/users/999/masquerade", &[]).await.status, 404);
    assert!(a.browse("/").await.text().contains("Ada Admin"));
}

#[tokio::test]
async fn a_session_url_of_a_masquerading_token_logs_in_the_admin_acting_as_the_user() {
    let mut s = start_default().await;
    let code = s.mint_code(json!({"client_id": WEB, "user_id": 1, "real_user_id": 3})).await;
    let r = s.exchange_web_code(&code).await;
    let v = r.json();
    assert_eq!((v["user"]["id"].clone(), v["real_user"]["id"].clone()), (json!(1), json!(3)));
    let at = v["access_token"].as_str().unwrap();
    let q = serde_urlencoded::to_string([("return_to", s.url("/"))]).unwrap();
    let r = request(
        "GET",
        &s.url(&format!("/login/session_token?{q}")),
        &[("Authorization", &format!("Bearer {at}"))],
        None,
    )
    .await;
    let session_url = r.json()["session_url"].as_str().unwrap().to_string();
    let r = s.browse(&session_url).await;
    assert_eq!(r.status, 302);
    assert!(s.browse("/").await.text().contains("Sam Student"));
    // The login is the admin's: stopping the masquerade shows them.
    let cookie = s.cookie.clone().unwrap();
    request("DELETE", &s.url("/users/1/masquerade"), &[("Cookie", &cookie)], None).await;
    assert!(s.browse("/").await.text().contains("Ada Admin"));
}

#[tokio::test]
async fn as_user_id_on_api_calls() {
    for behaviour in [Behaviour::Up, Behaviour::Next] {
        let s = start(Config { behaviour, test_hooks: true, ..Config::default() }).await;
        let admin = token_for_user(&s, 3).await;
        let student = token_for_user(&s, 1).await;
        assert_eq!(s.api("/api/v1/users/self?as_user_id=1", &admin).await.json()["id"], 1);
        assert_eq!(
            s.api("/api/v1/users/1/profile?as_user_id=1", &admin).await.json()["login_id"],
            "student@example.edu"
        );
        let courses = s.api("/api/v1/courses?as_user_id=2", &admin).await.json();
        assert_eq!(
            courses[0]["enrollments"][0],
            json!({"type": "teacher", "role": "TeacherEnrollment", "role_id": 4, "user_id": 2, "enrollment_state": "active", "limit_privileges_to_course_section": false})
        );
        // Naming yourself is allowed (no switch); an empty value is ignored.
        assert_eq!(s.api("/api/v1/users/self?as_user_id=3", &admin).await.json()["id"], 3);
        assert_eq!(s.api("/api/v1/users/self?as_user_id=", &student).await.json()["id"], 1);
        // Not allowed, unknown or malformed: 401 with Canvas's string `errors`.
        for (token, target) in [(&student, "2"), (&student, "3"), (&admin, "999"), (&admin, "sis_user_id:x")] {
            let r = s.api(&format!("/api/v1/users/self?as_user_id={target}"), token).await;
            assert_eq!((r.status, r.json()), (401, json!({"errors": "Invalid as_user_id"})), "{behaviour:?} {target}");
        }
    }
}
