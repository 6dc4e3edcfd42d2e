//! `POST /api/graphql` (opt-in with `POST:/api/graphql` in RELAY_API_ALLOW): only a checked JSON
//! body is forwarded, with the Bearer token and nothing else of the browser's request.
mod common;

use common::*;
use serde_json::json;
use std::collections::BTreeSet;

fn graphql_config(canvas: &str) -> canvas_oauth_relay::RelayConfig {
    let mut c = config(canvas, CLIENT_ID, SECRET);
    c.api_allow.push("POST:/api/graphql".parse().unwrap());
    c
}

fn gql(relay: &str, token: &str, content_type: &str, body: impl Into<reqwest::Body>) -> reqwest::RequestBuilder {
    post(&client(), &format!("{relay}/api/graphql"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(body)
}

#[tokio::test]
async fn off_by_default() {
    let s = standin().await;
    let relay = start_relay(config(&s.url(), CLIENT_ID, SECRET)).await;
    let (token, _) = sign_in(&relay, &s.url()).await;
    let before = standin_stats(&s.url()).await["api_requests"].clone();
    let resp = gql(&relay, &token, "application/json", json!({"query": "{ allCourses { _id } }"}).to_string())
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")), "{body}");
    assert_eq!(standin_stats(&s.url()).await["api_requests"], before, "nothing reached Canvas");
}

#[tokio::test]
async fn forwards_the_token_and_the_checked_body_only() {
    let canvas = fake(|_| json_resp(200, json!({"data": {"allCourses": []}}))).await;
    let relay = start_relay(graphql_config(&canvas.url)).await;
    let body = json!({"query": "query Q($n: Int) { allCourses { _id } }", "variables": {"n": 1}, "operationName": "Q"});
    let resp = gql(&relay, "1~tok", "application/json; charset=utf-8", format!("  {body}\n"))
        .header("cookie", "canvas_session=browser; _normandy_session=x")
        .header("accept-language", "de")
        .header("x-custom", "1")
        .header("user-agent", "BrowserUA/1.0")
        .send()
        .await
        .unwrap();
    let (status, answer) = json(resp).await;
    assert_eq!((status, answer), (200, json!({"data": {"allCourses": []}})));
    assert_eq!(canvas.count(), 1);
    let seen = canvas.last();
    assert_eq!((seen.method.as_str(), seen.path.as_str(), seen.query.as_deref()), ("POST", "/api/graphql", None));
    let names: BTreeSet<&str> = seen.headers.keys().map(|k| k.as_str()).collect();
    // What reqwest adds for any request (host, length, the relay's own user agent, accept) and
    // the two headers the relay sets; nothing of the browser's.
    let allowed = BTreeSet::from(["accept", "authorization", "content-length", "content-type", "host", "user-agent"]);
    assert!(names.is_subset(&allowed), "forwarded headers: {names:?}");
    assert_eq!(seen.headers["authorization"], "Bearer 1~tok");
    assert_eq!(seen.headers["content-type"], "application/json");
    assert!(seen.headers["user-agent"].to_str().unwrap().starts_with("canvas-oauth-relay/"));
    let forwarded: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(forwarded, body);
}

#[tokio::test]
async fn bad_bodies_are_refused_and_nothing_is_forwarded() {
    let s = standin().await;
    let mut c = graphql_config(&s.url());
    c.max_graphql_body = 2048;
    let relay = start_relay(c).await;
    let (token, _) = sign_in(&relay, &s.url()).await;
    let before = standin_stats(&s.url()).await["api_requests"].clone();
    let q = "{ allCourses { _id } }";
    let json_cases: Vec<(&str, String)> = vec![
        ("not JSON", "{query:".into()),
        ("an array", json!([{"query": q}]).to_string()),
        ("a string", json!(q).to_string()),
        ("no query", json!({"variables": {}}).to_string()),
        ("query a number", json!({"query": 5}).to_string()),
        ("query null", json!({"query": null}).to_string()),
        ("empty query", json!({"query": "  "}).to_string()),
        ("variables an array", json!({"query": q, "variables": [1]}).to_string()),
        ("variables a string", json!({"query": q, "variables": "{}"}).to_string()),
        ("operationName a number", json!({"query": q, "operationName": 1}).to_string()),
        ("an extra key", json!({"query": q, "extensions": {}}).to_string()),
        ("a duplicate key", format!(r#"{{"query": "{q}", "query": "{{ x }}"}}"#)),
        ("oversized", json!({"query": format!("{{ allCourses {{ _id }} }} #{}", "x".repeat(2048))}).to_string()),
        ("trailing garbage", format!("{} x", json!({"query": q}))),
    ];
    for (what, body) in json_cases {
        let (status, answer) = json(gql(&relay, &token, "application/json", body).send().await.unwrap()).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_request")), "{what}: {answer}");
        assert!(answer["error_description"].is_string(), "{what}");
    }
    let ok_body = json!({"query": q}).to_string();
    for content_type in
        ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"]
    {
        let (status, answer) = json(gql(&relay, &token, content_type, ok_body.clone()).send().await.unwrap()).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_request")), "{content_type}: {answer}");
    }
    let no_type = post(&client(), &format!("{relay}/api/graphql"))
        .header("authorization", format!("Bearer {token}"))
        .body(ok_body.clone());
    assert_eq!(no_type.send().await.unwrap().status(), 400, "no Content-Type");
    let with_query = post(&client(), &format!("{relay}/api/graphql?access_token=x"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(ok_body.clone());
    assert_eq!(with_query.send().await.unwrap().status(), 400, "a query string");
    assert_eq!(standin_stats(&s.url()).await["api_requests"], before, "nothing reached Canvas");
    // The same relay forwards a good body: the refusals above were about the bodies.
    let (status, answer) = json(gql(&relay, &token, "application/json", ok_body).send().await.unwrap()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["allCourses"].as_array().map(Vec::len), Some(12));
}

#[tokio::test]
async fn canvas_answers_pass_through_as_the_api_proxy_does() {
    let s = standin().await;
    let relay = start_relay(graphql_config(&s.url())).await;
    let (token, _) = sign_in(&relay, &s.url()).await;
    // GraphQL errors are Canvas's HTTP 200.
    let bad = json!({"query": "{ nope }"}).to_string();
    let (status, answer) = json(gql(&relay, &token, "application/json", bad).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(answer["errors"][0]["message"], "Field 'nope' doesn't exist on type 'Query'");
    // A token Canvas refuses: its 401 and WWW-Authenticate come through, for the library's one refresh.
    let good = json!({"query": "{ allCourses { _id } }"}).to_string();
    let resp = gql(&relay, "1~garbage", "application/json", good.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer realm=\"canvas-lms\"");
    assert_eq!(json(resp).await.1, json!({"errors": [{"message": "Invalid access token."}]}));
    // No token at all: the relay's own 401, and nothing forwarded.
    let before = standin_stats(&s.url()).await["api_requests"].clone();
    let resp = post(&client(), &format!("{relay}/api/graphql")).header("content-type", "application/json").body(good);
    let (status, answer) = json(resp.send().await.unwrap()).await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("invalid_token")));
    assert_eq!(standin_stats(&s.url()).await["api_requests"], before);
}

#[tokio::test]
async fn preflights_name_post_for_graphql_only() {
    let canvas = fake(|_| json_resp(200, json!({}))).await;
    let mut c = config(&canvas.url, CLIENT_ID, SECRET);
    c.api_allow = vec!["GET:/api/v1/".parse().unwrap(), "POST:/api/graphql".parse().unwrap()];
    let relay = start_relay(c).await;
    let preflight = |path: &str| {
        client()
            .request(reqwest::Method::OPTIONS, format!("{relay}{path}"))
            .header("origin", ORIGIN)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type, x-canvas-relay")
    };
    let resp = preflight("/api/graphql").send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(resp.headers()["access-control-allow-methods"], "POST");
    // The GraphQL rule allows no POST on the API proxy.
    let resp = preflight("/api/v1/users/self").send().await.unwrap();
    assert_eq!(resp.headers()["access-control-allow-methods"], "GET");
    assert_eq!(canvas.count(), 0);
}
