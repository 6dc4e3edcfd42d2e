//! POST /api/graphql: the modelled subset of Canvas's schema, graphql-ruby's error shapes, and the
//! API's token handling (§6.2).
mod common;

use common::*;
use serde_json::{json, Value};

async fn gql(s: &Standin, token: &str, body: Value) -> Resp {
    let auth = format!("Bearer {token}");
    request(
        "POST",
        &s.url("/api/graphql"),
        &[("Authorization", &auth)],
        Some(("application/json", body.to_string().into_bytes())),
    )
    .await
}

async fn user_token(s: &Standin) -> String {
    s.tokens_for(WEB, WEB_SECRET).await["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn legacy_node_and_all_courses() {
    let s = start_default().await;
    let t = user_token(&s).await;
    let q = "query Me($id: ID!) { me: legacyNode(_id: $id, type: User) { __typename ... on User { _id name } } \
             allCourses { _id name ...C } } fragment C on Course { courseCode }";
    let r = gql(&s, &t, json!({"query": q, "variables": {"id": "1"}, "operationName": "Me"})).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["data"]["me"], json!({"__typename": "User", "_id": "1", "name": "Sam Student"}));
    let courses = v["data"]["allCourses"].as_array().unwrap();
    assert_eq!(courses.len(), 12);
    assert_eq!(courses[0]["_id"], "101");
    assert!(courses[0]["name"].is_string() && courses[0]["courseCode"].is_string(), "{}", courses[0]);
    assert!(v.get("errors").is_none());
    // Another user is not visible to a student; a course is; unknown ids are null.
    let r = gql(&s, &t, json!({"query": "{ legacyNode(_id: 2, type: User) { id } c: legacyNode(_id: \"101\", type: Course) { ... on Course { _id } } x: legacyNode(_id: \"999\", type: Course) { id } }"})).await;
    assert_eq!(r.json(), json!({"data": {"legacyNode": null, "c": {"_id": "101"}, "x": null}}));
}

#[tokio::test]
async fn unknown_fields_answer_graphql_ruby_validation_errors() {
    let s = start_default().await;
    let t = user_token(&s).await;
    let r = gql(&s, &t, json!({"query": "{\n  allCourses { _id nope }\n  bogus\n}"})).await;
    assert_eq!(r.status, 200, "GraphQL errors are HTTP 200 at Canvas");
    assert_eq!(
        r.json(),
        json!({"errors": [
            {"message": "Field 'nope' doesn't exist on type 'Course'", "locations": [{"line": 2, "column": 20}],
             "path": ["query", "allCourses", "nope"],
             "extensions": {"code": "undefinedField", "typeName": "Course", "fieldName": "nope"}},
            {"message": "Field 'bogus' doesn't exist on type 'Query'", "locations": [{"line": 3, "column": 3}],
             "path": ["query", "bogus"],
             "extensions": {"code": "undefinedField", "typeName": "Query", "fieldName": "bogus"}},
        ]})
    );
    let r = gql(&s, &t, json!({"query": "{ legacyNode(type: User) { id } allCourses }"})).await.json();
    let messages: Vec<&str> = r["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert_eq!(
        messages,
        [
            "Field 'legacyNode' is missing required arguments: _id",
            "Field must have selections (field 'allCourses' returns Course but has no selections. Did you mean 'allCourses { ... }'?)"
        ]
    );
    assert!(r.get("data").is_none(), "a document that fails validation is not run");
    let r = gql(&s, &t, json!({"query": "mutation { createSubmission { id } }"})).await.json();
    assert_eq!(r["errors"][0]["message"], "Field 'createSubmission' doesn't exist on type 'Mutation'");
}

#[tokio::test]
async fn malformed_and_missing_queries() {
    let s = start_default().await;
    let t = user_token(&s).await;
    let r = gql(&s, &t, json!({"query": "{ allCourses { _id }"})).await;
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"errors": [{"message": "Unexpected end of document", "locations": []}]}))
    );
    let v = gql(&s, &t, json!({"query": "{ allCourses { } }"})).await.json();
    assert_eq!(v["errors"][0]["locations"], json!([{"line": 1, "column": 16}]));
    assert!(v["errors"][0]["message"].as_str().unwrap().starts_with("Parse error on"), "{v}");
    let v = gql(&s, &t, json!({"variables": {}})).await.json();
    assert_eq!(v, json!({"errors": [{"message": "No query string was present"}]}));
    let v =
        gql(&s, &t, json!({"query": "query A { allCourses { _id } } query B { allCourses { name } }"})).await.json();
    assert_eq!(v, json!({"errors": [{"message": "An operation name is required"}]}));
}

#[tokio::test]
async fn tokens_are_checked_as_for_every_api_path() {
    let s = start_default().await;
    let r = gql(&s, "1~garbage", json!({"query": "{ allCourses { _id } }"})).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"errors": [{"message": "Invalid access token."}]}));
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"canvas-lms\""));
    // GraphQL is POST only; Canvas has no GET route for it.
    let t = user_token(&s).await;
    let r = request(
        "GET",
        &s.url("/api/graphql?query=%7BallCourses%7B_id%7D%7D"),
        &[("Authorization", &format!("Bearer {t}"))],
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    // A form body works too (Rails params).
    let body = form(&[("query", "{ allCourses { _id } }")]);
    let r = request(
        "POST",
        &s.url("/api/graphql"),
        &[("Authorization", &format!("Bearer {t}"))],
        Some(("application/x-www-form-urlencoded", body)),
    )
    .await;
    assert_eq!(r.json()["data"]["allCourses"].as_array().map(Vec::len), Some(12));
}
