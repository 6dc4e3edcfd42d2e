//! LTI Advantage client_credentials (R8, docs/canvas.md §3.5): the relay signs the RS256
//! assertion itself and publishes its public key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use sha2::{Digest, Sha256};

/// Assertion lifetime: Canvas accepts iat up to 300 s old; we stay well inside it.
pub const ASSERTION_TTL_SECS: u64 = 300;

/// A stable key id from the public key: base64url(SHA-256(n || e))[..16].
pub fn default_kid(key: &RsaPrivateKey) -> String {
    let mut h = Sha256::new();
    h.update(key.n().to_bytes_be());
    h.update(key.e().to_bytes_be());
    URL_SAFE_NO_PAD.encode(h.finalize())[..16].to_string()
}

/// The JWK of the public half.
pub fn public_jwk(key: &RsaPrivateKey, kid: &str) -> serde_json::Value {
    serde_json::json!({
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

/// Signs the client_credentials assertion: iss = sub = client_id, aud = token URL,
/// iat = now, exp = now + 300, random jti; header {alg RS256, typ JWT, kid}.
pub fn sign_assertion(key: &RsaPrivateKey, kid: &str, client_id: &str, aud: &str, now: u64) -> String {
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let mut jti = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut jti);
    let claims = serde_json::json!({
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "iat": now,
        "exp": now + ASSERTION_TTL_SECS,
        "jti": URL_SAFE_NO_PAD.encode(jti),
    });
    let signing_input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signer = SigningKey::<Sha256>::new(key.clone());
    let sig = signer.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

/// Checks a requested scope list against the allow-list: non-empty, every scope allowed, no
/// duplicates. Returns the normalised space-joined list.
pub fn check_scopes(requested: &str, allowed: &[String]) -> Result<String, String> {
    let scopes: Vec<&str> = requested.split(' ').filter(|s| !s.is_empty()).collect();
    if scopes.is_empty() {
        return Err("scope is required".into());
    }
    if requested.len() > 2048 {
        return Err("scope is too long".into());
    }
    for (i, s) in scopes.iter().enumerate() {
        if !allowed.iter().any(|a| a == s) {
            return Err("a requested scope is not allowed by this relay".into());
        }
        if scopes[..i].contains(s) {
            return Err("a scope is repeated".into());
        }
    }
    Ok(scopes.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::Verifier;

    pub fn test_key() -> RsaPrivateKey {
        let pem = include_str!("../tests/data/lti-test-private.pem");
        RsaPrivateKey::from_pkcs8_pem(pem).unwrap()
    }

    #[test]
    fn assertion_claims_and_signature() {
        let key = test_key();
        let kid = default_kid(&key);
        let jwt = sign_assertion(&key, &kid, "10000000000005", "https://c.example/login/oauth2/token", 1_700_000_000);
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header, serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid}));
        let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "10000000000005");
        assert_eq!(claims["sub"], "10000000000005");
        assert_eq!(claims["aud"], "https://c.example/login/oauth2/token");
        assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 300);
        let verifier = VerifyingKey::<Sha256>::new(key.to_public_key());
        let sig = Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
        verifier.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig).unwrap();
        let other = sign_assertion(&key, &kid, "1", "a", 0);
        let jti = |j: &str| {
            let c: serde_json::Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(j.split('.').nth(1).unwrap()).unwrap()).unwrap();
            c["jti"].as_str().unwrap().to_string()
        };
        assert_ne!(jti(&jwt), jti(&other));
        let jwk = public_jwk(&key, &kid);
        assert_eq!(jwk["kid"], kid.as_str());
        assert_eq!(jwk["e"], "AQAB");
    }

    #[test]
    fn scope_allow_list() {
        let allowed =
            vec!["https://purl.imsglobal.org/spec/lti-ags/scope/score".to_string(), "https://x/b".to_string()];
        assert_eq!(check_scopes("https://x/b", &allowed).unwrap(), "https://x/b");
        assert!(check_scopes("", &allowed).is_err());
        assert!(check_scopes("https://x/b https://x/c", &allowed).is_err());
        assert!(check_scopes("https://x/b https://x/b", &allowed).is_err());
    }
}
