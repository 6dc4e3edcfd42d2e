//! The token-response parser must never panic, and what it accepts must obey L12.
#![no_main]
use canvas_oauth_core::parse_token_response;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = parse_token_response(data) {
        assert!(response.token_type.eq_ignore_ascii_case("bearer"));
        assert!(response.access_token.as_ref().is_none_or(|t| !t.secret().is_empty()));
    }
});
