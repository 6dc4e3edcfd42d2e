//! A refresh result as one replica publishes it for the others: XChaCha20-Poly1305 under a key
//! derived from each cookie key (the first seals, all open, as for cookies), bound to this
//! deployment and to the refresh token's hash, so Redis never holds a token in clear and a result
//! cannot be moved to another grant. Value: `<kid>.<base64url(nonce[24] || ciphertext+tag)>`.

use crate::canvas::{self, Refreshed};
use crate::config::CookieKey;
use crate::error::RelayError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

const LABEL: &str = "canvas-oauth-relay/refresh-result/v1";

#[derive(serde::Serialize, serde::Deserialize)]
enum Wire {
    Ok {
        body: String,
        access_token: String,
        rotated: Option<String>,
        status: u16,
    },
    /// Canvas said the grant is gone (401 invalid_grant, cookie cleared).
    Gone {
        status: Option<u16>,
    },
}

pub(crate) struct ResultSealer {
    keys: Vec<(String, [u8; 32])>,
    binding: String,
}

impl ResultSealer {
    pub(crate) fn new(keys: &[CookieKey], canvas_origin: &str, client_id: &str) -> Self {
        let derive = |k: &CookieKey| {
            let mut h = Sha256::new();
            h.update(LABEL.as_bytes());
            h.update(k.key);
            (k.kid.clone(), h.finalize().into())
        };
        Self { keys: keys.iter().map(derive).collect(), binding: format!("{canvas_origin}|{client_id}") }
    }

    fn aad(&self, kid: &str, hash: &[u8; 32]) -> Vec<u8> {
        format!("{LABEL}|{kid}|{}|{}", self.binding, super::hex(hash)).into_bytes()
    }

    /// The sealed result, or `None` for an outcome that is not shared (a transient failure: the
    /// next caller tries Canvas itself, as within one process).
    pub(crate) fn seal(&self, hash: &[u8; 32], result: &Result<Refreshed, RelayError>) -> Option<String> {
        let wire = match result {
            Ok(r) => Wire::Ok {
                body: String::from_utf8(r.body.to_vec()).ok()?,
                access_token: r.access_token.clone(),
                rotated: r.rotated.clone(),
                status: r.upstream_status,
            },
            Err(e) if canvas::is_grant_gone(e) => Wire::Gone { status: e.upstream_status },
            Err(_) => return None,
        };
        let (kid, key) = &self.keys[0];
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let msg = serde_json::to_vec(&wire).ok()?;
        let aad = self.aad(kid, hash);
        let ct = XChaCha20Poly1305::new(key.into())
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: &msg, aad: &aad })
            .ok()?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Some(format!("{kid}.{}", URL_SAFE_NO_PAD.encode(blob)))
    }

    /// `None` for anything that does not open here (another key set, tampered, another grant).
    pub(crate) fn open(&self, hash: &[u8; 32], value: &[u8]) -> Option<Result<Refreshed, RelayError>> {
        let value = std::str::from_utf8(value).ok()?;
        let (kid, body) = value.split_once('.')?;
        let (_, key) = self.keys.iter().find(|(k, _)| k == kid)?;
        let blob = URL_SAFE_NO_PAD.decode(body).ok()?;
        if blob.len() < 24 + 16 {
            return None;
        }
        let (nonce, ct) = blob.split_at(24);
        let aad = self.aad(kid, hash);
        let plain = XChaCha20Poly1305::new(key.into())
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .ok()?;
        Some(match serde_json::from_slice(&plain).ok()? {
            Wire::Ok { body, access_token, rotated, status } => {
                Ok(Refreshed { body: body.into_bytes().into(), access_token, rotated, upstream_status: status })
            }
            Wire::Gone { status } => Err(canvas::grant_gone(status)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, b: u8) -> CookieKey {
        CookieKey { kid: kid.into(), key: [b; 32] }
    }

    fn refreshed() -> Result<Refreshed, RelayError> {
        Ok(Refreshed {
            body: br#"{"access_token":"at-CANARY"}"#.to_vec().into(),
            access_token: "at-CANARY".into(),
            rotated: Some("rt-CANARY".into()),
            upstream_status: 200,
        })
    }

    #[test]
    fn round_trip_bound_to_the_grant_and_the_keys() {
        let s = ResultSealer::new(&[key("k1", 1)], "https://c.example", "1");
        let (h, other) = ([7u8; 32], [8u8; 32]);
        let sealed = s.seal(&h, &refreshed()).unwrap();
        assert!(!sealed.contains("CANARY") && sealed.starts_with("k1."));
        let opened = s.open(&h, sealed.as_bytes()).unwrap().ok().unwrap();
        assert_eq!((opened.access_token.as_str(), opened.rotated.as_deref()), ("at-CANARY", Some("rt-CANARY")));
        assert!(s.open(&other, sealed.as_bytes()).is_none(), "another grant's key");
        let rotated = ResultSealer::new(&[key("k2", 2), key("k1", 1)], "https://c.example", "1");
        assert!(rotated.open(&h, sealed.as_bytes()).is_some(), "old key still opens");
        assert!(ResultSealer::new(&[key("k1", 1)], "https://d.example", "1").open(&h, sealed.as_bytes()).is_none());
        assert!(ResultSealer::new(&[key("k1", 9)], "https://c.example", "1").open(&h, sealed.as_bytes()).is_none());
        for bad in ["", "k1", "k1.", "k1.AAAA", "zz.AAAA"] {
            assert!(s.open(&h, bad.as_bytes()).is_none(), "{bad}");
        }
        // A gone grant is shared too; a transient failure is not.
        let gone = s.seal(&h, &Err(canvas::grant_gone(Some(400)))).unwrap();
        let e = s.open(&h, gone.as_bytes()).unwrap().err().unwrap();
        assert!(e.clear_cookie && e.error == "invalid_grant" && e.upstream_status == Some(400));
        assert!(s.seal(&h, &Err(RelayError::timeout())).is_none());
    }
}
