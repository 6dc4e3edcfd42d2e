use super::*;
use alloc::format;

const CANVAS_AUTH_CODE: &str = r#"{"access_token":"1~tok","token_type":"Bearer","user":{"id":42,"name":"Sam","global_id":"10000000000042","effective_locale":"zh-Hant","fake_student":false},"canvas_region":"unknown","refresh_token":"1~ref","expires_in":3600}"#;

#[test]
fn parses_canvas_authorization_code_response() {
    let parsed = parse_token_response(CANVAS_AUTH_CODE.as_bytes()).unwrap();
    assert_eq!(parsed.access_token.as_ref().unwrap().secret(), "1~tok");
    assert_eq!(parsed.expires_in, Some(3600));
    let (grant, refresh) = parsed.into_session().unwrap();
    assert_eq!(refresh.unwrap().secret(), "1~ref");
    assert_eq!(grant.user.id, 42);
    assert_eq!(grant.user.global_id.as_deref(), Some("10000000000042"));
    assert_eq!(grant.canvas_region.as_deref(), Some("unknown"));
    let body = serde_json::to_string(&grant).unwrap();
    assert!(!body.contains("refresh"), "the browser never sees a refresh token: {body}");
}

#[test]
fn accepts_every_canvas_shape() {
    let shapes = [
        // confidential refresh: no refresh_token
        r#"{"access_token":"a","user":{"id":1},"expires_in":3599,"token_type":"Bearer","canvas_region":"us-east-1"}"#,
        // no auto_expire_tokens: no expires_in; unknown keys and real_user
        r#"{"access_token":"a","token_type":"bearer","user":{"id":1,"extra":[1]},"real_user":{"id":2,"name":"Admin"},"new_key":{}}"#,
        // userinfo: access_token null
        r#"{"access_token":null,"token_type":"Bearer","user":{"id":1,"name":"x"}}"#,
        // client_credentials
        r#"{"access_token":"eyJ.x.y","token_type":"Bearer","expires_in":3600,"scope":"https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"}"#,
    ];
    for shape in shapes {
        parse_token_response(shape.as_bytes()).unwrap_or_else(|e| panic!("{shape}: {e}"));
    }
}

#[test]
fn rejects_what_rfc6749_forbids() {
    let big =
        format!(r#"{{"access_token":"a","token_type":"Bearer","pad":"{}"}}"#, "x".repeat(MAX_TOKEN_RESPONSE_BYTES));
    let cases = [
        r#"{"token_type":"Bearer"}"#,
        r#"{"access_token":"","token_type":"Bearer"}"#,
        r#"{"access_token":"a","token_type":"mac"}"#,
        r#"{"access_token":"a"}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":-1}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":1.5}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":"3600"}"#,
        r#"{"access_token":"a","access_token":"b","token_type":"Bearer"}"#,
        r#"{"access_token":7,"token_type":"Bearer"}"#,
        r#"{"access_token":"a","token_type":"Bearer","refresh_token":""}"#,
        r#"["a","Bearer"]"#,
        r#"<html>502</html>"#,
        "",
        big.as_str(),
    ];
    for body in cases {
        let err = parse_token_response(body.as_bytes()).expect_err(body);
        assert_eq!(err.code, ErrorCode::InvalidResponse, "{body}");
    }
}

#[test]
fn errors_never_quote_the_body() {
    let err = parse_token_response(br#"{"access_token":"canary-secret","token_type":42}"#).unwrap_err();
    assert!(!err.description.contains("canary"), "{err}");
}

#[test]
fn session_requires_a_user() {
    let parsed = parse_token_response(br#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
    assert_eq!(parsed.into_session().unwrap_err().code, ErrorCode::InvalidResponse);
}

#[test]
fn relay_requests_refuse_extra_and_duplicate_fields() {
    let verifier = "v".repeat(43);
    let ok = format!(r#"{{"code":"abc","code_verifier":"{verifier}"}}"#);
    assert!(serde_json::from_str::<TokenRequest>(&ok).is_ok());
    for bad in [
        format!(r#"{{"code":"abc","code_verifier":"{verifier}","client_secret":"x"}}"#),
        format!(r#"{{"code":"abc","code_verifier":"{verifier}","redirect_uri":"https://evil"}}"#),
        format!(r#"{{"code":"abc","code":"def","code_verifier":"{verifier}"}}"#),
        r#"{"code":"abc","code_verifier":"short"}"#.into(),
        r#"{"code":"abc"}"#.into(),
    ] {
        assert!(serde_json::from_str::<TokenRequest>(&bad).is_err(), "{bad}");
    }
    assert!(serde_json::from_str::<RevokeRequest>(r#"{"expire_sessions":true,"_method":"x"}"#).is_err());
    assert!(!serde_json::from_str::<RevokeRequest>("{}").unwrap().expire_sessions);
}

#[test]
fn relay_errors_map_to_stable_codes() {
    let body = |e: &str| ErrorBody { error: e.into(), error_description: None };
    let cases = [
        (401, Some(body("invalid_grant")), ErrorCode::InvalidGrant),
        (400, Some(body("invalid_grant")), ErrorCode::InvalidGrant),
        (401, Some(body("invalid_token")), ErrorCode::NotSignedIn),
        (400, Some(body("invalid_scope")), ErrorCode::InvalidScope),
        (400, Some(body("invalid_request")), ErrorCode::InvalidRequest),
        (429, Some(body("temporarily_unavailable")), ErrorCode::RateLimited),
        (503, None, ErrorCode::RateLimited),
        (502, Some(body("server_error")), ErrorCode::RelayError),
        (504, None, ErrorCode::RelayError),
        (403, Some(body("access_denied")), ErrorCode::RelayError),
        (500, None, ErrorCode::RelayError),
    ];
    for (status, body, expected) in cases {
        let err = error_from_relay(status, body.as_ref());
        assert_eq!(err.code, expected, "{status} {body:?}");
        assert!(!err.description.is_empty());
    }
    let described =
        ErrorBody { error: "invalid_grant".into(), error_description: Some("refresh_token\nnot found".into()) };
    assert_eq!(error_from_relay(401, Some(&described)).description, "refresh_token not found");
}
