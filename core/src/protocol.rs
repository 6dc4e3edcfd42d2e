//! Token responses in Canvas's shapes (docs/canvas.md §3.3–3.6) and relay protocol v1
//! bodies (docs/protocol.md). The relay and the browser library share these so the protocol
//! cannot drift. Parsing is strict where RFC 6749 §5.1 asks (L12); unknown fields are ignored.

use crate::callback::plain_text;
use crate::error::{Error, ErrorCode};
use crate::pkce::PkceVerifier;
use crate::secret::{AccessToken, AuthorizationCode, RefreshToken, SessionUrl};
use alloc::string::String;
use serde::{Deserialize, Deserializer, Serialize};

/// The header every state-changing relay request carries (R4): a cross-site form cannot set it.
pub const RELAY_HEADER: &str = "X-Canvas-Relay";
/// Largest token response read, in bytes (L12, L15).
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;

/// Canvas's `user` object. `id` is a JSON number, `global_id` a string (§7.10); other
/// fields Canvas adds (`real_user`, ...) are ignored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanvasUser {
    /// Canvas's local user id.
    pub id: u64,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The id across Canvas shards, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_id: Option<String>,
    /// The locale Canvas applied to this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_locale: Option<String>,
    /// Set for the Student View test student.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fake_student: Option<bool>,
}

/// A `POST /login/oauth2/token` success body, for every grant Canvas has.
#[derive(Debug, Deserialize)]
pub struct CanvasTokenResponse {
    /// `null` only for `/auth/userinfo`-only grants (§3.6); the key itself is required.
    #[serde(deserialize_with = "required_nullable")]
    pub access_token: Option<AccessToken>,
    /// `Bearer`, in any letter case (checked by [`Self::validate`]).
    pub token_type: String,
    /// The signed-in user; absent only for client_credentials.
    #[serde(default)]
    pub user: Option<CanvasUser>,
    /// The real user when an admin is masquerading as `user`.
    #[serde(default)]
    pub real_user: Option<CanvasUser>,
    /// Where the account is hosted; may be `"unknown"` (§7.10).
    #[serde(default)]
    pub canvas_region: Option<String>,
    /// Absent on confidential refreshes, reused tokens and userinfo grants (§7.5, §7.9).
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    /// Seconds the token lives; absent for keys whose tokens do not expire (§6.1).
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// client_credentials only.
    #[serde(default)]
    pub scope: Option<String>,
}

fn required_nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

impl CanvasTokenResponse {
    /// The checks JSON types cannot express: a non-empty token, `token_type` Bearer.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid =
            |why: &str| Err(Error::new(ErrorCode::InvalidResponse, crate::concat(&["token response: ", why])));
        if self.access_token.as_ref().is_some_and(|t| t.secret().is_empty()) {
            return invalid("access_token is empty");
        }
        if self.refresh_token.as_ref().is_some_and(|t| t.secret().is_empty()) {
            return invalid("refresh_token is empty");
        }
        if !self.token_type.eq_ignore_ascii_case("bearer") {
            return invalid("token_type is not Bearer");
        }
        Ok(())
    }

    /// Splits a user grant into what the browser may see and the refresh token the relay keeps.
    pub fn into_session(self) -> Result<(SessionGrant, Option<RefreshToken>), Error> {
        self.validate()?;
        let user = self.user.ok_or_else(|| Error::new(ErrorCode::InvalidResponse, "token response: no user"))?;
        let grant = SessionGrant {
            access_token: self.access_token,
            token_type: String::from("Bearer"),
            expires_in: self.expires_in,
            user,
            canvas_region: self.canvas_region,
        };
        Ok((grant, self.refresh_token))
    }
}

/// Parses a Canvas token response: a JSON object of at most [`MAX_TOKEN_RESPONSE_BYTES`],
/// duplicate keys rejected (serde's derive refuses them), then [`CanvasTokenResponse::validate`].
/// Errors never quote the body, which holds tokens.
#[cfg(feature = "json")]
pub fn parse_token_response(body: &[u8]) -> Result<CanvasTokenResponse, Error> {
    let invalid = |why: &str| Error::new(ErrorCode::InvalidResponse, crate::concat(&["token response: ", why]));
    if body.len() > MAX_TOKEN_RESPONSE_BYTES {
        return Err(invalid("too large"));
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(invalid("not a JSON object"));
    }
    let parsed: CanvasTokenResponse = serde_json::from_slice(body).map_err(|e| {
        invalid(match e.classify() {
            serde_json::error::Category::Data => "a field is missing, duplicated or of the wrong type",
            _ => "not valid JSON",
        })
    })?;
    parsed.validate()?;
    Ok(parsed)
}

/// `POST /token` request body.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The code from the callback.
    pub code: AuthorizationCode,
    /// The flow's PKCE verifier, which the relay forwards to Canvas.
    pub code_verifier: PkceVerifier,
}

/// `POST /token` and `POST /refresh` success body: never a refresh token (R3).
#[derive(Debug, Serialize, Deserialize)]
pub struct SessionGrant {
    /// `null` only for a userinfo grant (§3.6).
    #[serde(deserialize_with = "required_nullable")]
    pub access_token: Option<AccessToken>,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the token lives, when Canvas said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// The signed-in user.
    pub user: CanvasUser,
    /// Canvas's `canvas_region`, passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canvas_region: Option<String>,
}

/// `POST /revoke` request body.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Also end the user's Canvas web sessions (sent upstream only when true: §7.12).
    #[serde(default)]
    pub expire_sessions: bool,
}

/// `POST /revoke` success body.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RevokeResponse {
    /// The identity provider's logout URL, only with `expire_sessions` (docs/canvas.md §4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_url: Option<String>,
}

/// `POST /session-url` request body.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionUrlRequest {
    /// A URL on the Canvas origin to land on once logged in; Canvas's root when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
}

/// `POST /session-url` success body.
#[derive(Debug, Serialize, Deserialize)]
pub struct SessionUrlResponse {
    /// Logs the browser into Canvas's web UI; valid for 30 s, so open it at once (§5).
    pub session_url: SessionUrl,
}

/// `POST /lti/token` request body: space-separated LTI Advantage scopes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LtiTokenRequest {
    /// Space-separated LTI Advantage scopes, each on the relay's allow-list.
    pub scope: String,
}

/// `POST /lti/token` success body (Canvas's client_credentials shape, §3.5).
#[derive(Debug, Serialize, Deserialize)]
pub struct LtiTokenResponse {
    /// The LTI Advantage token (for the tool's server, not a user's).
    pub access_token: AccessToken,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds the token lives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// The scopes granted, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// Every relay error body, and Canvas's OAuth error body: `{error, error_description?}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// An OAuth error code (`invalid_grant`, `invalid_token`, ...): programs branch on it.
    pub error: String,
    /// Plain text for people; never holds a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// The error the browser library reports for a relay answer that is not a success.
/// The mapping keeps the user's session wherever the failure is not their grant (L13).
pub fn error_from_relay(status: u16, body: Option<&ErrorBody>) -> Error {
    let error = body.map_or("", |b| b.error.as_str());
    let code = match (status, error) {
        (429 | 503, _) => ErrorCode::RateLimited,
        (400 | 401, "invalid_grant") => ErrorCode::InvalidGrant,
        (401, "invalid_token") => ErrorCode::NotSignedIn,
        (400, "invalid_scope") => ErrorCode::InvalidScope,
        (400, "invalid_request") => ErrorCode::InvalidRequest,
        _ => ErrorCode::RelayError,
    };
    let description =
        body.and_then(|b| b.error_description.as_deref()).map(plain_text).filter(|d| !d.is_empty()).unwrap_or_else(
            || match code {
                ErrorCode::RateLimited => String::from("the relay or Canvas is busy; try again shortly"),
                ErrorCode::InvalidGrant => String::from("the sign-in is no longer valid; sign in again"),
                _ => crate::concat(&["the relay answered HTTP ", &crate::decimal(status.into())]),
            },
        );
    Error::new(code, description)
}

// The tests parse JSON, so they need the `json` feature: `cargo test --all-features`.
#[cfg(all(test, feature = "json"))]
mod tests;
