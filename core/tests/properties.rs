//! Property tests: round trips through the encoders and parsers, and "never panics" on any input.
//! Needs the `json` feature: `cargo test --all-features`.

use canvas_oauth_core::*;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

fn form(value: &str) -> String {
    let mut out = String::new();
    form_encode_into(&mut out, value);
    out
}

/// A reference base64url decoder, written differently from the encoder under test.
fn base64url_decode(text: &str) -> Vec<u8> {
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bits: String = text.chars().map(|c| format!("{:06b}", alphabet.find(c).unwrap())).collect();
    bits.as_bytes()
        .chunks(8)
        .filter(|c| c.len() == 8)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap())
        .collect()
}

const VSCHAR: &str = "[\\x20-\\x7e]{1,512}";

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decimal_is_to_string(n in any::<u64>()) {
        prop_assert_eq!(decimal(n), n.to_string());
    }

    #[test]
    fn parse_u64_is_from_str(text in "[+-]?[0-9]{0,22}|.{0,8}") {
        prop_assert_eq!(parse_u64(&text), text.parse::<u64>().ok());
    }

    #[test]
    fn parse_callback_never_panics(input in ".{0,600}") {
        let _ = parse_callback(&input);
        let _ = is_callback(&input);
    }

    #[test]
    fn parse_callback_never_panics_on_query_shapes(
        parts in prop::collection::vec(("(code|state|error|error_description|iss|x|%63ode|access_token)", "[%+=&#a-zA-Z0-9\\x00-\\x20é]{0,20}"), 0..8),
        fragment in prop::option::of("[=&a-z%#]{0,20}"),
    ) {
        let mut url = String::from("https://app.example/cb?");
        for (k, v) in &parts { url.push_str(k); url.push('='); url.push_str(v); url.push('&'); }
        if let Some(f) = fragment { url.push('#'); url.push_str(&f); }
        let _ = parse_callback(&url);
    }

    #[test]
    fn code_responses_round_trip(code in VSCHAR, state in VSCHAR, prefix in "[a-z]{1,5}=[a-z0-9]{0,5}&") {
        let url = format!("https://app.example/cb?{prefix}code={}&state={}", form(&code), form(&state));
        match parse_callback(&url) {
            Ok(Callback::Code { code: got, state: got_state }) => {
                prop_assert_eq!(got.secret(), code.as_str());
                prop_assert_eq!(got_state, state);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn error_responses_round_trip(state in VSCHAR, description in "[ -~]{1,200}") {
        let url = format!("https://app.example/cb?error=access_denied&error_description={}&state={}", form(&description), form(&state));
        match parse_callback(&url) {
            Ok(Callback::Error { error, description: got, state: got_state }) => {
                prop_assert_eq!(error, ErrorCode::AccessDenied);
                prop_assert_eq!(got_state, state);
                let expected = description.split_whitespace().collect::<Vec<_>>().join(" ");
                prop_assert_eq!(got.unwrap_or_default(), expected);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn duplicated_parameters_are_always_rejected(state in "[a-zA-Z0-9]{1,50}", dup in "(code|state|error|error_description|error_uri|iss)") {
        let url = format!("https://app.example/cb?code=c&state={state}&{dup}=a&{dup}=b");
        prop_assert!(parse_callback(&url).is_err());
    }

    #[test]
    fn form_encoding_round_trips(value in ".{0,200}") {
        prop_assert_eq!(form_decode(&form(&value)).unwrap(), value);
    }

    #[test]
    fn base64url_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
        let text = base64url_encode(&bytes);
        prop_assert_eq!(text.len(), (bytes.len() * 4).div_ceil(3));
        prop_assert_eq!(base64url_decode(&text), bytes);
    }

    #[test]
    fn pkce_challenge_is_sha256(bytes in prop::array::uniform32(any::<u8>())) {
        let verifier = PkceVerifier::from_random(&bytes);
        prop_assert_eq!(verifier.secret().len(), 43);
        let expected = base64url_encode(&Sha256::digest(verifier.secret().as_bytes()));
        prop_assert_eq!(verifier.challenge(), expected.clone());
        prop_assert_eq!(pkce_challenge(verifier.secret()).unwrap(), expected);
    }

    #[test]
    fn authorize_url_has_one_of_each_parameter(
        scopes in prop::collection::vec("[!-~]{1,30}", 0..5),
        purpose in prop::option::of("[ -~]{1,40}"),
        unique_id in prop::option::of("[ -~]{1,40}"),
        force_login in any::<bool>(),
    ) {
        let canvas = CanvasUrl::parse("https://canvas.example.edu/prefix").unwrap();
        let req = AuthorizeRequest {
            canvas: &canvas, client_id: "10000000000001", redirect_uri: "https://app.example/cb?a=1&b=2",
            state: "s", code_challenge: "c", scopes: &scopes, purpose: purpose.as_deref(), force_login,
            unique_id: unique_id.as_deref(), prompt: Some(Prompt::None),
        };
        let url = authorize_url(&req).unwrap();
        let query = url.strip_prefix("https://canvas.example.edu/prefix/login/oauth2/auth?").unwrap();
        let pairs: Vec<(String, String)> = query.split('&').map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (form_decode(k).unwrap(), form_decode(v).unwrap())
        }).collect();
        let mut names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        let count = names.len();
        names.sort();
        names.dedup();
        prop_assert_eq!(names.len(), count, "a parameter repeats: {}", url);
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        prop_assert_eq!(get("redirect_uri").unwrap(), "https://app.example/cb?a=1&b=2");
        prop_assert_eq!(get("code_challenge_method").unwrap(), "S256");
        prop_assert_eq!(get("purpose"), purpose);
        prop_assert_eq!(get("unique_id"), unique_id);
        prop_assert_eq!(get("force_login").is_some(), force_login);
        let joined = get("scope").unwrap_or_default();
        for scope in &scopes { prop_assert!(joined.split(' ').any(|s| s == scope)); }
    }

    #[test]
    fn return_paths_never_leave_the_origin(path in ".{0,100}") {
        let safe = safe_return_path(&path);
        prop_assert!(safe == path || safe == "/");
        prop_assert!(safe.starts_with('/'));
        prop_assert!(!safe.starts_with("//") && !safe.starts_with("/\\"));
        prop_assert!(!safe.chars().any(|c| c.is_control()));
    }

    #[test]
    fn token_response_parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_token_response(&bytes);
    }

    #[test]
    fn token_response_parser_never_panics_on_json_like(body in "\\{(\"(access_token|token_type|expires_in|user|id|refresh_token)\":(null|-?[0-9]{1,20}|\"[a-zA-Z]{0,5}\"|\\{\\}|\\[\\]|true),?){0,8}\\}") {
        let _ = parse_token_response(body.as_bytes());
    }

    #[test]
    fn http_url_parser_never_panics(input in ".{0,100}", prefix in "(https?://)?") {
        let _ = HttpUrl::parse("f", &format!("{prefix}{input}"));
        let _ = CanvasUrl::parse(&format!("{prefix}{input}"));
    }
}

/// Any JSON value, nested a few levels, numbers including huge and fractional ones.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<f64>().prop_filter_map("JSON numbers are finite", |n| serde_json::Number::from_f64(n).map(J::Number)),
        any::<i64>().prop_map(|n| J::Number(n.into())),
        "[ -~é\u{202e}]{0,60}".prop_map(J::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
            prop::collection::btree_map("[a-z]{1,3}", inner, 0..6).prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
}

/// An object with the keys the decoders read (and a few others), each with any value.
fn shaped(keys: &'static [&'static str]) -> impl Strategy<Value = serde_json::Value> {
    prop::collection::vec((prop::sample::select(keys), any_json()), 0..12)
        .prop_map(|pairs| serde_json::Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

const MESSAGE_KEYS: &[&str] =
    &["type", "id", "accessToken", "user", "expiresAt", "dueAt", "scopes", "canvasRegion", "returnTo", "x"];
const FLOW_KEYS: &[&str] = &["k", "v", "r", "o", "t", "p", "s", "x"];
const GRANT_KEYS: &[&str] = &["access_token", "token_type", "expires_in", "user", "canvas_region", "x"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// S11: whatever another tab posts is a typed error or a session whose values hold.
    #[test]
    fn peer_messages_decode_or_fail_cleanly(
        mut message in shaped(MESSAGE_KEYS),
        kind in prop::sample::select(&["session", "answer", "ask", "claim", "signed-out", "refresh-failed", "?"][..]),
        user in prop::option::of(any::<i32>()),
    ) {
        message["type"] = kind.into();
        if let Some(id) = user {
            message["user"] = serde_json::json!({ "id": id });
        }
        let session = match decode_peer_message(&message) {
            Ok(PeerMessage::Session(s)) | Ok(PeerMessage::Answer { session: s, .. }) => s,
            Ok(_) => return Ok(()),
            Err(e) => { prop_assert_eq!(e.code, ErrorCode::InvalidResponse); return Ok(()); }
        };
        prop_assert!(session.expires_at_ms.map_or(true, f64::is_finite));
        prop_assert!(session.due_ms.map_or(true, f64::is_finite));
        prop_assert!(session.token.as_ref().map_or(true, |t| !t.secret().is_empty()));
        if let Some(path) = &session.return_to {
            prop_assert_eq!(safe_return_path(path), path.clone());
        }
        prop_assert!(session.user["id"].as_f64().is_some_and(|id| id.fract() == 0.0));
        prop_assert!(normalize_scopes(&session.scopes).is_ok());
    }

    /// S11: a stored flow of another version or edited by hand never yields an unsafe value.
    #[test]
    fn stored_flows_decode_or_fail_cleanly(entry in shaped(FLOW_KEYS)) {
        if let Ok(flow) = decode_stored_flow(&entry) {
            prop_assert!(flow.created_ms.is_finite());
            prop_assert_eq!(safe_return_path(&flow.return_to), flow.return_to.clone());
            prop_assert!(pkce_challenge(flow.verifier.secret()).is_ok());
            prop_assert!(normalize_scopes(&flow.scopes).is_ok());
            // What decodes is written back the same way.
            let again: serde_json::Value = serde_json::from_str(&flow.to_json()).unwrap();
            prop_assert!(decode_stored_flow(&again).is_ok());
        }
    }

    /// L12/S21 on any relay answer: a userinfo-only null token, never an empty one.
    #[test]
    fn grants_decode_or_fail_cleanly(grant in shaped(GRANT_KEYS), userinfo in any::<bool>()) {
        match decode_grant(&grant, userinfo) {
            Ok(g) => {
                prop_assert!(g.access_token.is_some() || userinfo);
                prop_assert!(g.access_token.as_ref().map_or(true, |t| !t.secret().is_empty()));
            }
            Err(e) => prop_assert_eq!(e.code, ErrorCode::InvalidResponse),
        }
    }

    #[test]
    fn decoders_never_panic_on_any_json(value in any_json(), userinfo in any::<bool>()) {
        let _ = decode_peer_message(&value);
        let _ = decode_stored_flow(&value);
        let _ = decode_grant(&value, userinfo);
    }

    /// S13: the cleaned address has nothing `is_callback` or the parser would act on.
    #[test]
    fn cleaned_addresses_carry_no_authorization_response(
        parts in prop::collection::vec(("(code|state|error|iss|x|%63ode|c%6Fde|access_token|tab)", "[=a-z0-9%]{0,6}"), 0..8),
        fragment in prop::option::of("[=&a-z%]{0,16}"),
    ) {
        let query: Vec<String> = parts.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut url = format!("https://app.example/cb?{}", query.join("&"));
        if let Some(f) = fragment { url.push('#'); url.push_str(&f); }
        let cleaned = strip_callback_params(&url);
        prop_assert!(!is_callback(&cleaned), "{}", cleaned);
        prop_assert!(!cleaned.contains("access_token"), "{}", cleaned);
    }
}

/// A store holding one flow, counting lookups.
struct OneFlow(Option<PendingFlow>, usize);
impl FlowStore for OneFlow {
    fn take(&mut self, state: &str) -> Option<PendingFlow> {
        self.1 += 1;
        self.0.take_if(|flow| flow.state == state)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// L2–L8 as one property: a malformed URL never reaches the store; an exchange comes only
    /// from a well-formed code response for the stored state, at the redirect URI's endpoint.
    #[test]
    fn check_callback_accepts_only_a_matching_callback(
        path in prop::sample::select(&["/cb", "/CB", "/cb/", "/other"][..]),
        host in prop::sample::select(&["app.example", "APP.example", "evil.example"][..]),
        parts in prop::collection::vec(("(code|state|error|c%6Fde|x|access_token)", "(st8|[a-z0-9%]{0,4})"), 0..6),
        age in 0.0f64..700_000.0,
    ) {
        let query: Vec<String> = parts.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let url = format!("https://{host}{path}?{}", query.join("&"));
        let flow = PendingFlow {
            state: "st8".into(),
            verifier: PkceVerifier::from_random(&[1; 32]),
            redirect_uri: "https://app.example/cb".into(),
            canvas_origin: "https://canvas.example".into(),
            created_ms: 1e12 - age,
            return_to: "/".into(),
            scopes: Vec::new(),
        };
        let mut store = OneFlow(Some(flow), 0);
        let target = CallbackTarget { canvas_origin: "https://canvas.example", redirect_uri: "https://app.example/cb" };
        let result = check_callback(&url, &mut store, &target, 1e12);
        let parsed = parse_callback(&url);
        if parsed.is_err() {
            prop_assert_eq!(store.1, 0, "a malformed callback reached the store: {}", url);
        }
        if let Ok(exchange) = result {
            prop_assert!(matches!(parsed, Ok(Callback::Code { ref state, .. }) if state == "st8"), "{}", url);
            prop_assert!(same_endpoint(&url, "https://app.example/cb"), "{}", url);
            prop_assert!(path == "/cb" && host != "evil.example" && age <= 600_000.0);
            let expected = PkceVerifier::from_random(&[1; 32]);
            prop_assert_eq!(exchange.request.code_verifier.secret(), expected.secret());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// L17: a message from any origin but our own, or any window but our popup, is ignored,
    /// whatever it carries; from our popup, only a callback with this sign-in's state counts.
    #[test]
    fn popup_messages_from_elsewhere_are_ignored(
        origin in "(https?://)?[a-zA-Z0-9.:-]{0,30}",
        from_popup in any::<bool>(),
        kind in prop::option::of("canvas-oauth:callback|[a-z:-]{0,24}"),
        url in ".{0,200}",
        state in "p\\.[A-Za-z0-9_-]{1,43}",
    ) {
        let own = "https://app.example";
        let mut data = serde_json::json!({"url": url});
        if let Some(kind) = &kind { data["type"] = serde_json::Value::from(kind.as_str()); }
        let event = PopupEvent { from_popup, origin: &origin, own_origin: own, data: &data };
        let accepted = accept_popup_message(&event, &state);
        if accepted.is_some() {
            prop_assert!(from_popup && origin == own && kind.as_deref() == Some(POPUP_MESSAGE_TYPE));
            let parsed = parse_callback(accepted.as_deref().unwrap());
            prop_assert!(parsed.is_ok_and(|c| c.state() == state));
        }
    }

    #[test]
    fn our_popups_callback_is_accepted(code in VSCHAR, bytes in any::<[u8; 32]>()) {
        let state = popup_state(&bytes);
        let url = format!("https://app.example/cb?code={}&state={}", form(&code), form(state.as_str()));
        let data = serde_json::json!({"type": POPUP_MESSAGE_TYPE, "url": url});
        let event = PopupEvent { from_popup: true, origin: "https://app.example", own_origin: "https://app.example", data: &data };
        prop_assert_eq!(accept_popup_message(&event, state.as_str()), Some(url.clone()));
        prop_assert_eq!(popup_page(&url, true), PopupPage::Forward);
        prop_assert_eq!(popup_page(&url, false), PopupPage::OpenerLost);
    }
}

// L18: the retry back-off of throttled calls.
proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Every wait is within the policy and at least what the server asked; the retries stop after
    /// `attempts`, so the total stays within `attempts × max_delay_ms`.
    #[test]
    fn back_off_stays_within_its_budget(
        attempts in 0u32..10,
        max_delay_ms in 0u32..120_000,
        retry_after in proptest::option::of(0u32..7200),
        randoms in proptest::collection::vec(-1.0f64..2.0, 12),
    ) {
        let policy = RetryPolicy { attempts, max_delay_ms };
        let mut total: u64 = 0;
        let mut retries = 0;
        for (done, random) in randoms.iter().enumerate() {
            let Some(delay) = retry_delay_ms(policy, done as u32, retry_after, *random) else { break };
            prop_assert!(delay <= max_delay_ms);
            prop_assert!(u64::from(delay) >= u64::from(retry_after.unwrap_or(0)) * 1000);
            total += u64::from(delay);
            retries += 1;
        }
        prop_assert!(retries <= attempts);
        prop_assert!(total <= u64::from(attempts) * u64::from(max_delay_ms));
    }

    /// Any header text: Retry-After is `None` or within 0..=3600; a quota is `None` or a finite
    /// number in 0..=1e6.
    #[test]
    fn throttling_headers_are_clamped(text in ".{0,40}") {
        if let Some(secs) = parse_retry_after(Some(&text)) {
            prop_assert!(secs <= MAX_RETRY_AFTER_SECS);
        }
        if let Some(n) = parse_quota(Some(&text)) {
            prop_assert!(n.is_finite() && (0.0..=1_000_000.0).contains(&n));
        }
        let e = Error::new(ErrorCode::RateLimited, "x").with_retry_after(Some(&text));
        prop_assert!((1..=MAX_RETRY_AFTER_SECS).contains(&u32::from(e.retry_after)));
    }

    /// A plain decimal reads as what Rust's own float parser reads, to 1e-9.
    #[test]
    fn quotas_read_as_decimals(whole in 0u32..1_000_000, fraction in "[0-9]{0,9}") {
        let text = format!("{whole}.{fraction}");
        let want: f64 = text.parse().unwrap();
        let got = parse_quota(Some(&text)).unwrap();
        prop_assert!((got - want).abs() < 1e-9, "{} vs {}", got, want);
    }

    #[test]
    fn rate_limited_errors_always_say_how_long(text in ".{0,40}") {
        let e = Error::new(ErrorCode::RateLimited, "x").with_retry_after(Some(&text));
        prop_assert!((1..=MAX_RETRY_AFTER_SECS).contains(&u32::from(e.retry_after)));
        prop_assert_eq!(Error::new(ErrorCode::RelayError, "x").with_retry_after(Some(&text)).retry_after, 0);
    }
}

const RELAY: &str = "https://tool.example/relay";

/// Link targets near the boundary of the relay's API proxy.
fn link_target() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(
        &[
            "",
            RELAY,
            "https://tool.example",
            "https://tool.example/relayx",
            "//tool.example/relay",
            "/relay",
            "https://x.example/relay",
        ][..],
    );
    let path = prop::sample::select(
        &["/api/v1/", "/api/v1", "/api/graphql", "/token", "/api/v1/../", "/api/v1/%2e%2e/", "api/v1/", "//"][..],
    );
    (prefix, path, "[a-z0-9?=&%./#]{0,12}").prop_map(|(p, q, r)| format!("{p}{q}{r}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// The token follows a next link only inside the relay's API proxy; any other is a typed error.
    #[test]
    fn next_pages_stay_inside_the_relay(
        entries in prop::collection::vec((link_target(), prop::sample::select(&["next", "\"next\"", "prev", "\"current next\""][..])), 0..4),
    ) {
        let link = entries.iter().map(|(t, rel)| format!("<{t}>; rel={rel}")).collect::<Vec<_>>().join(",");
        match next_page_url(&link, RELAY, "https://tool.example") {
            Ok(None) => prop_assert!(next_link(&link).is_none()),
            Ok(Some(url)) => {
                let path = url.strip_prefix(RELAY).expect("under the relay");
                prop_assert!(is_api_path(path), "{url}");
                prop_assert_eq!(relay_api_url(RELAY, &url), Ok(url.clone()));
            }
            Err(e) => prop_assert_eq!(e.code, ErrorCode::InvalidResponse),
        }
    }

    /// Any parsed 401 body: only Canvas's exact message means "refresh once".
    #[test]
    fn only_the_invalid_token_message_asks_for_a_refresh(body in any_json(), message in "[ -~]{0,30}") {
        let wrapped = serde_json::json!({ "errors": [{ "message": message }] });
        prop_assert_eq!(is_invalid_token(&wrapped), message == INVALID_TOKEN_MESSAGE);
        let _ = is_invalid_token(&body);
    }
}
