use super::*;
use base64::Engine as _;
use std::collections::HashMap;

fn base() -> HashMap<&'static str, String> {
    HashMap::from([
        ("CANVAS_URL", "https://canvas.example.edu".to_string()),
        ("CANVAS_CLIENT_ID", "10000000000001".to_string()),
        ("CANVAS_CLIENT_SECRET", "s3cret".to_string()),
        ("CANVAS_REDIRECT_URI", "https://app.example.edu/callback".to_string()),
        ("RELAY_ALLOWED_ORIGINS", "https://app.example.edu".to_string()),
        ("RELAY_COOKIE_KEYS", format!("k1:{}", base64::engine::general_purpose::STANDARD.encode([7u8; 32]))),
    ])
}

fn load(vars: &HashMap<&'static str, String>) -> Result<RelayConfig, ConfigError> {
    RelayConfig::from_lookup(|n| vars.get(n).cloned())
}

#[test]
fn defaults() {
    let c = load(&base()).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.metrics_listen, None, "metrics are off by default");
    assert_eq!(c.log_format, crate::LogFormat::Text);
    assert_eq!(c.base_path, "/");
    assert_eq!(c.token_url(), "https://canvas.example.edu/login/oauth2/token");
    assert_eq!(c.api_allow, vec![ApiRule { methods: vec!["GET".into()], prefix: "/api/v1/".into() }]);
    assert!(!format!("{c:?}").contains("s3cret"));
    assert_eq!((c.max_inflight, c.max_requests), (64, 128), "requests handled at once: 2 × upstream slots");
}

#[test]
fn each_error_names_its_variable() {
    let cases: &[(&str, Option<&str>)] = &[
        ("CANVAS_URL", None),
        ("CANVAS_URL", Some("http://canvas.example.edu")),
        ("CANVAS_URL", Some("https://canvas.example.edu/path")),
        ("CANVAS_CLIENT_ID", Some("abc")),
        ("CANVAS_CLIENT_SECRET", None),
        ("CANVAS_REDIRECT_URI", Some("not a url")),
        ("RELAY_LISTEN", Some("nowhere")),
        ("RELAY_METRICS_LISTEN", Some("localhost")),
        // The public listener's port: metrics would be public.
        ("RELAY_METRICS_LISTEN", Some("127.0.0.1:8080")),
        ("RELAY_LOG_FORMAT", Some("xml")),
        ("RELAY_ALLOWED_ORIGINS", Some("https://app.example.edu/path")),
        ("RELAY_ALLOWED_ORIGINS", None),
        ("RELAY_COOKIE_KEYS", Some("k1:short")),
        ("RELAY_COOKIE_KEYS", Some("nokid")),
        ("RELAY_BASE_PATH", Some("relay")),
        ("RELAY_API_ALLOW", Some("GET:/login/")),
        ("RELAY_API_ALLOW", Some("BREW:/api/v1/")),
        ("RELAY_STATIC_DIR", Some("/nonexistent/dir")),
        ("LTI_PRIVATE_KEY_FILE", Some("/nonexistent/key.pem")),
        ("RELAY_UPSTREAM_TIMEOUT_MS", Some("soon")),
        ("RELAY_BODY_TIMEOUT_MS", Some("0")),
        ("RELAY_FRAME_ANCESTORS", Some("https://a.example; script-src *")),
        ("RELAY_MAX_CONNECTIONS_PER_IP", Some("0")),
        ("RELAY_MAX_REQUESTS", Some("0")),
        // A caller token without a key (the key is what enables /lti/token).
        ("LTI_CALLER_TOKEN", Some("0123456789abcdef0123456789abcdef")),
    ];
    for (var, value) in cases {
        let mut vars = base();
        match value {
            Some(v) => vars.insert(var, v.to_string()),
            None => vars.remove(var),
        };
        let e = load(&vars).unwrap_err();
        assert_eq!(e.variable, *var, "{e}");
        assert!(e.to_string().starts_with(var));
    }
}

#[test]
fn lti_caller_token_is_checked() {
    let dir = std::env::temp_dir().join(format!("relay-cfg-lti-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keyfile = dir.join("key.pem");
    std::fs::write(&keyfile, include_str!("../../tests/data/lti-test-private.pem")).unwrap();
    let mut vars = base();
    vars.insert("LTI_PRIVATE_KEY_FILE", keyfile.display().to_string());
    vars.insert("LTI_SCOPES", "https://purl.imsglobal.org/spec/lti-ags/scope/score".to_string());
    // Key alone: loads, /lti/token stays closed.
    assert!(load(&vars).unwrap().lti_caller_token.is_none());
    vars.insert("LTI_CALLER_TOKEN", "too-short".to_string());
    let e = load(&vars).unwrap_err();
    assert_eq!(e.variable, "LTI_CALLER_TOKEN");
    assert!(!e.to_string().contains("too-short"), "never echoes the secret: {e}");
    vars.insert("LTI_CALLER_TOKEN", "0123456789abcdef0123456789abcdef".to_string());
    let c = load(&vars).unwrap();
    assert_eq!(c.lti_caller_token.as_ref().unwrap().secret().len(), 32);
    assert!(!format!("{c:?}").contains("0123456789abcdef"));
}

#[test]
fn toml_file_and_lists() {
    let text = format!(
        "canvas_url = \"http://127.0.0.1:9000\"\nCANVAS_CLIENT_ID = \"10000000000001\"\ncanvas_client_secret = \"x\"\n\
         canvas_redirect_uri = \"http://localhost:8080/\"\nrelay_allowed_origins = [\"http://localhost:8080\", \"http://127.0.0.1:8080\"]\n\
         relay_cookie_keys = [\"new:{k}\", \"old:{k2}\"]\nrelay_base_path = \"/canvas-relay/\"\nrelay_max_inflight = 3\n\
         relay_api_allow = \"GET|POST:/api/v1/courses, GET:/api/v1/users/self\"\n",
        k = base64::engine::general_purpose::STANDARD.encode([1u8; 32]),
        k2 = base64::engine::general_purpose::STANDARD.encode([2u8; 32]),
    );
    let c = RelayConfig::from_toml(&text).unwrap();
    assert_eq!(c.allowed_origins, vec!["http://localhost:8080", "http://127.0.0.1:8080"]);
    assert_eq!(c.cookie_keys.len(), 2);
    assert_eq!(c.cookie_keys[0].kid, "new");
    assert_eq!(c.base_path, "/canvas-relay");
    assert_eq!(c.max_inflight, 3);
    assert_eq!(c.max_requests, 6, "2 × RELAY_MAX_INFLIGHT unless set");
    let set = RelayConfig::from_toml(&format!("{text}relay_max_requests = 1000\n")).unwrap();
    assert_eq!(set.max_requests, 1000);
    assert_eq!(c.api_allow[0].methods, vec!["GET", "POST"]);
    // An unknown key is refused with its name (deny_unknown_fields), as is a key given twice.
    let bad = RelayConfig::from_toml(&format!("{text}canvas_urll = \"x\"")).unwrap_err();
    assert_eq!(bad.variable, "CANVAS_URLL", "{bad}");
    assert!(bad.message.contains("not a relay setting"), "{bad}");
    let twice = RelayConfig::from_toml(&format!("{text}CANVAS_URL = \"https://a.example\"")).unwrap_err();
    assert_eq!(twice.variable, "CANVAS_URL", "{twice}");
}

#[test]
fn http_only_to_this_machine_unless_allowed() {
    // Lookalikes of loopback are not loopback (core's rule, S8).
    for url in ["http://127.0.0.1.evil.example", "http://127.evil.example", "http://localhost.evil.example:80"] {
        let mut vars = base();
        vars.insert("CANVAS_URL", url.to_string());
        let e = load(&vars).unwrap_err();
        assert_eq!(e.variable, "CANVAS_URL", "{url}: {e}");
        assert!(e.message.contains("RELAY_ALLOW_INSECURE_HTTP"), "{e}");
    }
    let insecure: &[(&str, &str)] = &[
        ("CANVAS_URL", "http://canvas.internal:8080"),
        ("RELAY_PUBLIC_URL", "http://relay.example.edu/canvas-relay"),
        ("RELAY_ALLOWED_ORIGINS", "https://app.example.edu, http://app.example.edu"),
        ("RELAY_ALLOWED_ORIGINS", "http://127.0.0.1.nip.io:8080"),
    ];
    for (var, value) in insecure {
        let mut vars = base();
        vars.insert(var, value.to_string());
        let e = load(&vars).unwrap_err();
        assert_eq!(e.variable, *var, "{value}: {e}");
        vars.insert("RELAY_ALLOW_INSECURE_HTTP", "1".to_string());
        assert!(load(&vars).is_ok(), "{var}={value} with the flag");
        vars.insert("RELAY_ALLOW_INSECURE_HTTP", "0".to_string());
        assert_eq!(load(&vars).unwrap_err().variable, *var);
    }
    // Loopback http needs no flag (npm start, the test scripts).
    let mut vars = base();
    vars.insert("CANVAS_URL", "http://127.0.0.1:3000".to_string());
    vars.insert("RELAY_ALLOWED_ORIGINS", "http://localhost:8080 http://127.0.0.1:17102 http://[::1]:8080".to_string());
    vars.insert("RELAY_PUBLIC_URL", "http://app.localhost:8080/r".to_string());
    let c = load(&vars).unwrap();
    assert_eq!(c.allowed_origins.len(), 3);
    vars.insert("RELAY_ALLOW_INSECURE_HTTP", "maybe".to_string());
    assert_eq!(load(&vars).unwrap_err().variable, "RELAY_ALLOW_INSECURE_HTTP");
}

#[test]
fn secrets_never_appear_in_errors() {
    let k = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
    let base_toml = format!(
        "canvas_url = \"https://c.example\"\ncanvas_client_id = \"10000000000001\"\n\
         canvas_redirect_uri = \"https://app.example/\"\nrelay_allowed_origins = \"https://app.example\"\n\
         relay_cookie_keys = \"k1:{k}\"\n"
    );
    for secret in ["98765.4321", "987654321", "true", "[\"9876-secret\"]", "{ a = \"9876-secret\" }"] {
        let e = RelayConfig::from_toml(&format!("{base_toml}canvas_client_secret = {secret}\n")).unwrap_err();
        assert_eq!(e.variable, "CANVAS_CLIENT_SECRET", "{e}");
        assert!(!e.to_string().contains("9876"), "{e}");
    }
    let c = RelayConfig::from_toml(&format!("{base_toml}canvas_client_secret = \"9876-secret\"\n")).unwrap();
    assert!(!format!("{c:?}").contains("9876"));
    // A cookie key that is not 32 bytes: its kid is named, its bytes are not.
    let mut vars = base();
    vars.insert("RELAY_COOKIE_KEYS", "k1:c2VjcmV0a2V5Ynl0ZXM=".to_string());
    let e = load(&vars).unwrap_err();
    assert!(!e.to_string().contains("c2VjcmV0") && e.to_string().contains("k1"), "{e}");
    // A proxy URL may carry a password.
    vars = base();
    vars.insert("RELAY_UPSTREAM_PROXY", "socks5://user:pr0xypass@proxy.example:1080".to_string());
    let e = load(&vars).unwrap_err();
    assert_eq!(e.variable, "RELAY_UPSTREAM_PROXY");
    assert!(!e.to_string().contains("pr0xypass"), "{e}");
    vars.insert("RELAY_UPSTREAM_PROXY", "http://user:pr0xypass@proxy.example:3128".to_string());
    let c = load(&vars).unwrap();
    assert_eq!(c.upstream_proxy.as_ref().unwrap().0.host_str(), Some("proxy.example"));
    assert!(!format!("{c:?}").contains("pr0xypass"));
}

#[test]
fn body_limits() {
    let c = load(&base()).unwrap();
    assert_eq!((c.max_api_body, c.api_body_budget), (256 * 1024, 16 << 20));
    let mut vars = base();
    vars.insert("RELAY_MAX_API_BODY", "65536".to_string());
    vars.insert("RELAY_API_BODY_BUDGET", "1000".to_string());
    assert_eq!(load(&vars).unwrap_err().variable, "RELAY_API_BODY_BUDGET");
    vars.remove("RELAY_API_BODY_BUDGET");
    vars.insert("RELAY_MAX_API_BODY", (32u64 << 20).to_string());
    assert_eq!(load(&vars).unwrap().api_body_budget, 32 << 20, "the budget holds at least one body");
}

#[test]
fn graphql_is_off_by_default_and_only_post_api_graphql() {
    let c = load(&base()).unwrap();
    assert!(!c.graphql_enabled());
    assert_eq!(c.max_graphql_body, 64 * 1024);
    let mut vars = base();
    vars.insert("RELAY_API_ALLOW", "GET:/api/v1/ POST:/api/graphql".to_string());
    vars.insert("RELAY_MAX_GRAPHQL_BODY", "2048".to_string());
    let c = load(&vars).unwrap();
    assert!(c.graphql_enabled());
    assert_eq!(c.max_graphql_body, 2048);
    for bad in
        ["GET:/api/graphql", "POST|GET:/api/graphql", "POST:/api/graphql/", "POST:/api/graphqlx", "PUT:/api/graphql"]
    {
        let mut vars = base();
        vars.insert("RELAY_API_ALLOW", bad.to_string());
        let e = load(&vars).unwrap_err();
        assert_eq!(e.variable, "RELAY_API_ALLOW", "{bad}");
    }
    let mut vars = base();
    vars.insert("RELAY_MAX_GRAPHQL_BODY", "10".to_string());
    assert_eq!(load(&vars).unwrap_err().variable, "RELAY_MAX_GRAPHQL_BODY");
}

/// R9: the embedded cookie mode only over https, refused otherwise with the variable named.
#[test]
fn embedded_cookie_mode_needs_https() {
    let mut vars = base();
    assert_eq!(load(&vars).unwrap().cookie_mode, CookieMode::Strict, "the default");
    vars.insert("RELAY_COOKIE_MODE", "embedded".to_string());
    assert_eq!(load(&vars).unwrap().cookie_mode, CookieMode::Embedded, "https origins: a deployment");
    vars.insert("RELAY_COOKIE_MODE", "Embedded".to_string());
    assert_eq!(load(&vars).unwrap_err().variable, "RELAY_COOKIE_MODE");
    // Local development over plain http: no Secure cookie, so no embedded mode.
    let mut vars = base();
    vars.insert("RELAY_COOKIE_MODE", "embedded".to_string());
    vars.insert("CANVAS_URL", "http://127.0.0.1:3000".to_string());
    vars.insert("RELAY_ALLOWED_ORIGINS", "http://localhost:8080".to_string());
    let e = load(&vars).unwrap_err();
    assert_eq!(e.variable, "RELAY_COOKIE_MODE", "{e}");
    assert!(e.message.contains("https") && e.message.contains("RELAY_PUBLIC_URL"), "{e}");
    vars.insert("RELAY_PUBLIC_URL", "http://localhost:8080".to_string());
    assert_eq!(load(&vars).unwrap_err().variable, "RELAY_COOKIE_MODE", "an http public URL");
    vars.insert("RELAY_PUBLIC_URL", "https://app.test:17300".to_string());
    assert_eq!(load(&vars).unwrap().cookie_mode, CookieMode::Embedded, "TLS in front of a loopback relay");
}

#[test]
fn metrics_listener_and_json_logs() {
    let mut vars = base();
    vars.insert("RELAY_METRICS_LISTEN", "127.0.0.1:9464".into());
    vars.insert("RELAY_LOG_FORMAT", "json".into());
    let c = load(&vars).unwrap();
    assert_eq!(c.metrics_listen.map(|a| a.to_string()).as_deref(), Some("127.0.0.1:9464"));
    assert_eq!(c.log_format, crate::LogFormat::Json);
}

#[test]
fn redis_is_off_by_default_and_its_url_never_shown() {
    let c = load(&base()).unwrap();
    assert!(c.redis_url.is_none());
    assert_eq!(c.redis_timeout, Duration::from_millis(100));
    let mut vars = base();
    for bad in [
        "redis//:r3dispass@cache:6379",
        "https://:r3dispass@cache",
        "rediss://:r3dispass@cache:6380",
        "redis://:r3dispass@",
    ] {
        vars.insert("RELAY_REDIS_URL", bad.to_string());
        let e = load(&vars).unwrap_err();
        assert_eq!(e.variable, "RELAY_REDIS_URL", "{bad}: {e}");
        assert!(!e.to_string().contains("r3dispass"), "{e}");
    }
    vars.insert("RELAY_REDIS_URL", "redis://:r3dispass@cache.internal:6380/2".to_string());
    vars.insert("RELAY_REDIS_TIMEOUT_MS", "0".to_string());
    assert_eq!(load(&vars).unwrap_err().variable, "RELAY_REDIS_TIMEOUT_MS");
    vars.insert("RELAY_REDIS_TIMEOUT_MS", "250".to_string());
    let c = load(&vars).unwrap();
    assert_eq!(c.redis_url.as_ref().unwrap().shown(), "redis://cache.internal:6380");
    assert_eq!(c.redis_timeout, Duration::from_millis(250));
    assert!(!format!("{c:?}").contains("r3dispass"));
}
