//! Reading the authorization response on the redirect URI (RFC 6749 §4.1.2; security.md L2–L6).
//!
//! The parser only reads the URL. Matching `state` to a pending flow is the caller's next
//! step, and it must come before anything else: error responses are surfaced only after it (L3).

use crate::encoding::form_decode;
use crate::error::{malformed, Error, ErrorCode};
use alloc::string::String;

/// Longest `state` or `code` accepted, in bytes (Canvas codes are 128, our states 43).
pub const MAX_PARAM_LEN: usize = 512;
/// Longest callback URL read at all.
pub const MAX_CALLBACK_URL_LEN: usize = 8192;
/// `error_description` is cut to this many characters.
pub const MAX_DESCRIPTION_CHARS: usize = 300;

/// Parameters that appear at most once (L4).
pub(crate) const SINGLE: [&str; 6] = ["code", "state", "error", "error_description", "error_uri", "iss"];
/// Parameters that must never be in the URL of a code-flow callback (L5).
pub(crate) const TOKENS: [&str; 4] = ["access_token", "token", "id_token", "refresh_token"];

/// What the redirect carried. `state` is always present and non-empty.
#[derive(Debug)]
pub enum Callback {
    /// Canvas granted access: the code to exchange once the state matched a pending flow.
    Code {
        /// The authorization code (secret; Canvas's are single-use and live 10 minutes).
        code: crate::AuthorizationCode,
        /// The `state` Canvas echoed.
        state: String,
    },
    /// Canvas refused (`access_denied`, `login_required`, …), to be surfaced only once `state` matched (L3).
    Error {
        /// Canvas's `error`, mapped to our code (`authorization_error` for one we do not know).
        error: ErrorCode,
        /// `error_description` as plain text ([`plain_text`]), cut to [`MAX_DESCRIPTION_CHARS`].
        description: Option<String>,
        /// The `state` Canvas echoed.
        state: String,
    },
}

impl Callback {
    /// The echoed `state`, by which the caller finds the pending flow.
    pub fn state(&self) -> &str {
        match self {
            Self::Code { state, .. } | Self::Error { state, .. } => state,
        }
    }
}

/// Does `url` look like an authorization response (a `code` or `error` in its query)?
/// Lenient: `parse_callback` does the real checks, but keys are decoded as it decodes them,
/// so `c%6Fde=` counts as `code=`.
pub fn is_callback(url: &str) -> bool {
    query_of(url).is_some_and(|q| {
        q.split('&').any(|p| {
            let raw = p.split('=').next().unwrap_or("");
            matches!(form_decode(raw).as_deref(), Some("code" | "error"))
        })
    })
}

/// Parses the authorization response in `url`, checking L4–L6. A missing or empty `state`
/// is [`ErrorCode::StateMissing`]; everything else wrong is [`ErrorCode::CallbackMalformed`].
pub fn parse_callback(url: &str) -> Result<Callback, Error> {
    if url.len() > MAX_CALLBACK_URL_LEN {
        return Err(malformed("the callback URL is too long"));
    }
    if let Some((_, fragment)) = url.split_once('#') {
        check_fragment(fragment)?;
    }
    let query = query_of(url).unwrap_or("");

    let mut values: [Option<String>; SINGLE.len()] = Default::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = form_decode(raw_key).ok_or_else(|| malformed("the callback query is not valid form encoding"))?;
        if TOKENS.contains(&key.as_str()) {
            return Err(malformed("the callback URL carries a token; only the code flow is accepted"));
        }
        let Some(slot) = SINGLE.iter().position(|k| *k == key) else { continue };
        if values[slot].is_some() {
            return Err(malformed("an authorization response parameter appears twice"));
        }
        let value = form_decode(raw_value).ok_or_else(|| malformed("the callback query is not valid form encoding"))?;
        values[slot] = Some(value);
    }
    let [code, state, error, description, _error_uri, _iss] = values;

    let state = match state {
        Some(s) if !s.is_empty() => s,
        _ if code.is_none() && error.is_none() => return Err(malformed("the URL is not an authorization response")),
        _ => return Err(Error::new(ErrorCode::StateMissing, "the callback has no state")),
    };
    check_token_chars(&state, "state")?;

    match (code, error) {
        (Some(code), None) => {
            if code.is_empty() {
                return Err(malformed("the callback has an empty code"));
            }
            check_token_chars(&code, "code")?;
            Ok(Callback::Code { code: crate::AuthorizationCode::new(code), state })
        }
        (None, Some(error)) => {
            if error.is_empty() || error.len() > 64 || !error.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(malformed("the callback's error is not an OAuth error code"));
            }
            let description = description.map(|d| plain_text(&d)).filter(|d| !d.is_empty());
            Ok(Callback::Error { error: ErrorCode::from_authorization_error(&error), description, state })
        }
        (Some(_), Some(_)) => Err(malformed("the callback has both a code and an error")),
        (None, None) => Err(malformed("the callback has neither a code nor an error")),
    }
}

fn query_of(url: &str) -> Option<&str> {
    let before_fragment = url.split('#').next().unwrap_or(url);
    before_fragment.split_once('?').map(|(_, q)| q)
}

/// OAuth parameters belong in the query; in the fragment they signal an implicit-flow or
/// mix-up attempt (L5). Fragments that do not decode are app routes and are left alone.
fn check_fragment(fragment: &str) -> Result<(), Error> {
    for pair in fragment.split('&') {
        let raw_key = pair.split_once('=').map_or(pair, |(k, _)| k);
        let key = form_decode(raw_key).unwrap_or_default();
        if SINGLE.contains(&key.as_str()) || TOKENS.contains(&key.as_str()) {
            return Err(malformed("authorization response parameters are in the URL fragment"));
        }
    }
    Ok(())
}

/// `state` and `code` are 1*VSCHAR (RFC 6749 Appendix A), capped before any lookup (L6).
fn check_token_chars(value: &str, name: &str) -> Result<(), Error> {
    if value.len() > MAX_PARAM_LEN {
        return Err(malformed(if name == "state" {
            "the callback's state is too long"
        } else {
            "the callback's code is too long"
        }));
    }
    if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(malformed(if name == "state" {
            "the callback's state has characters outside printable ASCII"
        } else {
            "the callback's code has characters outside printable ASCII"
        }));
    }
    Ok(())
}

/// `error_description` as plain text: control characters become spaces, runs of white space
/// fold, format characters (bidi overrides, zero-width joiners: [`is_format_char`]) are
/// dropped, and it is cut at [`MAX_DESCRIPTION_CHARS`]. Never treat it as HTML (L3).
pub fn plain_text(value: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    for word in value.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()) {
        if word.chars().all(is_format_char) {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
            count += 1;
        }
        for c in word.chars().filter(|c| !is_format_char(*c)) {
            if count == MAX_DESCRIPTION_CHARS {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests;

/// Unicode general category Cf (format characters, Unicode 15.1): invisible, and some reorder
/// the text around them (U+202E RIGHT-TO-LEFT OVERRIDE), so a description could read as
/// something else than it says. std has no category tables; the list is short.
pub fn is_format_char(c: char) -> bool {
    matches!(
        c as u32,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}
