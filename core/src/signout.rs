//! What a sign-out achieved, from the relay's `POST /revoke` answer: 200
//! `{"revocation":"confirmed", "forward_url"?}`, 200 `{"revocation":"none"}`, 202
//! `{"revocation":"pending"}` (the relay retries in the background). The local session ends in
//! every case; this only tells the app what to say.

use crate::authorize::CanvasUrl;
use crate::record::{Record, Value};
use crate::url::HttpUrl;
use alloc::string::String;

/// Whether Canvas revoked the grant on sign-out, as the relay reported it; JS sees [`Self::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// Canvas confirmed the grant is revoked.
    Confirmed,
    /// There was nothing to revoke (no token, no cookie).
    None,
    /// Canvas did not confirm; the relay cleared the cookie, denylisted the token, and retries.
    Pending,
    /// An older relay (`{}`), an unexpected answer, or no answer at all.
    Unknown,
}

impl Revocation {
    /// The value of `signOut()`'s `revocation` in JS.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::None => "none",
            Self::Pending => "pending",
            Self::Unknown => "unknown",
        }
    }
}

/// Reads a 2xx `/revoke` answer: the revocation and Canvas's `forward_url`, if it is text.
pub fn decode_revoke_answer<R: Record>(answer: &R) -> (Revocation, Option<String>) {
    let revocation = match answer.get("revocation") {
        Value::Text(text) => match text.as_str() {
            "confirmed" => Revocation::Confirmed,
            "none" => Revocation::None,
            "pending" => Revocation::Pending,
            _ => Revocation::Unknown,
        },
        _ => Revocation::Unknown,
    };
    (revocation, answer.get("forward_url").into_text())
}

/// Where `signOut({ endCanvasSession: true })` sends the browser: Canvas's `forward_url` (its
/// single sign-out) when it is an absolute URL with secure transport — https, or http to
/// loopback as everywhere in this library (a configured Canvas on http is loopback) — otherwise
/// Canvas's own `/logout` page, which asks the user to confirm and then ends the web session.
/// A `javascript:`, relative or otherwise odd `forward_url` is never navigated to (L16).
pub fn canvas_sign_out_url(canvas: &CanvasUrl, forward_url: Option<&str>) -> String {
    match forward_url.map(|f| HttpUrl::parse("forward_url", f).and_then(|u| u.require_secure("forward_url"))) {
        Some(Ok(_)) => forward_url.unwrap_or_default().into(),
        _ => canvas.join("/logout"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canvas_sign_out_url_goes_to_a_safe_forward_url_or_canvas_logout() {
        let canvas = CanvasUrl::parse("https://canvas.example.edu/prefix").unwrap();
        let local = CanvasUrl::parse("http://127.0.0.1:3000").unwrap();
        let sso = "https://idp.example.edu/slo?SAMLRequest=x";
        assert_eq!(canvas_sign_out_url(&canvas, Some(sso)), sso);
        assert_eq!(canvas_sign_out_url(&canvas, None), "https://canvas.example.edu/prefix/logout");
        assert_eq!(canvas_sign_out_url(&local, None), "http://127.0.0.1:3000/logout");
        assert_eq!(canvas_sign_out_url(&local, Some("http://127.0.0.1:3000/x")), "http://127.0.0.1:3000/x");
        assert_eq!(canvas_sign_out_url(&canvas, Some("http://localhost:9/slo")), "http://localhost:9/slo");
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT://%0aalert(1)",
            "data:text/html,x",
            "http://idp.example.edu/slo",
            "//idp.example.edu/slo",
            "/logout?x",
            "https://user:pw@idp.example.edu/",
            "https://idp.example.edu/a b",
            "https://idp.example.edu/\n",
            "",
        ] {
            assert_eq!(canvas_sign_out_url(&canvas, Some(bad)), "https://canvas.example.edu/prefix/logout", "{bad:?}");
        }
    }

    #[test]
    fn reads_every_answer_shape() {
        let (r, url) = decode_revoke_answer(&json!({"revocation": "confirmed", "forward_url": "https://c/logout"}));
        assert_eq!((r, url.as_deref()), (Revocation::Confirmed, Some("https://c/logout")));
        assert_eq!(decode_revoke_answer(&json!({"revocation": "none"})).0, Revocation::None);
        assert_eq!(decode_revoke_answer(&json!({"revocation": "pending"})).0, Revocation::Pending);
        // Today's relay: `{}` or `{"forward_url": ...}`, and anything unexpected.
        let (r, url) = decode_revoke_answer(&json!({"forward_url": "https://c/logout"}));
        assert_eq!((r, url.as_deref()), (Revocation::Unknown, Some("https://c/logout")));
        for odd in [json!({}), json!({"revocation": "CONFIRMED"}), json!({"revocation": true}), json!([])] {
            assert_eq!(decode_revoke_answer(&odd), (Revocation::Unknown, None), "{odd}");
        }
        assert_eq!(decode_revoke_answer(&json!({"forward_url": 5})).1, None);
        assert_eq!(Revocation::Pending.as_str(), "pending");
    }
}
