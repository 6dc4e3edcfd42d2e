//! LTI Advantage client_credentials (R8, docs/canvas.md §3.5): the relay signs the RS256
//! assertion itself and publishes its public key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use ring::rsa::PublicKeyComponents;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;
use sha2::{Digest, Sha256};
use std::fmt;

/// Assertion lifetime: Canvas accepts iat up to 300 s old; we stay well inside it.
pub const ASSERTION_TTL_SECS: u64 = 300;

/// The relay's RS256 signing key, held by ring: constant-time RSA with blinding, unlike the `rsa`
/// crate (RUSTSEC-2023-0071, S18).
pub struct SigningKey {
    pair: RsaKeyPair,
    public: PublicKeyComponents<Vec<u8>>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({} bits, [redacted])", self.pair.public().modulus_len() * 8)
    }
}

impl SigningKey {
    /// An RSA private key (2048 to 4096 bits) in PKCS#8 or PKCS#1 PEM.
    pub fn from_pem(pem: &[u8]) -> Result<Self, String> {
        let pair = match PrivateKeyDer::from_pem_slice(pem) {
            Ok(PrivateKeyDer::Pkcs8(der)) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()),
            Ok(PrivateKeyDer::Pkcs1(der)) => RsaKeyPair::from_der(der.secret_pkcs1_der()),
            _ => return Err("not an RSA private key in PKCS#8 or PKCS#1 PEM".into()),
        }
        .map_err(|e| format!("not a usable RSA signing key ({e})"))?;
        let public = PublicKeyComponents::from(pair.public());
        Ok(Self { pair, public })
    }
}

/// A stable key id from the public key: base64url(SHA-256(n || e))[..16].
pub fn default_kid(key: &SigningKey) -> String {
    let mut h = Sha256::new();
    h.update(&key.public.n);
    h.update(&key.public.e);
    URL_SAFE_NO_PAD.encode(h.finalize())[..16].to_string()
}

/// The JWK of the public half.
pub fn public_jwk(key: &SigningKey, kid: &str) -> serde_json::Value {
    serde_json::json!({
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(&key.public.n),
        "e": URL_SAFE_NO_PAD.encode(&key.public.e),
    })
}

/// Signs the client_credentials assertion: iss = sub = client_id, aud = token URL,
/// iat = now, exp = now + 300, random jti; header {alg RS256, typ JWT, kid}.
pub fn sign_assertion(key: &SigningKey, kid: &str, client_id: &str, aud: &str, now: u64) -> String {
    let rng = SystemRandom::new();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let mut jti = [0u8; 16];
    rng.fill(&mut jti).expect("the OS random source is available");
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
    let mut sig = vec![0u8; key.pair.public().modulus_len()];
    key.pair.sign(&RSA_PKCS1_SHA256, &rng, signing_input.as_bytes(), &mut sig).expect("RS256 signing of a short input");
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
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
    use ring::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};

    pub fn test_key() -> SigningKey {
        SigningKey::from_pem(include_bytes!("../tests/data/lti-test-private.pem")).unwrap()
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
        let public = RsaPublicKeyComponents { n: &key.public.n, e: &key.public.e };
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        public.verify(&RSA_PKCS1_2048_8192_SHA256, format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig).unwrap();
        let mut tampered = sig.clone();
        tampered[0] ^= 1;
        assert!(public
            .verify(&RSA_PKCS1_2048_8192_SHA256, format!("{}.{}", parts[0], parts[1]).as_bytes(), &tampered)
            .is_err());
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

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn pem_forms_and_refusals() {
        let pem = include_bytes!("../tests/data/lti-test-private.pem");
        let key = SigningKey::from_pem(pem).unwrap();
        assert_eq!(public_jwk(&key, "k")["e"], "AQAB");
        assert!(!format!("{key:?}").contains("MII"), "Debug is redacted");
        assert!(SigningKey::from_pem(b"not pem").is_err());
        let cert = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(SigningKey::from_pem(cert).is_err());
    }
}
