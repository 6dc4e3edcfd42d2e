//! `auth.graphql(query, variables?)`: Canvas's GraphQL through the relay's opt-in
//! `POST /api/graphql`, on `api.rs`'s request path (token, deadline, one refresh and retry on a
//! 401 "Invalid access token."). What the answer means is core's `graphql_outcome`.

use crate::client::Inner;
use crate::error::{err, js_error};
use crate::js::{get, object, set, Js};
use crate::relay::read_capped;
use canvas_oauth_core::{concat, graphql_outcome, ErrorCode};
use js_sys::JSON;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Largest answer read, in bytes: the relay's default `RELAY_MAX_API_RESPONSE`.
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

pub(crate) async fn graphql(inner: &Rc<Inner>, query: &JsValue, variables: &JsValue) -> Result<JsValue, JsValue> {
    let query = query.as_string().ok_or_else(|| err(ErrorCode::InvalidArgument, "query must be a string"))?;
    let body = object();
    set(&body, "query", query);
    if !variables.is_undefined() && !variables.is_null() {
        if !variables.is_object() || js_sys::Array::is_array(variables) {
            return Err(err(ErrorCode::InvalidArgument, "variables must be an object"));
        }
        set(&body, "variables", variables.clone());
    }
    let text = JSON::stringify(&body)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| err(ErrorCode::InvalidArgument, "variables must be JSON-serializable"))?;
    let init = object();
    set(&init, "method", "POST");
    set(&init, "body", text);
    let headers = object();
    set(&headers, "Content-Type", "application/json");
    set(&init, "headers", headers);

    let url = concat(&[&inner.config.relay, "/api/graphql"]);
    let (response, deadline) = crate::api::send_to(inner, url, &init).await?;
    let text = read_capped(&response, MAX_ANSWER_BYTES, &deadline).await.map_err(js_error)?;
    let answer = JSON::parse(&text).ok().filter(|v| v.is_object());
    let data = answer.as_ref().map_or(JsValue::UNDEFINED, |a| get(a, "data"));
    match graphql_outcome(response.status(), answer.clone().map(Js).as_ref()) {
        Ok(()) => Ok(data),
        Err(error) => {
            let graphql = error.code == ErrorCode::GraphqlError;
            let thrown = js_error(error);
            if graphql {
                set(&thrown, "errors", answer.map_or(JsValue::UNDEFINED, |a| get(&a, "errors")));
                if data.is_object() {
                    set(&thrown, "data", data);
                }
            }
            Err(thrown)
        }
    }
}
