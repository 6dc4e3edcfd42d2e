//! NEXT's `require_navigation_request` on /login/oauth2/auth and /login/oauth2/accept (§7 item 25).
mod common;

use canvas_standin::{Behaviour, Config};
use common::*;

fn auth() -> String {
    auth_path(&[("client_id", WEB), ("redirect_uri", CALLBACK), ("response_type", "code"), ("state", "x")])
}

async fn get_with_mode(s: &Standin, path: &str, mode: &str) -> Resp {
    let mut h = vec![("Sec-Fetch-Mode", mode)];
    if let Some(c) = s.cookie.as_deref() {
        h.push(("Cookie", c));
    }
    request("GET", &s.url(path), &h, None).await
}

#[tokio::test]
async fn next_refuses_non_navigation_requests_to_auth_and_accept() {
    let mut s = start(Config { behaviour: Behaviour::Next, ..Config::default() }).await;
    for mode in ["cors", "no-cors", "same-origin", "websocket"] {
        let r = get_with_mode(&s, &auth(), mode).await;
        assert_eq!((r.status, r.text()), (400, "This endpoint requires a navigation request".to_string()), "{mode}");
        assert!(r.header("content-type").unwrap().starts_with("text/plain"));
        assert!(r.header("location").is_none());
    }
    // Even an unknown client: the before_action runs first.
    let r = get_with_mode(&s, "/login/oauth2/auth?client_id=1", "cors").await;
    assert_eq!(r.status, 400);
    // A navigation, or no fetch metadata at all (a non-browser client), passes.
    assert_eq!(get_with_mode(&s, &auth(), "navigate").await.location(), s.url("/login"));
    assert_eq!(request("GET", &s.url(&auth()), &[], None).await.location(), s.url("/login"));
    // accept: a fetch() POST is refused before the session and CSRF checks; the form post passes.
    s.login("student@example.edu").await;
    s.browse(&auth()).await;
    let csrf = csrf_of(&s.browse("/login/oauth2/confirm").await.text());
    let cookie = s.cookie.clone().unwrap();
    let body = form(&[("custom_csrf_token", &csrf)]);
    let post = |mode: &'static str| {
        let (cookie, body, url) = (cookie.clone(), body.clone(), s.url("/login/oauth2/accept"));
        async move {
            request(
                "POST",
                &url,
                &[("Cookie", &cookie), ("Sec-Fetch-Mode", mode)],
                Some(("application/x-www-form-urlencoded", body)),
            )
            .await
        }
    };
    assert_eq!(post("cors").await.status, 400);
    let r = post("navigate").await;
    assert_eq!(r.status, 302);
    assert!(r.location_query().contains_key("code"), "{}", r.location());
}

#[tokio::test]
async fn up_has_no_navigation_requirement() {
    let s = start(Config::default()).await;
    assert_eq!(get_with_mode(&s, &auth(), "cors").await.location(), s.url("/login"));
}
