//! The relay's `/token` and `/refresh` answer, read strictly (L12), and the session it starts:
//! when its token falls due and what a failed refresh means (L13, L14).

use crate::error::{Error, ErrorCode};
use crate::record::{invalid, user_of, Record, Value};
use crate::secret::AccessToken;
use crate::session::token_due_ms;
use alloc::string::String;
use alloc::vec::Vec;

/// Whether a sign-in with `scopes` is a userinfo grant: Canvas clears the token of any grant
/// with a scope ending in `userinfo` and answers `"access_token": null` (docs/canvas.md §3.6).
pub fn is_userinfo_grant<S: AsRef<str>>(scopes: &[S]) -> bool {
    scopes.iter().any(|s| s.as_ref().ends_with("userinfo"))
}

/// A relay grant that passed [`decode_grant`].
pub struct Grant<R> {
    /// `None` only for a userinfo grant.
    pub access_token: Option<AccessToken>,
    /// Seconds the token lives; `None` when Canvas gave no expiry (keys without `auto_expire_tokens`).
    pub expires_in: Option<u64>,
    /// The `user` object as sent (its `id` checked to be an integer), for the JS session.
    pub user: R,
    /// Canvas's `canvas_region`, passed on as is (it may be `"unknown"`, docs/canvas.md §7.10).
    pub canvas_region: Option<String>,
}

/// Reads a relay `/token` or `/refresh` answer (L12): `access_token` a non-empty string
/// (`null` only when `userinfo`, S21), `token_type` Bearer in any case, `expires_in` a
/// non-negative integer if present, `user` an object with an integer `id`.
pub fn decode_grant<R: Record>(grant: &R, userinfo: bool) -> Result<Grant<R>, Error> {
    let access_token = match grant.get("access_token") {
        Value::Text(token) if !token.is_empty() => Some(AccessToken::new(token)),
        Value::Null if userinfo => None,
        Value::Null => {
            return Err(invalid("the relay's token answer has no access_token, and this is no userinfo grant")())
        }
        _ => return Err(invalid("the relay's token answer has no usable access_token")()),
    };
    if !grant.get("token_type").into_text().is_some_and(|t| t.eq_ignore_ascii_case("bearer")) {
        return Err(invalid("the relay's token answer has a token_type other than Bearer")());
    }
    let expires_in = match grant.get("expires_in") {
        v if v.is_absent() => None,
        Value::Number(n) if (0.0..=1e9).contains(&n) && n.fract() == 0.0 => Some(n as u64),
        _ => return Err(invalid("the relay's token answer has an invalid expires_in")()),
    };
    let user = user_of(grant.get("user")).ok_or_else(invalid("the relay's token answer has no user"))?;
    let canvas_region = grant.get("canvas_region").into_text();
    Ok(Grant { access_token, expires_in, user, canvas_region })
}

/// The signed-in session held in memory (L11). The token leaves it only for the relay and,
/// over BroadcastChannel, for this app's other tabs.
pub struct Session<R> {
    /// `None` for a userinfo grant.
    pub token: Option<AccessToken>,
    /// Epoch milliseconds; finite.
    pub expires_at_ms: Option<f64>,
    /// When to refresh: expiry minus the margin; finite.
    pub due_ms: Option<f64>,
    /// The signed-in user, as the grant described them.
    pub user: R,
    /// As in [`Grant::canvas_region`].
    pub canvas_region: Option<String>,
    /// The scopes of the sign-in (empty: the key's defaults).
    pub scopes: Vec<String>,
    /// Where the sign-in asked to return to; only the callback's session has one.
    pub return_to: Option<String>,
}

impl<R> Session<R> {
    /// The session a grant starts, received at `received_ms` (L13).
    pub fn from_grant(
        grant: Grant<R>,
        received_ms: f64,
        margin_secs: u64,
        scopes: Vec<String>,
        return_to: Option<String>,
    ) -> Self {
        Self {
            token: grant.access_token,
            expires_at_ms: grant.expires_in.map(|s| received_ms + s as f64 * 1000.0),
            due_ms: token_due_ms(received_ms, grant.expires_in, margin_secs),
            user: grant.user,
            canvas_region: grant.canvas_region,
            scopes,
            return_to,
        }
    }

    /// Whether the token should be refreshed before use. Without an expiry it is used until
    /// Canvas refuses it (L13).
    pub fn is_due(&self, now_ms: f64) -> bool {
        self.due_ms.is_some_and(|due| now_ms >= due)
    }

    /// Has a token, and not the one a caller found stale: someone refreshed meanwhile (L14).
    pub fn replaced(&self, stale: Option<&str>, now_ms: f64) -> bool {
        let differs = match (&self.token, stale) {
            (Some(token), Some(stale)) => !token.ct_eq(stale),
            (Some(_), None) => true,
            (None, _) => false,
        };
        differs && !self.is_due(now_ms)
    }
}

/// What a failed refresh means for the session (L13, L14).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterRefreshError {
    /// The grant is gone (or there is no cookie): sign in again, in every tab.
    EndSession,
    /// Busy, down, throttled, a bad answer: the grant may be fine; keep the session.
    KeepSession,
}

/// Decides by the refresh's error code: only `invalid_grant` and `not_signed_in` end the session.
pub fn after_refresh_error(code: ErrorCode) -> AfterRefreshError {
    match code {
        ErrorCode::InvalidGrant | ErrorCode::NotSignedIn => AfterRefreshError::EndSession,
        _ => AfterRefreshError::KeepSession,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value as J};

    fn grant(fields: J) -> J {
        let mut base = json!({"access_token": "1~tok", "token_type": "Bearer", "expires_in": 3600, "user": {"id": 1}});
        base.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        base
    }

    #[test]
    fn good_grants() {
        let g = decode_grant(&grant(json!({"token_type": "bearer", "canvas_region": "us-east-1"})), false).unwrap();
        assert!(g.access_token.unwrap().ct_eq("1~tok"));
        assert_eq!((g.expires_in, g.canvas_region.as_deref()), (Some(3600), Some("us-east-1")));
        assert!(decode_grant(&grant(json!({"expires_in": null})), false).unwrap().expires_in.is_none());
    }

    #[test]
    fn bad_grants_are_typed_errors() {
        for bad in [
            json!({"access_token": ""}),
            json!({"access_token": 5}),
            json!({"token_type": "mac"}),
            json!({"expires_in": -1}),
            json!({"expires_in": 1.5}),
            json!({"expires_in": "60"}),
            json!({"user": null}),
            json!({"user": {"id": "1"}}),
            json!({"user": {"id": 1.5}}),
            json!({"user": [1]}),
        ] {
            let err = decode_grant(&grant(bad.clone()), true).err().unwrap_or_else(|| panic!("{bad}"));
            assert_eq!(err.code, ErrorCode::InvalidResponse, "{bad}");
        }
        let mut no_token = grant(json!({}));
        no_token.as_object_mut().unwrap().remove("access_token");
        assert!(decode_grant(&no_token, true).is_err(), "the key itself is required");
        assert!(decode_grant(&json!([1]), false).is_err());
    }

    /// S21: a null token is Canvas's answer for userinfo grants only.
    #[test]
    fn a_null_token_only_for_userinfo_grants() {
        let null = grant(json!({"access_token": null}));
        assert!(decode_grant(&null, true).unwrap().access_token.is_none());
        assert_eq!(decode_grant(&null, false).err().unwrap().code, ErrorCode::InvalidResponse);
        assert!(is_userinfo_grant(&["/auth/userinfo"]));
        assert!(is_userinfo_grant(&["url:GET|/api/v1/x", "/auth/userinfo"]));
        assert!(!is_userinfo_grant::<&str>(&[]));
        assert!(!is_userinfo_grant(&["url:GET|/api/v1/users/:user_id/profile"]));
    }

    #[test]
    fn lifecycle() {
        let g = decode_grant(&grant(json!({})), false).unwrap();
        let s = Session::from_grant(g, 1_000.0, 60, Vec::new(), None);
        assert_eq!(s.expires_at_ms, Some(3_601_000.0));
        assert!(!s.is_due(3_540_999.0));
        assert!(s.is_due(3_541_000.0));
        assert!(s.replaced(Some("old"), 0.0));
        assert!(!s.replaced(Some("1~tok"), 0.0), "the same token is not a replacement");
        assert!(!s.replaced(Some("old"), 3_541_000.0), "a due token is no replacement either");
        assert_eq!(after_refresh_error(ErrorCode::InvalidGrant), AfterRefreshError::EndSession);
        assert_eq!(after_refresh_error(ErrorCode::NotSignedIn), AfterRefreshError::EndSession);
        for keep in [ErrorCode::RateLimited, ErrorCode::RelayTimeout, ErrorCode::RelayError, ErrorCode::InvalidResponse]
        {
            assert_eq!(after_refresh_error(keep), AfterRefreshError::KeepSession, "{keep}");
        }
    }
}
