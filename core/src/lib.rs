//! Sans-I/O protocol logic for signing in with Canvas LMS OAuth2 (docs/architecture.md).
//!
//! Nothing here does I/O or reads a clock or a random source: the browser library and the
//! relay pass those in, which is what lets every rule be tested natively and fuzzed.
#![warn(missing_docs)]

extern crate alloc;

mod api_call;
mod api_path;
mod authorize;
mod callback;
mod encoding;
mod error;
mod flow;
mod grant;
mod graphql;
mod pkce;
mod popup;
mod protocol;
mod record;
mod secret;
mod session;
mod signout;
pub mod tabs;
mod throttle;
mod url;

pub use api_call::{
    is_invalid_token, may_be_invalid_token, next_page_url, page_error, parse_relay_url, relay_api_url, RelayUrl,
    INVALID_TOKEN_MESSAGE,
};
pub use api_path::{is_api_path, is_next_rel, link_entries, next_link, MAX_API_PATH_LEN};
pub use authorize::{
    authorize_url, normalize_scopes, parse_client_id, parse_redirect_uri, AuthorizeRequest, CanvasUrl, Prompt,
};
pub use callback::{
    is_callback, is_format_char, parse_callback, plain_text, Callback, MAX_CALLBACK_URL_LEN, MAX_DESCRIPTION_CHARS,
    MAX_PARAM_LEN,
};
pub use encoding::{
    base64url_encode, concat, constant_time_eq, decimal, form_decode, form_encode_into, join, json_string_into,
    parse_u64,
};
pub use error::{Error, ErrorCode};
pub use flow::{
    check_callback, decode_stored_flow, same_endpoint, CallbackTarget, CodeExchange, FlowStore, PendingFlow,
};
pub use grant::{after_refresh_error, decode_grant, is_userinfo_grant, AfterRefreshError, Grant, Session};
pub use graphql::{graphql_outcome, GRAPHQL_PATH};
pub use pkce::{pkce_challenge, PkceVerifier, State, RANDOM_BYTES};
pub use popup::{
    accept_popup_message, decode_cookie_check, opener_lost, popup_page, popup_poll, popup_state, PopupEvent, PopupPage,
    POPUP_MESSAGE_TYPE, POPUP_STATE_PREFIX, POPUP_TIMEOUT_MS,
};
pub use protocol::*;
pub use record::{Record, Value};
pub use secret::{AccessToken, AuthorizationCode, ClientSecret, RefreshToken, SessionUrl};
pub use session::{flow_expired, strip_callback_params, token_due_ms};
pub use signout::{canvas_sign_out_url, decode_revoke_answer, Revocation};
pub use tabs::{decode_peer_message, decode_session_message, PeerMessage};
pub use throttle::{
    is_retryable_method, is_throttled, parse_quota, parse_retry_after, retry_delay_ms, RetryPolicy,
    DEFAULT_RETRY_AFTER_SECS, MAX_RETRY_AFTER_SECS,
};
pub use url::{safe_return_path, HttpUrl};

/// How long a pending authorization may wait for its callback (L2): Canvas codes live 10 minutes too.
pub const PENDING_FLOW_TTL_SECS: u64 = 600;
