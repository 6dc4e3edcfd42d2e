//! The refresh-token cookie (R3): XChaCha20-Poly1305 with a key id, bound to this deployment, with
//! its lifetime sealed in (S2).
//!
//! Value: `v2.<kid>.<base64url(nonce[24] || ciphertext+tag)>`. The plaintext is
//! `issued_at || expires_at || session_expires_at` (three big-endian u64, ms since the Unix epoch)
//! followed by the refresh token. The associated data is
//! `canvas-oauth-relay/v2|<kid>|<canvas origin>|<client_id>`, so a cookie sealed by another
//! deployment (other Canvas, other developer key) fails to open even with the same key.
//! `v1` cookies (no lifetime inside) do not open: a copy of one would otherwise live forever.

use crate::config::CookieKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use canvas_oauth_core::RefreshToken;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::time::Duration;

const VERSION: &str = "v2";
const TIMES_LEN: usize = 24;
/// Cookie values longer than this are refused before any base64 or crypto work.
pub const MAX_SEALED_LEN: usize = 2048;

/// When a sealed cookie value was issued and when it dies (ms since the Unix epoch).
/// `expires_at` slides with each renewal but never passes `session_expires_at`, which is fixed
/// at sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetime {
    pub issued_at: u64,
    pub expires_at: u64,
    pub session_expires_at: u64,
}

impl Lifetime {
    /// A new sign-in at `now`: idle window `idle`, absolute cap `max`.
    pub fn start(now: u64, idle: Duration, max: Duration) -> Self {
        Self::issued(now, idle, now.saturating_add(max.as_millis() as u64))
    }

    /// The same session re-issued at `now` (sliding renewal; the absolute cap stays).
    pub fn renewed(&self, now: u64, idle: Duration) -> Self {
        Self::issued(now, idle, self.session_expires_at)
    }

    fn issued(now: u64, idle: Duration, session_expires_at: u64) -> Self {
        let expires_at = now.saturating_add(idle.as_millis() as u64).min(session_expires_at);
        Self { issued_at: now, expires_at, session_expires_at }
    }

    /// Whole seconds left at `now`, for the browser's `Max-Age`.
    pub fn max_age_secs(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now) / 1000
    }

    fn to_bytes(self) -> [u8; TIMES_LEN] {
        let mut b = [0u8; TIMES_LEN];
        b[..8].copy_from_slice(&self.issued_at.to_be_bytes());
        b[8..16].copy_from_slice(&self.expires_at.to_be_bytes());
        b[16..].copy_from_slice(&self.session_expires_at.to_be_bytes());
        b
    }

    fn from_bytes(b: &[u8]) -> Self {
        let at = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        Self { issued_at: at(0), expires_at: at(8), session_expires_at: at(16) }
    }
}

/// An opened cookie. (Each refresh re-seals it with the current key: that is the rotation.)
pub struct Opened {
    pub token: RefreshToken,
    pub lifetime: Lifetime,
}

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
    pub fn seal(&self, token: &RefreshToken, lifetime: Lifetime) -> String {
        let key = &self.keys[0];
        let cipher = XChaCha20Poly1305::new((&key.key).into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = self.aad(&key.kid);
        let mut msg = lifetime.to_bytes().to_vec();
        msg.extend_from_slice(token.secret().as_bytes());
        let ct = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: &msg, aad: &aad })
            .expect("XChaCha20-Poly1305 encryption cannot fail for small inputs");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        format!("{VERSION}.{}.{}", key.kid, URL_SAFE_NO_PAD.encode(blob))
    }

    /// Opens a value sealed with any configured key that has not expired at `now` (ms since the
    /// Unix epoch); `None` for anything else.
    pub fn open(&self, value: &str, now: u64) -> Option<Opened> {
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
        if plain.len() <= TIMES_LEN {
            return None;
        }
        let (times, token) = plain.split_at(TIMES_LEN);
        let lifetime = Lifetime::from_bytes(times);
        if now >= lifetime.expires_at || lifetime.expires_at > lifetime.session_expires_at {
            return None;
        }
        let token = String::from_utf8(token.to_vec()).ok()?;
        Some(Opened { token: RefreshToken::new(token), lifetime })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400_000;

    fn key(kid: &str, b: u8) -> CookieKey {
        CookieKey { kid: kid.into(), key: [b; 32] }
    }

    fn life(now: u64) -> Lifetime {
        Lifetime::start(now, Duration::from_millis(30 * DAY), Duration::from_millis(90 * DAY))
    }

    #[test]
    fn round_trip_and_rotation() {
        let now = 1_800_000_000_000;
        let old = Sealer::new(vec![key("old", 1)], "https://c.example", "1");
        let sealed = old.seal(&RefreshToken::new("rt-canary"), life(now));
        assert!(!sealed.contains("rt-canary") && sealed.starts_with("v2.old."));
        let opened = old.open(&sealed, now).unwrap();
        assert_eq!((opened.token.secret(), opened.lifetime), ("rt-canary", life(now)));
        // Rotation: new key first, old key still read.
        let rotated = Sealer::new(vec![key("new", 2), key("old", 1)], "https://c.example", "1");
        assert_eq!(rotated.open(&sealed, now).unwrap().token.secret(), "rt-canary");
        // Every refresh re-seals, always with the current key.
        let resealed = rotated.seal(&RefreshToken::new("rt-canary"), life(now));
        assert!(resealed.starts_with("v2.new."));
        // Old key removed: old cookies no longer open.
        let only_new = Sealer::new(vec![key("new", 2)], "https://c.example", "1");
        assert!(only_new.open(&sealed, now).is_none());
        assert!(only_new.open(&resealed, now).is_some());
    }

    #[test]
    fn expiry_is_sealed_and_enforced() {
        let s = Sealer::new(vec![key("k", 1)], "https://c.example", "1");
        let t0 = 1_800_000_000_000;
        let first = life(t0);
        assert_eq!((first.expires_at, first.session_expires_at), (t0 + 30 * DAY, t0 + 90 * DAY));
        let sealed = s.seal(&RefreshToken::new("rt"), first);
        assert!(s.open(&sealed, t0 + 30 * DAY - 1).is_some());
        assert!(s.open(&sealed, t0 + 30 * DAY).is_none(), "idle window over");
        // Sliding renewal moves the idle expiry, never past the absolute cap.
        let renewed = first.renewed(t0 + 20 * DAY, Duration::from_millis(30 * DAY));
        assert_eq!((renewed.issued_at, renewed.expires_at), (t0 + 20 * DAY, t0 + 50 * DAY));
        let late = first.renewed(t0 + 80 * DAY, Duration::from_millis(30 * DAY));
        assert_eq!((late.expires_at, late.session_expires_at), (t0 + 90 * DAY, t0 + 90 * DAY));
        let sealed = s.seal(&RefreshToken::new("rt"), late);
        assert!(s.open(&sealed, t0 + 90 * DAY - 1).is_some());
        assert!(s.open(&sealed, t0 + 90 * DAY).is_none(), "absolute cap reached");
        assert_eq!(late.max_age_secs(t0 + 90 * DAY - 1500), 1);
    }

    #[test]
    fn bound_to_deployment_and_tamper_evident() {
        let now = 1_800_000_000_000;
        let a = Sealer::new(vec![key("k", 1)], "https://c.example", "1");
        let other_client = Sealer::new(vec![key("k", 1)], "https://c.example", "2");
        let other_canvas = Sealer::new(vec![key("k", 1)], "https://d.example", "1");
        let sealed = a.seal(&RefreshToken::new("rt"), life(now));
        assert!(other_client.open(&sealed, now).is_none());
        assert!(other_canvas.open(&sealed, now).is_none());
        let mut bytes = sealed.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(a.open(&String::from_utf8(bytes).unwrap(), now).is_none());
        // The old v1 format (same key, same AEAD, token only) no longer opens.
        let v1 = sealed.replacen("v2.", "v1.", 1);
        for bad in ["", "v2", "v2.k", "v2.k.", "v1.k.AAAA", "v2.zz.AAAA", &v1, &"x".repeat(5000)] {
            assert!(a.open(bad, now).is_none(), "{bad}");
        }
        // Two seals of the same token differ (random nonce).
        assert_ne!(a.seal(&RefreshToken::new("rt"), life(now)), a.seal(&RefreshToken::new("rt"), life(now)));
    }
}
