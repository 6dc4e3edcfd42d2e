//! Error codes shared by the library (as the JS `code`) and the relay's mapping of its answers.

use alloc::string::String;
use core::fmt;

/// A stable, documented error code. `as_str` is the value JavaScript sees in `error.code`;
/// these strings are part of the public API and never change meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The callback carries no `state`, or an empty one (RFC 6749 §4.1.2; security.md L2).
    StateMissing,
    /// The callback's `state` matches no pending flow in this browser.
    StateUnknown,
    /// The pending flow is older than [`crate::PENDING_FLOW_TTL_SECS`].
    StateExpired,
    /// The URL is not a well-formed authorization response (rules L4–L6).
    CallbackMalformed,
    /// The user pressed Cancel on Canvas's consent page.
    AccessDenied,
    /// `prompt=none` and no Canvas session.
    LoginRequired,
    /// `prompt=none` and Canvas would need to ask the user.
    InteractionRequired,
    /// A requested scope is not on the developer key.
    InvalidScope,
    /// The developer key is not enabled for this Canvas account.
    UnauthorizedClient,
    /// Canvas refused the `response_type`.
    UnsupportedResponseType,
    /// Canvas refused the `prompt` value.
    UnsupportedPromptType,
    /// The user may not authorize this application.
    ClientNotAllowedForUser,
    /// Canvas or the relay called the request malformed.
    InvalidRequest,
    /// An authorization error code Canvas is not known to send.
    AuthorizationError,
    /// The code or the refresh grant is no longer valid: sign in again.
    InvalidGrant,
    /// No session: sign in first.
    NotSignedIn,
    /// The relay could not be reached.
    RelayUnreachable,
    /// The relay did not answer within the timeout.
    RelayTimeout,
    /// The relay answered with an error it could not attribute to the user's grant.
    RelayError,
    /// Canvas or the relay is throttling; retry later.
    RateLimited,
    /// A response was not of the expected shape or size.
    InvalidResponse,
    /// A configuration value is invalid; the description names the field.
    ConfigInvalid,
    /// An argument to a function is invalid; the description says which and why.
    InvalidArgument,
    /// Canvas's GraphQL answered `errors` (the error carries them, and `data` when partial).
    GraphqlError,
    /// The browser refused to open the sign-in popup (not inside a user gesture, or blocked).
    PopupBlocked,
    /// The sign-in popup was closed before it sent its callback back.
    PopupClosed,
    /// The sign-in popup did not send its callback back within the timeout.
    PopupTimeout,
    /// The sign-in popup lost its link to the app (Cross-Origin-Opener-Policy): sign in in a new tab.
    PopupOpenerLost,
}

impl ErrorCode {
    /// Every code, for documentation and exhaustive tests.
    pub const ALL: [ErrorCode; 28] = [
        Self::StateMissing,
        Self::StateUnknown,
        Self::StateExpired,
        Self::CallbackMalformed,
        Self::AccessDenied,
        Self::LoginRequired,
        Self::InteractionRequired,
        Self::InvalidScope,
        Self::UnauthorizedClient,
        Self::UnsupportedResponseType,
        Self::UnsupportedPromptType,
        Self::ClientNotAllowedForUser,
        Self::InvalidRequest,
        Self::AuthorizationError,
        Self::InvalidGrant,
        Self::NotSignedIn,
        Self::RelayUnreachable,
        Self::RelayTimeout,
        Self::RelayError,
        Self::RateLimited,
        Self::InvalidResponse,
        Self::ConfigInvalid,
        Self::InvalidArgument,
        Self::GraphqlError,
        Self::PopupBlocked,
        Self::PopupClosed,
        Self::PopupTimeout,
        Self::PopupOpenerLost,
    ];

    /// The stable code that JS sees as `CanvasAuthError.code`, and the relay as an OAuth `error`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::StateMissing => "state_missing",
            Self::StateUnknown => "state_unknown",
            Self::StateExpired => "state_expired",
            Self::CallbackMalformed => "callback_malformed",
            Self::AccessDenied => "access_denied",
            Self::LoginRequired => "login_required",
            Self::InteractionRequired => "interaction_required",
            Self::InvalidScope => "invalid_scope",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::UnsupportedPromptType => "unsupported_prompt_type",
            Self::ClientNotAllowedForUser => "client_not_allowed_for_user",
            Self::InvalidRequest => "invalid_request",
            Self::AuthorizationError => "authorization_error",
            Self::InvalidGrant => "invalid_grant",
            Self::NotSignedIn => "not_signed_in",
            Self::RelayUnreachable => "relay_unreachable",
            Self::RelayTimeout => "relay_timeout",
            Self::RelayError => "relay_error",
            Self::RateLimited => "rate_limited",
            Self::InvalidResponse => "invalid_response",
            Self::ConfigInvalid => "config_invalid",
            Self::InvalidArgument => "invalid_argument",
            Self::GraphqlError => "graphql_error",
            Self::PopupBlocked => "popup_blocked",
            Self::PopupClosed => "popup_closed",
            Self::PopupTimeout => "popup_timeout",
            Self::PopupOpenerLost => "popup_opener_lost",
        }
    }

    /// Maps an `error` value from Canvas's authorization redirect (docs/canvas.md §2.2–2.6).
    /// Anything Canvas is not known to send becomes [`ErrorCode::AuthorizationError`] (L3).
    pub fn from_authorization_error(error: &str) -> Self {
        match error {
            "access_denied" => Self::AccessDenied,
            "login_required" => Self::LoginRequired,
            "interaction_required" => Self::InteractionRequired,
            "invalid_scope" => Self::InvalidScope,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "unsupported_prompt_type" => Self::UnsupportedPromptType,
            "client_not_allowed_for_user" => Self::ClientNotAllowedForUser,
            "invalid_request" => Self::InvalidRequest,
            _ => Self::AuthorizationError,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a stable code and a human-readable description.
/// Descriptions never contain secrets: callers pass only fixed text or Canvas's
/// sanitised `error_description`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What went wrong, for programs to branch on.
    pub code: ErrorCode,
    /// For people: says which option or step failed, or Canvas's own description.
    pub description: String,
    /// Seconds to wait (JS `retryAfter`), 1..=3600 on [`ErrorCode::RateLimited`], else 0. A u16,
    /// not an `Option<u32>`: it fits in the struct's padding (the wider field cost 485 B of wasm).
    pub retry_after: u16,
}

impl Error {
    /// `description` must hold no secret (see above).
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self { code, description: description.into(), retry_after: 0 }
    }

    /// A `rate_limited` error learns its wait from the answer's `Retry-After` header (clamped;
    /// [`crate::DEFAULT_RETRY_AFTER_SECS`] when unreadable). Other codes are left alone.
    pub fn with_retry_after(mut self, header: Option<&str>) -> Self {
        if self.code == ErrorCode::RateLimited {
            let secs = crate::parse_retry_after(header).unwrap_or(crate::DEFAULT_RETRY_AFTER_SECS);
            self.retry_after = secs.clamp(1, crate::MAX_RETRY_AFTER_SECS) as u16;
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for Error {}

pub(crate) fn malformed(description: &str) -> Error {
    Error::new(ErrorCode::CallbackMalformed, description)
}

pub(crate) fn invalid_argument(description: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidArgument, description)
}

pub(crate) fn config_invalid(field: &str, why: &str) -> Error {
    Error::new(ErrorCode::ConfigInvalid, crate::concat(&[field, ": ", why]))
}
