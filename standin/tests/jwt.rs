//! grant_type=client_credentials with RS256 JWT assertions (§3.5), keys generated here.
mod common;

use canvas_standin::jwt::{public_jwk, sign_hs256, sign_rs256};
use canvas_standin::{default_seed, Config, DeveloperKey};
use common::*;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};
use std::sync::OnceLock;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SCOPE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
const JWK_KEY: &str = "10000000000101";
const URL_KEY: &str = "10000000000102";
const BARE_KEY: &str = "10000000000103";

fn keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
    static K: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
    K.get_or_init(|| {
        let mut rng = rand::thread_rng();
        (RsaPrivateKey::new(&mut rng, 2048).unwrap(), RsaPrivateKey::new(&mut rng, 2048).unwrap())
    })
}

fn lti_key(id: &str) -> DeveloperKey {
    let mut k = default_seed().developer_keys[4].clone();
    k.id = id.parse().unwrap();
    k.public_jwk = None;
    k
}

/// Serves `body` as the JWK set at http://127.0.0.1:PORT/jwks for any number of requests.
async fn jwks_server(body: String) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/jwks", axum::routing::get(move || async move { ([("content-type", "application/json")], body) }));
    tokio::spawn(async move { axum::serve(l, app).await });
    format!("http://{addr}/jwks")
}

async fn setup(jwks_body: Option<String>) -> Standin {
    let (a, _) = keys();
    let mut seed = default_seed();
    let mut k1 = lti_key(JWK_KEY);
    k1.public_jwk = Some(public_jwk(&RsaPublicKey::from(a), "k1"));
    let mut k2 = lti_key(URL_KEY);
    k2.public_jwk_url = Some(
        jwks_server(
            jwks_body.unwrap_or_else(|| json!({"keys": [public_jwk(&RsaPublicKey::from(a), "k1")]}).to_string()),
        )
        .await,
    );
    let k3 = lti_key(BARE_KEY);
    seed.developer_keys.extend([k1, k2, k3]);
    start(Config { seed, ..Config::default() }).await
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn claims(s: &Standin, sub: &str) -> Value {
    let t = now();
    json!({"iss": "tool", "sub": sub, "aud": format!("{}/login/oauth2/token", s.base), "iat": t, "exp": t + 300, "jti": "j1"})
}

async fn cc(s: &Standin, assertion: &str, scope: Option<&str>) -> Resp {
    let mut p = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    if let Some(sc) = scope {
        p.push(("scope", sc));
    }
    s.token(&p).await
}

fn sign(c: &Value) -> String {
    sign_rs256(c, &keys().0, Some("k1"))
}

async fn expect_invalid_request(s: &Standin, c: &Value, msg: &str) {
    let r = cc(s, &sign(c), Some(SCOPE)).await;
    assert_oauth_error(&r, 400, "invalid_request", msg);
}

#[tokio::test]
async fn successful_assertion_and_no_jti_replay_check() {
    let s = setup(None).await;
    let a = sign(&claims(&s, JWK_KEY));
    for _ in 0..2 {
        let r = cc(&s, &a, Some(SCOPE)).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        let mut k: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        assert_eq!(k, ["access_token", "expires_in", "scope", "token_type"]);
        assert_eq!(
            (v["expires_in"].as_i64(), v["scope"].as_str(), v["token_type"].as_str()),
            (Some(3600), Some(SCOPE), Some("Bearer"))
        );
        // The access token is an RS256 JWT verifiable with /login/oauth2/jwks ("external" audience).
        let jws = canvas_standin::jwt::decode_unverified(v["access_token"].as_str().unwrap()).unwrap();
        let set = request("GET", &s.url("/login/oauth2/jwks"), &[], None).await.json();
        let key = canvas_standin::jwt::rsa_from_jwk(&set["keys"][0]).unwrap();
        assert!(canvas_standin::jwt::verify_rs256(&jws, &key));
        assert_eq!(jws.claims["sub"], JWK_KEY);
        assert_eq!(jws.claims["aud"], format!("{}/login/oauth2/token", s.base));
        assert_eq!(jws.claims["exp"].as_i64().unwrap() - jws.claims["iat"].as_i64().unwrap(), 3600);
    }
    // aud as an array that contains the token URL.
    let mut c = claims(&s, JWK_KEY);
    c["aud"] = json!(["https://other", format!("{}/login/oauth2/token", s.base)]);
    assert_eq!(cc(&s, &sign(&c), Some(SCOPE)).await.status, 200);
    // iat 20 s in the future is inside the window; iss is not checked.
    let mut c = claims(&s, JWK_KEY);
    c["iat"] = json!(now() + 20);
    c["iss"] = json!(12345);
    assert_eq!(cc(&s, &sign(&c), Some(SCOPE)).await.status, 200);
}

#[tokio::test]
async fn signature_and_client_errors() {
    let s = setup(None).await;
    // Unknown or missing sub: 401 unknown client.
    let mut c = claims(&s, "424242");
    assert_oauth_error(&cc(&s, &sign(&c), Some(SCOPE)).await, 401, "invalid_client", "unknown client");
    c.as_object_mut().unwrap().remove("sub");
    assert_oauth_error(&cc(&s, &sign(&c), Some(SCOPE)).await, 401, "invalid_client", "unknown client");
    assert_oauth_error(&cc(&s, "not-a-jwt", Some(SCOPE)).await, 401, "invalid_client", "unknown client");
    // Wrong key, HS256, no key configured: JWS signature invalid.
    let other = sign_rs256(&claims(&s, JWK_KEY), &keys().1, Some("k1"));
    assert_oauth_error(&cc(&s, &other, Some(SCOPE)).await, 400, "invalid_request", "JWS signature invalid.");
    let hs = sign_hs256(&claims(&s, JWK_KEY), b"secret");
    assert_oauth_error(&cc(&s, &hs, Some(SCOPE)).await, 400, "invalid_request", "JWS signature invalid.");
    assert_oauth_error(
        &cc(&s, &sign(&claims(&s, BARE_KEY)), Some(SCOPE)).await,
        400,
        "invalid_request",
        "JWS signature invalid.",
    );
    // Scopes: none, or one the key lacks.
    let a = sign(&claims(&s, JWK_KEY));
    let prefix = "A requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner. The following scopes were requested, but not granted: ";
    assert_oauth_error(&cc(&s, &a, None).await, 400, "invalid_scope", prefix);
    assert_oauth_error(&cc(&s, &a, Some(&format!("{SCOPE} x:y"))).await, 400, "invalid_scope", &format!("{prefix}x:y"));
}

#[tokio::test]
async fn claim_checks() {
    let s = setup(None).await;
    let mut c = claims(&s, JWK_KEY);
    c.as_object_mut().unwrap().remove("jti");
    c.as_object_mut().unwrap().remove("iss");
    c["aud"] = json!("https://wrong");
    expect_invalid_request(&s, &c, "the following assertions are missing: jti, iss").await;
    let mut c = claims(&s, JWK_KEY);
    c["aud"] = json!(format!("{}/login/oauth2/token", s.base.rsplit_once(':').unwrap().0)); // no port
    expect_invalid_request(&s, &c, "the 'aud' is invalid").await;
    let mut c = claims(&s, JWK_KEY);
    c["exp"] = json!(now() - 5);
    expect_invalid_request(&s, &c, "the JWT has expired").await;
    let mut c = claims(&s, JWK_KEY);
    c["exp"] = json!("soon");
    c["iat"] = json!("now");
    expect_invalid_request(&s, &c, "the 'exp' must be a number | the 'iat' must be a number").await;
    let mut c = claims(&s, JWK_KEY);
    c["iat"] = json!(now() - 301);
    expect_invalid_request(&s, &c, "the 'iat' must be less than 300 seconds old").await;
    let mut c = claims(&s, JWK_KEY);
    c["iat"] = json!(now() + 60);
    c["aud"] = json!("https://wrong/login/oauth2/token");
    expect_invalid_request(&s, &c, "the 'aud' is invalid | the 'iat' must not be in the future").await;
}

#[tokio::test]
async fn public_jwk_url_selects_by_kid() {
    let s = setup(None).await;
    let ok = sign_rs256(&claims(&s, URL_KEY), &keys().0, Some("k1"));
    assert_eq!(cc(&s, &ok, Some(SCOPE)).await.status, 200);
    let bad_kid = sign_rs256(&claims(&s, URL_KEY), &keys().0, Some("nope"));
    let r = cc(&s, &bad_kid, Some(SCOPE)).await;
    assert_eq!(r.status, 400);
    let d = r.json()["error_description"].as_str().unwrap().to_string();
    assert!(d.starts_with("JWK Error: ") && d.contains("KidNotFound"), "{d}");
    let wrong_key = sign_rs256(&claims(&s, URL_KEY), &keys().1, Some("k1"));
    assert_oauth_error(&cc(&s, &wrong_key, Some(SCOPE)).await, 400, "invalid_request", "JWS signature invalid.");
    let broken = setup(Some("{not json".into())).await;
    let a = sign_rs256(&claims(&broken, URL_KEY), &keys().0, Some("k1"));
    assert_oauth_error(&cc(&broken, &a, Some(SCOPE)).await, 400, "invalid_request", "JWK Error: Invalid JSON");
}

#[tokio::test]
async fn unreachable_public_jwk_url_is_a_jwk_error() {
    // A port nothing listens on any more.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let mut seed = default_seed();
    let mut k = lti_key(URL_KEY);
    k.public_jwk_url = Some(format!("http://{closed}/jwks"));
    seed.developer_keys.push(k);
    let s = start(Config { seed, ..Config::default() }).await;
    let a = sign_rs256(&claims(&s, URL_KEY), &keys().0, Some("k1"));
    let r = cc(&s, &a, Some(SCOPE)).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["error"], "invalid_request");
    let d = r.json()["error_description"].as_str().unwrap().to_string();
    assert!(d.starts_with("JWK Error: ") && d != "JWK Error: Invalid JSON", "{d}");
}

#[tokio::test]
async fn symmetric_client_credentials() {
    let s = setup(None).await;
    // Non-external key: assertion method not permitted.
    let r = s
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("scope", SCOPE),
        ])
        .await;
    assert_oauth_error(&r, 400, "invalid_request", "assertion method not supported for this grant_type");
    let r = s
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", LTI),
            ("client_secret", "wrong"),
            ("scope", SCOPE),
        ])
        .await;
    assert_oauth_error(&r, 401, "invalid_client", "invalid client");
    let r = s
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", LTI),
            ("client_secret", "standin-secret-lti"),
            ("scope", SCOPE),
        ])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // HTTP Basic is ignored for client_credentials.
    use base64::Engine;
    let basic =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{LTI}:standin-secret-lti")));
    let r = request(
        "POST",
        &s.url("/login/oauth2/token"),
        &[("Authorization", &basic)],
        Some(("application/x-www-form-urlencoded", form(&[("grant_type", "client_credentials"), ("scope", SCOPE)]))),
    )
    .await;
    assert_oauth_error(&r, 401, "invalid_client", "unknown client");
}
