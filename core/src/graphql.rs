//! What an answer of Canvas's GraphQL endpoint (`POST /api/graphql` through the relay) means.
//! Canvas answers HTTP 200 whether the query worked or not (graphql-ruby): `{"data": {...}}`,
//! or `{"errors": [...]}` with `data` absent, null or partial (docs/protocol.md).

use crate::error::{Error, ErrorCode};
use crate::protocol::{error_from_relay, ErrorBody};
use crate::record::{Record, Value};

/// Canvas's GraphQL endpoint, an API path besides `/api/v1/...` (`is_api_path`).
pub const GRAPHQL_PATH: &str = "/api/graphql";

/// Ok when the answer's `data` is to be returned; otherwise the error to throw. With
/// [`ErrorCode::GraphqlError`] the caller attaches Canvas's `errors` (and `data`) to it. `body` is
/// the parsed answer; anything that is not a JSON object reads as all fields missing.
pub fn graphql_outcome<R: Record>(status: u16, body: &R) -> Result<(), Error> {
    if status != 200 {
        // 401 here is after the one refresh and retry (L13): Canvas still refuses the token.
        if status == 401 {
            return Err(Error::new(ErrorCode::NotSignedIn, "Canvas did not accept the access token"));
        }
        let relay_body = body
            .get("error")
            .into_text()
            .map(|error| ErrorBody { error, error_description: body.get("error_description").into_text() });
        return Err(error_from_relay(status, relay_body.as_ref()));
    }
    match body.get("errors") {
        Value::Missing | Value::Null => {}
        Value::List(items) if items.is_empty() => {}
        Value::List(_) => {
            return Err(Error::new(ErrorCode::GraphqlError, "Canvas answered GraphQL errors: see `errors`"))
        }
        _ => return Err(Error::new(ErrorCode::InvalidResponse, "Canvas's GraphQL errors are not a list")),
    }
    match body.get("data") {
        Value::Object(_) => Ok(()),
        _ => Err(Error::new(ErrorCode::InvalidResponse, "Canvas's GraphQL answer has no data object")),
    }
}

#[cfg(all(test, feature = "json"))]
mod tests {
    use super::*;
    use serde_json::{json, Value as J};

    fn outcome(status: u16, body: J) -> Result<(), Error> {
        graphql_outcome(status, &body)
    }

    #[test]
    fn data_errors_and_statuses() {
        assert_eq!(outcome(200, json!({"data": {"allCourses": []}})), Ok(()));
        assert_eq!(outcome(200, json!({"data": {}, "errors": []})), Ok(()));
        let e = outcome(
            200,
            json!({"errors": [{"message": "Field 'x' doesn't exist on type 'Query'", "locations": [{"line": 1, "column": 3}]}]}),
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::GraphqlError);
        assert_eq!(e.description, "Canvas answered GraphQL errors: see `errors`");
        // Partial data with errors is still an error (the caller attaches the data).
        assert_eq!(outcome(200, json!({"data": {"a": 1}, "errors": [{}]})).unwrap_err().code, ErrorCode::GraphqlError);
        assert_eq!(outcome(200, json!({"errors": [5]})).unwrap_err().code, ErrorCode::GraphqlError);
        for odd in
            [json!({}), json!({"data": null}), json!({"data": [1]}), json!({"errors": "x"}), json!({"errors": {}})]
        {
            assert_eq!(outcome(200, odd.clone()).unwrap_err().code, ErrorCode::InvalidResponse, "{odd}");
        }
        // Not JSON at all: the driver passes `undefined`, read as an empty record.
        assert_eq!(outcome(200, J::Null).unwrap_err().code, ErrorCode::InvalidResponse);
        let canvas_401 = json!({"errors": [{"message": "Invalid access token."}]});
        assert_eq!(outcome(401, canvas_401).unwrap_err().code, ErrorCode::NotSignedIn);
        let relay_400 = json!({"error": "invalid_request", "error_description": "the GraphQL body has an unknown key"});
        let e = outcome(400, relay_400).unwrap_err();
        assert_eq!(
            (e.code, e.description.as_str()),
            (ErrorCode::InvalidRequest, "the GraphQL body has an unknown key")
        );
        assert_eq!(outcome(503, json!({})).unwrap_err().code, ErrorCode::RateLimited);
        assert_eq!(outcome(403, json!({"error": "access_denied"})).unwrap_err().code, ErrorCode::RelayError);
        assert_eq!(outcome(500, json!("<html>")).unwrap_err().code, ErrorCode::RelayError);
    }
}
