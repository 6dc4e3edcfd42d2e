//! `auth.graphql` in a real browser, through the relay's `POST /api/graphql` (enabled in
//! scripts/with-servers.sh) to the stand-in's GraphQL: data, Canvas's errors, the one refresh and
//! retry on a 401 (L13), and arguments refused before any relay call.
#![cfg(target_arch = "wasm32")]

mod support;

use js_sys::Array;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const COURSES: &str = "query Mine { allCourses { _id name } }";

async fn graphql(
    auth: &canvas_oauth::CanvasAuth,
    query: JsValue,
    variables: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    wait(auth.graphql(query, variables)).await
}

#[wasm_bindgen_test]
async fn graphql_resolves_to_the_data() {
    let auth = auth(&[]);
    let session = sign_in(&auth).await;
    reset_relay().await;
    let data = graphql(&auth, COURSES.into(), None).await.unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
    let courses = Array::from(&get(&data, "allCourses"));
    assert_eq!(courses.length(), 12);
    assert_eq!(get(&courses.get(0), "_id").as_string().as_deref(), Some("101"));
    assert!(get(&data, "errors").is_undefined(), "data only, not the envelope");
    // Variables go through as JSON.
    let id = get(&get(&session, "user"), "id").as_f64().unwrap().to_string();
    let me = "query Me($id: ID!) { legacyNode(_id: $id, type: User) { ... on User { _id name } } }";
    let data = graphql(&auth, me.into(), Some(obj(&[("id", id.clone().into())]))).await.unwrap();
    assert_eq!(get(&get(&data, "legacyNode"), "_id").as_string(), Some(id));
    assert_eq!(get(&get(&data, "legacyNode"), "name").as_string().as_deref(), Some("Sam Student"));
    // A null `variables` is no variables.
    graphql(&auth, COURSES.into(), Some(JsValue::NULL)).await.unwrap();
    assert_eq!(relay_count("graphql").await, 3);
    assert_eq!(relay_count("refresh").await, 0);
}

#[wasm_bindgen_test]
async fn canvas_errors_reject_with_graphql_error_carrying_them() {
    let auth = auth(&[]);
    sign_in(&auth).await;
    let error = graphql(&auth, "{ allCourses { _id } nope }".into(), None).await.unwrap_err();
    assert_eq!(code_of(&error), "graphql_error");
    assert_eq!(get(&error, "name").as_string().as_deref(), Some("CanvasAuthError"));
    let errors = get(&error, "errors");
    assert!(Array::is_array(&errors));
    let first = Array::from(&errors).get(0);
    assert_eq!(get(&first, "message").as_string().as_deref(), Some("Field 'nope' doesn't exist on type 'Query'"));
    assert_eq!(get(&get(&first, "extensions"), "code").as_string().as_deref(), Some("undefinedField"));
    assert!(get(&error, "description").as_string().unwrap().contains("GraphQL errors"));
    assert!(get(&error, "data").is_undefined(), "validation errors come without data");
    // A parse error too.
    let error = graphql(&auth, "{ allCourses {".into(), None).await.unwrap_err();
    assert_eq!(code_of(&error), "graphql_error");
    let first = Array::from(&get(&error, "errors")).get(0);
    assert_eq!(get(&first, "message").as_string().as_deref(), Some("Unexpected end of document"));
    assert!(!auth.session().is_null(), "a GraphQL error never signs out");
}

#[wasm_bindgen_test]
async fn a_401_refreshes_once_and_retries_once() {
    let auth = auth(&[]);
    sign_in(&auth).await;
    // Another client of the same grant refreshes: Canvas kills this tab's token at once (§7.6).
    let (status, _) = relay_post("/refresh", None, JsValue::NULL).await;
    assert_eq!(status, 200);
    reset_relay().await;
    let data = graphql(&auth, COURSES.into(), None).await.unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
    assert_eq!(Array::from(&get(&data, "allCourses")).length(), 12, "retried with a fresh token");
    assert_eq!(relay_count("graphql").await, 2, "the refused call and one retry");
    assert_eq!(relay_count("refresh").await, 1);
}

#[wasm_bindgen_test]
async fn bad_arguments_are_refused_without_a_relay_call() {
    let auth = auth(&[]);
    sign_in(&auth).await;
    reset_relay().await;
    let cyclic = obj(&[]);
    js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let cases: Vec<(JsValue, Option<JsValue>)> = vec![
        (5.into(), None),
        (JsValue::UNDEFINED, None),
        (JsValue::NULL, None),
        (obj(&[("query", COURSES.into())]), None),
        (COURSES.into(), Some(Array::of1(&1.into()).into())),
        (COURSES.into(), Some("{}".into())),
        (COURSES.into(), Some(true.into())),
        (COURSES.into(), Some(obj(&[("n", js_sys::BigInt::from(1).into())]))),
        (COURSES.into(), Some(cyclic)),
    ];
    for (i, (query, variables)) in cases.into_iter().enumerate() {
        let error = graphql(&auth, query, variables).await.unwrap_err();
        assert_eq!(code_of(&error), "invalid_argument", "case {i}: {:?}", get(&error, "message"));
    }
    assert_no_relay_calls().await;
}

#[wasm_bindgen_test]
async fn the_relays_refusal_keeps_its_code() {
    let auth = auth(&[]);
    sign_in(&auth).await;
    // Over the relay's RELAY_MAX_GRAPHQL_BODY (64 KiB): 400 invalid_request, nothing forwarded.
    let long = format!("{{ allCourses {{ _id }} }} #{}", "x".repeat(70 * 1024));
    let error = graphql(&auth, long.into(), None).await.unwrap_err();
    assert_eq!(code_of(&error), "invalid_request");
    assert!(!auth.session().is_null());
}
