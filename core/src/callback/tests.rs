use super::*;
use alloc::format;
use alloc::string::ToString;

const CB: &str = "https://app.example.edu/callback";
const CODE: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const STATE: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn code_of(cb: Callback) -> (String, String) {
    match cb {
        Callback::Code { code, state } => (code.into_secret(), state),
        other => panic!("expected a code, got {other:?}"),
    }
}

#[test]
fn canvas_success_redirect() {
    let (code, state) = code_of(parse_callback(&format!("{CB}?code={CODE}&state={STATE}")).unwrap());
    assert_eq!(code, CODE);
    assert_eq!(state, STATE);
}

#[test]
fn canvas_appends_to_an_existing_query() {
    let (code, _) = code_of(parse_callback(&format!("{CB}?tab=1&code={CODE}&state={STATE}")).unwrap());
    assert_eq!(code, CODE);
}

#[test]
fn canvas_error_redirect_is_data_not_an_exception() {
    // §2.4 exactly as Rails `to_query` writes it: sorted keys, `+` for spaces, `=` as %3D.
    let url = format!(
        "{CB}?error=login_required&error_description=prompt%3Dnone+but+there+is+no+current+session&state={STATE}"
    );
    let Callback::Error { error, description, state } = parse_callback(&url).unwrap() else { panic!("not an error") };
    assert_eq!(error, ErrorCode::LoginRequired);
    assert_eq!(description, Some("prompt=none but there is no current session".to_string()));
    assert_eq!(state, STATE);
}

#[test]
fn every_canvas_error_code_maps_to_its_own_code() {
    let cases = [
        ("access_denied", ErrorCode::AccessDenied),
        ("login_required", ErrorCode::LoginRequired),
        ("interaction_required", ErrorCode::InteractionRequired),
        ("invalid_scope", ErrorCode::InvalidScope),
        ("unauthorized_client", ErrorCode::UnauthorizedClient),
        ("unsupported_response_type", ErrorCode::UnsupportedResponseType),
        ("unsupported_prompt_type", ErrorCode::UnsupportedPromptType),
        ("client_not_allowed_for_user", ErrorCode::ClientNotAllowedForUser),
        ("invalid_request", ErrorCode::InvalidRequest),
        ("server_error", ErrorCode::AuthorizationError),
        ("invalid_target", ErrorCode::AuthorizationError),
        ("ACCESS_DENIED", ErrorCode::AuthorizationError),
        // Our own codes are not Canvas's to send: a callback cannot make us report them (L3).
        ("state_missing", ErrorCode::AuthorizationError),
        ("invalid_grant", ErrorCode::AuthorizationError),
        ("relay_error", ErrorCode::AuthorizationError),
    ];
    for (error, expected) in cases {
        let cb = parse_callback(&format!("{CB}?error={error}&state={STATE}")).unwrap();
        assert!(matches!(cb, Callback::Error { error, description: None, .. } if error == expected), "{error}");
    }
}

/// Table of URLs that must be refused, with the code each must give (L2–L6).
#[test]
fn rejected_callbacks() {
    let long = "a".repeat(MAX_PARAM_LEN + 1);
    let cases: &[(String, ErrorCode)] = &[
        // L2: state missing or empty, with a code or with an error.
        (format!("{CB}?code={CODE}"), ErrorCode::StateMissing),
        (format!("{CB}?code={CODE}&state="), ErrorCode::StateMissing),
        (format!("{CB}?error=access_denied"), ErrorCode::StateMissing),
        (format!("{CB}?error=access_denied&state"), ErrorCode::StateMissing),
        // Not an authorization response at all.
        (CB.to_string(), ErrorCode::CallbackMalformed),
        (format!("{CB}?state={STATE}"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code=&state={STATE}"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code={CODE}&error=access_denied&state={STATE}"), ErrorCode::CallbackMalformed),
        // L4: duplicates of any response parameter.
        (format!("{CB}?code={CODE}&code={CODE}&state={STATE}"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code={CODE}&state={STATE}&state={STATE}"), ErrorCode::CallbackMalformed),
        (format!("{CB}?error=a&error=b&state={STATE}"), ErrorCode::CallbackMalformed),
        (format!("{CB}?error=a&error_description=x&error_description=y&state={STATE}"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code={CODE}&state={STATE}&error_uri=a&error_uri=b"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code={CODE}&state={STATE}&iss=a&iss=b"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code={CODE}&st%61te=x&state={STATE}"), ErrorCode::CallbackMalformed),
        // L5: OAuth parameters in the fragment, tokens anywhere.
        (format!("{CB}#code={CODE}&state={STATE}"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code={CODE}&state={STATE}#state=other"), ErrorCode::CallbackMalformed),
        (format!("{CB}?state={STATE}#access_token=abc"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code={CODE}&state={STATE}&access_token=abc"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code={CODE}&state={STATE}&id_token=abc"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code={CODE}&state={STATE}&token=abc"), ErrorCode::CallbackMalformed),
        // L6: encoding, characters and lengths.
        (format!("{CB}?code={CODE}&state=%zz"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code={CODE}&state=%C3%A9"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code=%00abc&state={STATE}"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code=a%0Ab&state={STATE}"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code={CODE}&state={long}"), ErrorCode::CallbackMalformed),
        (format!("{CB}?code={long}&state={STATE}"), ErrorCode::CallbackMalformed),
        (
            format!("{CB}?code={CODE}&state={STATE}&pad={}", "x".repeat(MAX_CALLBACK_URL_LEN)),
            ErrorCode::CallbackMalformed,
        ),
        (format!("{CB}?error=%3Cscript%3E+x&state={STATE}"), ErrorCode::CallbackMalformed),
        (format!("{CB}?error=&state={STATE}"), ErrorCode::CallbackMalformed),
    ];
    for (url, expected) in cases {
        let err = parse_callback(url).expect_err(url);
        assert_eq!(err.code, *expected, "{url}: {err}");
    }
}

#[test]
fn state_is_compared_byte_for_byte_after_one_decode() {
    // `%2B` is `+`, a literal `+` is a space: no normalisation beyond form decoding.
    let cb = parse_callback(&format!("{CB}?code={CODE}&state=a%2Bb+c%2525")).unwrap();
    assert_eq!(cb.state(), "a+b c%25");
}

#[test]
fn error_description_is_plain_capped_text() {
    let desc = format!("%3Cb%3Ebold%3C%2Fb%3E%0A%0Dline+two%09{}", "x".repeat(400));
    let cb = parse_callback(&format!("{CB}?error=access_denied&error_description={desc}&state={STATE}")).unwrap();
    let Callback::Error { description: Some(d), .. } = cb else { panic!() };
    assert!(d.starts_with("<b>bold</b> line two xxx"), "{d}");
    assert!(!d.chars().any(char::is_control));
    assert_eq!(d.chars().count(), MAX_DESCRIPTION_CHARS + 1);
    assert!(d.ends_with('…'));
}

#[test]
fn error_description_drops_bidi_and_other_format_characters() {
    // S22: U+202E would show "gpj.exe" as "exe.jpg"; zero-width and tag characters hide text.
    let desc = "Sign%E2%80%AEin+%E2%80%8Bagain%E2%81%A6x%EF%BB%BF%F3%A0%80%81+%E2%80%AE+end%C2%AD";
    let cb = parse_callback(&format!("{CB}?error=access_denied&error_description={desc}&state={STATE}")).unwrap();
    let Callback::Error { description: Some(d), .. } = cb else { panic!() };
    assert_eq!(d, "Signin againx end");
    assert!(!d.chars().any(is_format_char));
    assert_eq!(plain_text("\u{202E}\u{200B}"), "", "nothing visible left");
    for c in ['a', 'é', ' ', '…', '\u{2028}', '\u{1F980}'] {
        assert!(!is_format_char(c), "{c:?}");
    }
}

#[test]
fn unrelated_fragments_and_params_are_fine() {
    let url = format!("{CB}?foo=1&foo=2&code={CODE}&state={STATE}&iss=https%3A%2F%2Fx#/route/%zz");
    assert!(parse_callback(&url).is_ok());
}

#[test]
fn is_callback_spots_responses() {
    assert!(is_callback(&format!("{CB}?code=x&state=y")));
    assert!(is_callback(&format!("{CB}?a=1&error=access_denied")));
    assert!(!is_callback(CB));
    assert!(!is_callback(&format!("{CB}?codex=1")));
    assert!(!is_callback(&format!("{CB}#code=1")));
    // S13: keys are decoded as parse_callback decodes them.
    assert!(is_callback(&format!("{CB}?c%6Fde=x&state=y")));
    assert!(is_callback(&format!("{CB}?%65rror=x&state=y")));
    assert!(parse_callback(&format!("{CB}?c%6Fde=x&state=y")).is_ok());
}
