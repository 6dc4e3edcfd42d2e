//! `auth.graphql(query, variables?)`: Canvas's GraphQL through the relay's opt-in
//! `POST /api/graphql`, on `api.rs`'s request path (token, deadline, one refresh and retry on a
//! 401 "Invalid access token."). What the answer means is core's `graphql_outcome`.

use crate::api::MAX_ANSWER_BYTES;
use crate::client::Inner;
use crate::error::{err, Failure};
use crate::io::{graphql_init, read_json};
use crate::js::{get, Js};
use canvas_oauth_core::{graphql_outcome, ErrorCode, GRAPHQL_PATH};
use std::rc::Rc;
use wasm_bindgen::JsValue;

pub(crate) async fn graphql(inner: &Rc<Inner>, query: &JsValue, variables: &JsValue) -> Result<JsValue, Failure> {
    let init = graphql_init(query, variables);
    if let Some(bad) = init.as_f64() {
        let why = match bad as u8 {
            1 => "query must be a string",
            2 => "variables must be an object",
            _ => "variables must be JSON-serializable",
        };
        return Err(err(ErrorCode::InvalidArgument, why));
    }
    let (response, deadline, _slot) = crate::api::send_api(inner, GRAPHQL_PATH, &init).await?;
    let answer = read_json(&response, MAX_ANSWER_BYTES, &deadline).await?.unwrap_or(JsValue::UNDEFINED);
    let data = get(&answer, "data");
    let error = match graphql_outcome(response.status(), &Js(answer.clone())) {
        Ok(()) => return Ok(data),
        Err(error) => error,
    };
    if error.code != ErrorCode::GraphqlError {
        return Err(error.into());
    }
    Err(Failure::graphql(error, get(&answer, "errors"), data))
}
