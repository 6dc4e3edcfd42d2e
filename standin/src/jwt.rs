//! Minimal JWS handling: decode, RS256 verify with a JWK, RS256/HS256 sign.

use crate::util::{b64url, b64url_decode};
use hmac::{Hmac, Mac};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};
use sha2::Sha256;

/// A compact JWS split into its parts (signature not yet verified).
pub struct Jws {
    pub header: Value,
    pub claims: Value,
    pub signing_input: String,
    pub signature: Vec<u8>,
}

/// Splits and decodes a compact JWS without verifying it.
pub fn decode_unverified(token: &str) -> Option<Jws> {
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&b64url_decode(h)?).ok()?;
    let claims: Value = serde_json::from_slice(&b64url_decode(c)?).ok()?;
    if !header.is_object() || !claims.is_object() {
        return None;
    }
    Some(Jws { header, claims, signing_input: format!("{h}.{c}"), signature: b64url_decode(s)? })
}

/// An RSA public key from a JWK (`kty` RSA, `n`, `e`).
pub fn rsa_from_jwk(jwk: &Value) -> Option<RsaPublicKey> {
    if jwk.get("kty")?.as_str()? != "RSA" {
        return None;
    }
    let n = BigUint::from_bytes_be(&b64url_decode(jwk.get("n")?.as_str()?)?);
    let e = BigUint::from_bytes_be(&b64url_decode(jwk.get("e")?.as_str()?)?);
    RsaPublicKey::new(n, e).ok()
}

/// Verifies an RS256 signature (the header must say RS256).
pub fn verify_rs256(jws: &Jws, key: &RsaPublicKey) -> bool {
    if jws.header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return false;
    }
    let Ok(sig) = Signature::try_from(jws.signature.as_slice()) else { return false };
    VerifyingKey::<Sha256>::new(key.clone()).verify(jws.signing_input.as_bytes(), &sig).is_ok()
}

/// The public JWK of an RSA key.
pub fn public_jwk(key: &RsaPublicKey, kid: &str) -> Value {
    json!({
        "kty": "RSA",
        "e": b64url(&key.e().to_bytes_be()),
        "n": b64url(&key.n().to_bytes_be()),
        "kid": kid,
        "alg": "RS256",
        "use": "sig",
    })
}

/// Signs claims with RS256.
pub fn sign_rs256(claims: &Value, key: &RsaPrivateKey, kid: Option<&str>) -> String {
    let mut header = json!({"alg": "RS256", "typ": "JWT"});
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let sig = SigningKey::<Sha256>::new(key.clone()).sign(input.as_bytes());
    format!("{input}.{}", b64url(&sig.to_bytes()))
}

/// Signs claims with HS256.
pub fn sign_hs256(claims: &Value, secret: &[u8]) -> String {
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(input.as_bytes());
    format!("{input}.{}", b64url(&mac.finalize().into_bytes()))
}
