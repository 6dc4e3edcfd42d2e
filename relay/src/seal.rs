//! The refresh-token cookie (R3): XChaCha20-Poly1305 with a key id, bound to this deployment.
//!
//! Value: `v1.<kid>.<base64url(nonce[24] || ciphertext+tag)>`. The associated data is
//! `canvas-oauth-relay/v1|<kid>|<canvas origin>|<client_id>`, so a cookie sealed by another
//! deployment (other Canvas, other developer key) fails to open even with the same key.

use crate::config::CookieKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use canvas_oauth_core::RefreshToken;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

const VERSION: &str = "v1";
/// Cookie values longer than this are refused before any base64 or crypto work.
pub const MAX_SEALED_LEN: usize = 2048;

pub struct Sealer {
    keys: Vec<CookieKey>,
    binding: String,
}

impl Sealer {
    pub fn new(keys: Vec<CookieKey>, canvas_origin: &str, client_id: &str) -> Self {
        assert!(!keys.is_empty(), "at least one cookie key");
        Self { keys, binding: format!("{canvas_origin}|{client_id}") }
    }

    fn aad(&self, kid: &str) -> Vec<u8> {
        format!("canvas-oauth-relay/{VERSION}|{kid}|{}", self.binding).into_bytes()
    }

    /// Seals with the first (current) key.
    pub fn seal(&self, token: &RefreshToken) -> String {
        let key = &self.keys[0];
        let cipher = XChaCha20Poly1305::new((&key.key).into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = self.aad(&key.kid);
        let ct = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: token.secret().as_bytes(), aad: &aad })
            .expect("XChaCha20-Poly1305 encryption cannot fail for small inputs");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        format!("{VERSION}.{}.{}", key.kid, URL_SAFE_NO_PAD.encode(blob))
    }

    /// Opens a value sealed with any configured key; `None` for anything else.
    pub fn open(&self, value: &str) -> Option<RefreshToken> {
        if value.len() > MAX_SEALED_LEN {
            return None;
        }
        let mut parts = value.splitn(3, '.');
        let (version, kid, body) = (parts.next()?, parts.next()?, parts.next()?);
        if version != VERSION {
            return None;
        }
        let key = self.keys.iter().find(|k| k.kid == kid)?;
        let blob = URL_SAFE_NO_PAD.decode(body).ok()?;
        if blob.len() < 24 + 16 {
            return None;
        }
        let (nonce, ct) = blob.split_at(24);
        let cipher = XChaCha20Poly1305::new((&key.key).into());
        let aad = self.aad(kid);
        let plain = cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad }).ok()?;
        let token = String::from_utf8(plain).ok()?;
        (!token.is_empty()).then(|| RefreshToken::new(token))
    }

    /// Whether the value was sealed with an older key (the relay re-seals it on the next refresh).
    pub fn is_stale(&self, value: &str) -> bool {
        value.split('.').nth(1) != Some(self.keys[0].kid.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, b: u8) -> CookieKey {
        CookieKey { kid: kid.into(), key: [b; 32] }
    }

    #[test]
    fn round_trip_and_rotation() {
        let old = Sealer::new(vec![key("old", 1)], "https://c.example", "1");
        let sealed = old.seal(&RefreshToken::new("rt-canary"));
        assert!(!sealed.contains("rt-canary"));
        assert_eq!(old.open(&sealed).unwrap().secret(), "rt-canary");
        // Rotation: new key first, old key still read.
        let rotated = Sealer::new(vec![key("new", 2), key("old", 1)], "https://c.example", "1");
        assert_eq!(rotated.open(&sealed).unwrap().secret(), "rt-canary");
        assert!(rotated.is_stale(&sealed));
        let resealed = rotated.seal(&RefreshToken::new("rt-canary"));
        assert!(resealed.starts_with("v1.new."));
        assert!(!rotated.is_stale(&resealed));
        // Old key removed: old cookies no longer open.
        let only_new = Sealer::new(vec![key("new", 2)], "https://c.example", "1");
        assert!(only_new.open(&sealed).is_none());
        assert!(only_new.open(&resealed).is_some());
    }

    #[test]
    fn bound_to_deployment_and_tamper_evident() {
        let a = Sealer::new(vec![key("k", 1)], "https://c.example", "1");
        let other_client = Sealer::new(vec![key("k", 1)], "https://c.example", "2");
        let other_canvas = Sealer::new(vec![key("k", 1)], "https://d.example", "1");
        let sealed = a.seal(&RefreshToken::new("rt"));
        assert!(other_client.open(&sealed).is_none());
        assert!(other_canvas.open(&sealed).is_none());
        let mut bytes = sealed.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(a.open(&String::from_utf8(bytes).unwrap()).is_none());
        for bad in ["", "v1", "v1.k", "v1.k.", "v2.k.AAAA", "v1.zz.AAAA", &"x".repeat(5000)] {
            assert!(a.open(bad).is_none(), "{bad}");
        }
        // Two seals of the same token differ (random nonce).
        assert_ne!(a.seal(&RefreshToken::new("rt")), a.seal(&RefreshToken::new("rt")));
    }
}
