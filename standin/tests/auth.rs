//! GET /login/oauth2/auth (§2) and the browser steps, over real HTTP.
mod common;

use canvas_standin::{default_seed, Behaviour, Config};
use common::*;
use serde_json::json;

const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

#[tokio::test]
async fn happy_path_login_consent_code_token_api_refresh_revoke() {
    let mut s = start_default().await;
    // 9: not logged in → /login, keeping only the login params.
    let r = s
        .browse(&auth_path(&[
            ("client_id", WEB),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("state", "xyz"),
            ("unique_id", "student@example.edu"),
            ("scope", "a b"),
        ]))
        .await;
    assert_eq!(r.status, 302);
    assert_eq!(r.location(), format!("{}/login?pseudonym_session%5Bunique_id%5D=student%40example.edu", s.base));
    assert!(s.cookie.as_deref().unwrap().starts_with("_normandy_session="));
    let page = s.browse(&r.location()).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(
        html.contains("name=\"pseudonym_session[unique_id]\"") && html.contains("name=\"pseudonym_session[password]\"")
    );
    assert!(html.contains("action=\"/login/canvas\"") && html.contains("value=\"student@example.edu\""));
    // Wrong password.
    let bad = s
        .browse_post(
            "/login/canvas",
            &[("pseudonym_session[unique_id]", "student@example.edu"), ("pseudonym_session[password]", "nope")],
        )
        .await;
    assert_eq!(bad.status, 400);
    // Login → confirm.
    let r = s.login("student@example.edu").await;
    assert_eq!(r.status, 302);
    assert_eq!(r.location(), format!("{}/login/oauth2/confirm", s.base));
    let confirm = s.browse("/login/oauth2/confirm").await;
    assert_eq!(confirm.status, 200);
    let html = confirm.text();
    assert!(html.contains("Canvas OAuth Demo") && html.contains("Authorize") && html.contains("Cancel"));
    let csrf = csrf_of(&html);
    assert!(csrf.chars().all(|c| c.is_ascii_hexdigit()));
    let r = s.browse_post("/login/oauth2/accept", &[("custom_csrf_token", &csrf)]).await;
    assert_eq!(r.status, 302);
    let loc = r.location();
    assert!(loc.starts_with("http://localhost:8080/callback?code="), "{loc}");
    let q = r.location_query();
    let code = &q["code"];
    assert_eq!(code.len(), 128);
    assert!(code.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(q["state"], "xyz");
    assert!(loc.find("code=").unwrap() < loc.find("state=").unwrap());
    // Session oauth data is gone: accept again fails.
    let again = s.browse_post("/login/oauth2/accept", &[("custom_csrf_token", &csrf)]).await;
    assert_eq!((again.status, again.text().as_str()), (400, "Invalid or missing session for oauth"));
    // Token, API, refresh, old token rejected, revoke, API rejected.
    let r = s.exchange_web_code(code).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.json();
    let at = t["access_token"].as_str().unwrap().to_string();
    let me = s.api("/api/v1/users/self", &at).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["name"], "Sam Student");
    let r = s
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ])
        .await;
    let at2 = r.json()["access_token"].as_str().unwrap().to_string();
    let old = s.api("/api/v1/users/self", &at).await;
    assert_eq!((old.status, old.json()["errors"][0]["message"].as_str().unwrap()), (401, "Invalid access token."));
    assert_eq!(s.api("/api/v1/users/self/profile", &at2).await.status, 200);
    let bearer = format!("Bearer {at2}");
    let r = request("DELETE", &s.url("/login/oauth2/token"), &[("Authorization", &bearer)], None).await;
    assert_eq!((r.status, r.json()), (200, json!({})));
    let gone = s.api("/api/v1/users/self", &at2).await;
    assert_eq!(gone.status, 401);
    assert_eq!(gone.json()["errors"][0]["message"], "Revoked access token.");
    assert_eq!(gone.header("www-authenticate"), Some("Bearer realm=\"canvas-lms\""));
}

#[tokio::test]
async fn landing_page_unknown_client_and_bad_redirect() {
    let mut seed = default_seed();
    seed.developer_keys[1].active = false;
    let mut s = start(Config { seed, ..Config::default() }).await;
    // 0: code or error present → landing page, before anything else.
    for p in [auth_path(&[("code", "abc")]), auth_path(&[("error", "access_denied")])] {
        let r = s.browse(&p).await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
    }
    // 1: unknown client, every flavour, even with a bad redirect_uri.
    for id in [None, Some("abc"), Some("9223372036854775808"), Some("42"), Some(PUBLIC)] {
        let mut p = vec![("redirect_uri", "nope"), ("response_type", "code")];
        if let Some(id) = id {
            p.push(("client_id", id));
        }
        let r = s.browse(&auth_path(&p)).await;
        assert_oauth_error(&r, 401, "invalid_client", "unknown client");
    }
    // 2: redirect_uri: exact match only for redirect_uris (no trailing-slash or port leniency), blank rejected.
    for uri in [
        None,
        Some(""),
        Some("http://localhost:8080/callback/"),
        Some("http://localhost:8081/callback"),
        Some("http://LOCALHOST:8080/callback"),
    ] {
        let mut p = vec![("client_id", WEB), ("response_type", "code")];
        if let Some(u) = uri {
            p.push(("redirect_uri", u));
        }
        let r = s.browse(&auth_path(&p)).await;
        assert_oauth_error(&r, 400, "invalid_request", "redirect_uri does not match client settings");
    }
}

#[tokio::test]
async fn legacy_redirect_uri_is_lenient_in_up_and_not_in_next() {
    let table = [
        ("http://example.com/a/b", true),
        ("http://example.com/other", true),
        ("http://www.example.com/a/b", true),
        ("http://a.b.example.com/other", true),
        ("http://example2.com/a/b", false),
        ("http://wwwexample.com/a/b", false),
        ("http://example.com.evil/a/b", false),
        ("http://www.example.com.evil/a/b", false),
        ("intents://www.example.com/a/b", false),
    ];
    for behaviour in [Behaviour::Up, Behaviour::Next] {
        let mut seed = default_seed();
        seed.developer_keys[0].redirect_uris = vec!["http://exact.example.org/cb".into()];
        seed.developer_keys[0].redirect_uri = Some("http://example.com/a/b".into());
        let mut s = start(Config { seed, behaviour, ..Config::default() }).await;
        for (uri, lenient_ok) in table {
            let r = s.browse(&auth_path(&[("client_id", WEB), ("redirect_uri", uri), ("response_type", "code")])).await;
            let accepted = r.status == 302;
            let expected = if behaviour == Behaviour::Up { lenient_ok } else { false };
            assert_eq!(accepted, expected, "{behaviour:?} {uri}: {}", r.status);
        }
        // In redirect_uris: exact only, no subdomains or other paths.
        for (uri, ok) in [
            ("http://exact.example.org/cb", true),
            ("http://www.exact.example.org/cb", false),
            ("http://exact.example.org/x", false),
        ] {
            let r = s.browse(&auth_path(&[("client_id", WEB), ("redirect_uri", uri), ("response_type", "code")])).await;
            assert_eq!(r.status == 302, ok, "{uri}");
        }
        // OOB is always accepted; NEXT refuses it for non-document fetches.
        let url = s.url(&auth_path(&[("client_id", WEB), ("redirect_uri", OOB), ("response_type", "code")]));
        let r = request("GET", &url, &[("Sec-Fetch-Dest", "empty")], None).await;
        assert_eq!(r.status, if behaviour == Behaviour::Up { 302 } else { 400 });
        let r = request("GET", &url, &[("Sec-Fetch-Dest", "document")], None).await;
        assert_eq!(r.status, 302);
    }
}

#[tokio::test]
async fn redirect_errors_in_order_with_state_and_encoding() {
    let mut seed = default_seed();
    seed.developer_keys[0].account_binding = "off".into();
    let mut s = start(Config { seed, ..Config::default() }).await;
    let scoped = |extra: &[(&'static str, &'static str)]| {
        let mut p = vec![("client_id", SCOPED), ("redirect_uri", CALLBACK), ("response_type", "nope"), ("state", "s1")];
        p.extend_from_slice(extra);
        auth_path(&p)
    };
    // 4: scope errors win over response_type; no scope → empty list.
    let r = s.browse(&scoped(&[])).await;
    let desc = "A requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner. The following scopes were requested, but not granted: ";
    assert_eq!(r.status, 302);
    let q = r.location_query();
    assert_eq!(q["error"], "invalid_scope");
    assert_eq!(q["error_description"], desc);
    assert_eq!(q["state"], "s1");
    let r = s.browse(&scoped(&[("scope", "url:GET|/api/v1/courses bad:one bad:two")])).await;
    assert_eq!(r.location_query()["error_description"], format!("{desc}bad:one and bad:two"));
    // Legacy `scopes` param works too.
    let r = s.browse(&scoped(&[("scopes", "url:GET|/api/v1/courses")])).await;
    assert_eq!(r.location_query()["error"], "unsupported_response_type");
    // 5: account binding.
    let r = s.browse(&auth_path(&[("client_id", WEB), ("redirect_uri", CALLBACK), ("response_type", "code")])).await;
    let q = r.location_query();
    assert_eq!(q["error"], "unauthorized_client");
    assert_eq!(q["error_description"], "Client does not have access to the specified Canvas account.");
    assert!(!q.contains_key("state"), "state left out when not sent");
    // 6: response_type, exact raw Location (sorted keys, + for spaces).
    let r = s
        .browse(&auth_path(&[
            ("client_id", TRUSTED),
            ("redirect_uri", CALLBACK),
            ("response_type", "token"),
            ("state", "a b=\"(x)\""),
        ]))
        .await;
    assert_eq!(
        r.location(),
        "http://localhost:8080/callback?error=unsupported_response_type&error_description=Only+response_type%3Dcode+is+permitted&state=a+b%3D%22%28x%29%22"
    );
    // 7: prompt values; an empty prompt is an error; empty state is echoed.
    let r = s
        .browse(&auth_path(&[
            ("client_id", TRUSTED),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("prompt", ""),
            ("state", ""),
        ]))
        .await;
    assert_eq!(
        r.location(),
        "http://localhost:8080/callback?error=unsupported_prompt_type&error_description=prompt+must+be+%22none%22+%28or+omitted%29&state="
    );
    let r = s
        .browse(&auth_path(&[
            ("client_id", TRUSTED),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("prompt", "none"),
        ]))
        .await;
    let q = r.location_query();
    assert_eq!(
        (q["error"].as_str(), q["error_description"].as_str()),
        ("login_required", "prompt=none but there is no current session")
    );
    let r = s
        .browse(&auth_path(&[
            ("client_id", TRUSTED),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("prompt", "login"),
        ]))
        .await;
    assert_eq!(r.location(), format!("{}/login?force_login=true", s.base));
    // A redirect_uri with a query gets `&`.
    let mut seed = default_seed();
    seed.developer_keys[2].redirect_uris.push("http://localhost:8080/cb?x=1".into());
    let mut s2 = start(Config { seed, ..Config::default() }).await;
    let r = s2
        .browse(&auth_path(&[
            ("client_id", TRUSTED),
            ("redirect_uri", "http://localhost:8080/cb?x=1"),
            ("response_type", "x"),
        ]))
        .await;
    assert!(r.location().starts_with("http://localhost:8080/cb?x=1&error=unsupported_response_type&"));
}
