//! `state` (RFC 6749 §10.12) and PKCE S256 (RFC 7636). Randomness comes from the caller:
//! the browser passes `crypto.getRandomValues` bytes, tests pass fixed ones.

use crate::encoding::{base64url_encode, constant_time_eq};
use crate::error::{invalid_argument, Error};
use alloc::string::String;
use core::fmt;
use sha2::{Digest, Sha256};

/// Bytes of randomness in a `state` and a PKCE verifier: 256 bits, 43 base64url characters.
pub const RANDOM_BYTES: usize = 32;

/// The anti-CSRF `state` of one authorization request (L1). Not a credential, but a
/// guessable one would defeat its purpose, so `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct State(String);

impl State {
    /// From [`RANDOM_BYTES`] bytes of the CSPRNG: 43 base64url characters.
    pub fn from_random(bytes: &[u8; RANDOM_BYTES]) -> Self {
        Self(base64url_encode(bytes))
    }

    pub(crate) fn from_text(text: String) -> Self {
        Self(text)
    }

    /// The value for the authorization URL and the storage key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares with a callback's `state` in constant time (L6).
    pub fn matches(&self, received: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), received.as_bytes())
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("State([redacted])")
    }
}

/// A PKCE code verifier (RFC 7636 §4.1): 43–128 unreserved characters. A secret until the
/// code is exchanged, so no `Clone` and a redacted `Debug`; it never goes into a URL (L9).
#[derive(serde::Deserialize)]
#[serde(try_from = "String")]
pub struct PkceVerifier(String);

impl PkceVerifier {
    /// From [`RANDOM_BYTES`] bytes of the CSPRNG: 43 characters, the shortest RFC 7636 allows.
    pub fn from_random(bytes: &[u8; RANDOM_BYTES]) -> Self {
        Self(base64url_encode(bytes))
    }

    /// Accepts a verifier only in the RFC 7636 §4.1 form. Canvas itself checks neither
    /// length nor charset (docs/canvas.md §2.5); we do, so a bad verifier fails here.
    pub fn parse(value: &str) -> Result<Self, Error> {
        check_verifier(value)?;
        Ok(Self(value.into()))
    }

    /// The verifier itself, for the code exchange and the pending-flow entry only.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// `BASE64URL(SHA256(ASCII(code_verifier)))`, RFC 7636 §4.2.
    pub fn challenge(&self) -> String {
        s256(&self.0)
    }
}

impl TryFrom<String> for PkceVerifier {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        check_verifier(&value)?;
        Ok(Self(value))
    }
}

impl serde::Serialize for PkceVerifier {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier([redacted])")
    }
}

/// The S256 challenge of `verifier`, after checking it is a valid RFC 7636 verifier.
pub fn pkce_challenge(verifier: &str) -> Result<String, Error> {
    check_verifier(verifier)?;
    Ok(s256(verifier))
}

fn s256(verifier: &str) -> String {
    base64url_encode(&Sha256::digest(verifier.as_bytes()))
}

fn check_verifier(value: &str) -> Result<(), Error> {
    if !(43..=128).contains(&value.len()) {
        return Err(invalid_argument("code_verifier must be 43 to 128 characters (RFC 7636 §4.1)"));
    }
    let unreserved = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if !value.as_bytes().iter().all(unreserved) {
        return Err(invalid_argument("code_verifier may contain only A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let bytes: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191,
            240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let verifier = PkceVerifier::from_random(&bytes);
        assert_eq!(verifier.secret(), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(verifier.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_rules() {
        let ok43 = "a".repeat(43);
        assert!(PkceVerifier::parse(&ok43).is_ok());
        assert!(PkceVerifier::parse(&"~._-Z9".repeat(22)[..128]).is_ok());
        for bad in ["a".repeat(42), "a".repeat(129), format!("{}+", "a".repeat(42)), format!("{} ", "a".repeat(43))] {
            let err = pkce_challenge(&bad).unwrap_err();
            assert_eq!(err.code, crate::ErrorCode::InvalidArgument, "{bad}");
        }
        // Canvas accepts a 36-character UUID; we refuse it rather than send a non-RFC verifier.
        assert!(PkceVerifier::parse("123e4567-e89b-12d3-a456-426614174000").is_err());
    }

    #[test]
    fn state_is_43_chars_and_compares() {
        let state = State::from_random(&[7; 32]);
        assert_eq!(state.as_str().len(), 43);
        assert!(state.matches(state.as_str()));
        assert!(!state.matches(&state.as_str()[..42]));
        assert!(!state.matches(""));
        assert_eq!(format!("{state:?}"), "State([redacted])");
    }

    #[test]
    fn verifier_deserialises_only_when_valid() {
        let good: Result<PkceVerifier, _> = serde_json::from_str(&format!("\"{}\"", "b".repeat(50)));
        assert!(good.is_ok());
        let bad: Result<PkceVerifier, _> = serde_json::from_str("\"short\"");
        assert!(bad.is_err());
    }
}
