//! POST /api/graphql: Canvas's GraphQL endpoint (GraphQLController#execute: `params[:query]`,
//! `params[:variables]`, `params[:operationName]`, then `render json: result`, so HTTP 200 with
//! graphql-ruby's `{"data": ...}` or `{"errors": [...]}`). The token is checked first, as for
//! every `/api/` path (§6.2). What of the schema is modelled: `graphql_schema.rs`, standin/README.

use crate::api::authenticate;
use crate::graphql_schema::{execute, Request as Query};
use crate::request::req_from;
use crate::respond::json_resp;
use crate::state::AppRef;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

pub async fn graphql(State(app): State<AppRef>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let req = req_from(parts, &bytes);
    let user_id = match authenticate(&app, &req, "/api/graphql") {
        Ok(u) => u,
        Err(r) => return r,
    };
    let is_json = req
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    // Rails params: a JSON body's keys, else form or query parameters (variables as JSON text).
    let body: Map<String, Value> = match is_json.then(|| serde_json::from_slice::<Value>(&bytes)) {
        Some(Ok(Value::Object(m))) => m,
        _ => req.params.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect(),
    };
    let variables = match body.get("variables") {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::String(s)) => serde_json::from_str::<Map<String, Value>>(s).unwrap_or_default(),
        _ => Map::new(),
    };
    let Some(query) = body.get("query").and_then(Value::as_str).filter(|q| !q.trim().is_empty()) else {
        return json_resp(StatusCode::OK, &json!({"errors": [{"message": "No query string was present"}]}));
    };
    let operation = body.get("operationName").and_then(Value::as_str);
    let answer = match graphql_parser::parse_query::<&str>(query) {
        Err(e) => json!({"errors": [parse_error(&e.to_string())]}),
        Ok(doc) => execute(&Query { app: &app, user_id, doc: &doc, variables: &variables, operation }),
    };
    json_resp(StatusCode::OK, &answer)
}

/// graphql-ruby's ParseError as JSON: `message` and the `locations` of the offending token, or
/// "Unexpected end of document" with no location. The parser's own wording of the token differs.
fn parse_error(text: &str) -> Value {
    if text.contains("Unexpected end of input") {
        return json!({"message": "Unexpected end of document", "locations": []});
    }
    let at = text.split("Parse error at ").nth(1).and_then(|rest| {
        let (line, col) = rest.split_whitespace().next()?.split_once(':')?;
        Some((line.parse::<u64>().ok()?, col.parse::<u64>().ok()?))
    });
    let token = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Unexpected "))
        // The parser writes "`}[Punctuator]`": the token, then its kind.
        .map(|t| {
            let t = t.trim_matches('`');
            t.rsplit_once('[').map_or(t, |(token, _)| token).to_string()
        })
        .unwrap_or_default();
    match at {
        Some((line, column)) => json!({
            "message": format!("Parse error on {token:?} at [{line}, {column}]"),
            "locations": [{"line": line, "column": column}],
        }),
        None => json!({"message": format!("Parse error on {token:?}"), "locations": []}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_in_graphql_ruby_shape() {
        let e = graphql_parser::parse_query::<&str>("{ allCourses { _id }").unwrap_err();
        assert_eq!(parse_error(&e.to_string()), json!({"message": "Unexpected end of document", "locations": []}));
        let e = graphql_parser::parse_query::<&str>("{ allCourses { } }").unwrap_err();
        let v = parse_error(&e.to_string());
        assert_eq!(v["locations"], json!([{"line": 1, "column": 16}]), "{e}");
        assert!(v["message"].as_str().unwrap().starts_with("Parse error on \"}\""), "{v}");
    }
}
