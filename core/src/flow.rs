//! Pending authorizations and the callback check: "where is the callback checked?" has one
//! answer, [`check_callback`] (security.md L2–L8).

use crate::callback::{parse_callback, Callback};
use crate::encoding::{constant_time_eq, json_string_into};
use crate::error::{Error, ErrorCode};
use crate::pkce::PkceVerifier;
use crate::protocol::TokenRequest;
use crate::record::{invalid, scopes_of, Record, Value};
use crate::session::flow_expired;
use crate::url::{safe_return_path, HttpUrl};
use alloc::string::String;
use alloc::vec::Vec;

/// A sign-in waiting for its callback, stored under its `state` (L1).
pub struct PendingFlow {
    /// The flow's `state`, also its storage key.
    pub state: String,
    /// The PKCE verifier, sent only with the code exchange (L9).
    pub verifier: PkceVerifier,
    /// The redirect URI the authorization request named; the code exchange must repeat it.
    pub redirect_uri: String,
    /// The Canvas origin the request went to: a flow started for another Canvas is refused.
    pub canvas_origin: String,
    /// When the sign-in started (ms since the epoch), for the 10-minute limit (L2).
    pub created_ms: f64,
    /// Same-origin path to go back to after the sign-in (L8).
    pub return_to: String,
    /// The scopes asked for (normalised), which the session reports as granted.
    pub scopes: Vec<String>,
}

impl PendingFlow {
    /// The stored form: JSON with one-letter keys (`k v r o t p s`), written here because the
    /// wasm bundle has no JSON serialiser.
    pub fn to_json(&self) -> String {
        let mut text = String::with_capacity(256);
        let mut field = |name: &str, value: &str| {
            text.push_str(if text.is_empty() { "{\"" } else { ",\"" });
            text.push_str(name);
            text.push_str("\":");
            json_string_into(&mut text, value);
        };
        field("k", &self.state);
        field("v", self.verifier.secret());
        field("r", &self.redirect_uri);
        field("o", &self.canvas_origin);
        field("p", &self.return_to);
        text.push_str(",\"t\":");
        // Whole milliseconds: integer formatting, not float formatting (~15 KB of wasm).
        text.push_str(&crate::decimal(self.created_ms.max(0.0) as u64));
        text.push_str(",\"s\":[");
        for (i, scope) in self.scopes.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            json_string_into(&mut text, scope);
        }
        text.push_str("]}");
        text
    }
}

/// Reads a stored flow back (S11): sessionStorage may hold an entry of another version or one
/// written by hand. The verifier must be a valid RFC 7636 verifier, `t` finite, the return
/// path same-origin (else `/`, L8), the scopes valid.
pub fn decode_stored_flow<R: Record>(entry: &R) -> Result<PendingFlow, Error> {
    let bad = invalid("a stored sign-in is malformed");
    let text = |key| entry.get(key).into_text().ok_or_else(&bad);
    let created_ms = match entry.get("t") {
        Value::Number(t) if t.is_finite() => t,
        _ => return Err(bad()),
    };
    Ok(PendingFlow {
        state: text("k")?,
        verifier: PkceVerifier::parse(&text("v")?).map_err(|_| bad())?,
        redirect_uri: text("r")?,
        canvas_origin: text("o")?,
        created_ms,
        return_to: safe_return_path(&text("p")?),
        scopes: match entry.get("s") {
            list @ Value::List(_) => scopes_of(list, &bad)?,
            _ => return Err(bad()),
        },
    })
}

/// Where pending flows live (sessionStorage in the browser). `take` removes the entry for
/// `state` before returning it, so a second callback with that state finds nothing (L2);
/// an entry that does not decode counts as none.
pub trait FlowStore {
    /// Removes and returns the flow stored under `state`, if any.
    fn take(&mut self, state: &str) -> Option<PendingFlow>;
}

/// One flow held in memory (a popup sign-in's, L17: the opener never navigates away, so its flow
/// needs no storage, which a cross-site iframe may not have). Taken once, and only for its state.
impl FlowStore for Option<PendingFlow> {
    fn take(&mut self, state: &str) -> Option<PendingFlow> {
        Option::take(self).filter(|flow| flow.state == state)
    }
}

/// What this client expects a callback for.
pub struct CallbackTarget<'a> {
    /// This client's Canvas origin ([`crate::CanvasUrl::origin`]).
    pub canvas_origin: &'a str,
    /// This client's redirect URI, which the callback URL must be at.
    pub redirect_uri: &'a str,
}

/// A callback that passed every check: the `/token` body, and what the session keeps.
pub struct CodeExchange {
    /// The body of `POST /token` to the relay: the code and its verifier.
    pub request: TokenRequest,
    /// The scopes the flow asked for.
    pub scopes: Vec<String>,
    /// The flow's same-origin return path.
    pub return_to: String,
}

/// Checks the authorization response in `url`, in this order: syntax (L4–L6); the state
/// matches a pending flow, which is removed (L2); the flow is fresh, for this Canvas and
/// redirect URI, and the callback arrived at that URI; only then is Canvas's `error` surfaced
/// (L3). Nothing is sent anywhere: the caller exchanges the code.
pub fn check_callback(
    url: &str,
    store: &mut (impl FlowStore + ?Sized),
    target: &CallbackTarget<'_>,
    now_ms: f64,
) -> Result<CodeExchange, Error> {
    let callback = parse_callback(url)?;
    let state = callback.state();
    let flow = store
        .take(state)
        .filter(|flow| constant_time_eq(flow.state.as_bytes(), state.as_bytes()))
        .ok_or_else(|| Error::new(ErrorCode::StateUnknown, "no sign-in is pending for this callback's state"))?;
    if flow_expired(flow.created_ms, now_ms) {
        return Err(Error::new(ErrorCode::StateExpired, "the sign-in took longer than 10 minutes; start again"));
    }
    if flow.canvas_origin != target.canvas_origin || flow.redirect_uri != target.redirect_uri {
        return Err(Error::new(
            ErrorCode::StateUnknown,
            "the pending sign-in belongs to another Canvas or redirect URI",
        ));
    }
    if !same_endpoint(url, &flow.redirect_uri) {
        return Err(Error::new(ErrorCode::CallbackMalformed, "the callback did not arrive at the redirect URI"));
    }
    match callback {
        Callback::Error { error, description, .. } => {
            Err(Error::new(error, description.unwrap_or_else(|| crate::concat(&["Canvas answered ", error.as_str()]))))
        }
        Callback::Code { code, .. } => Ok(CodeExchange {
            request: TokenRequest { code, code_verifier: flow.verifier },
            scopes: flow.scopes,
            return_to: flow.return_to,
        }),
    }
}

/// Whether `url` is at `redirect_uri`'s endpoint: scheme and host compared case-insensitively
/// (with the default port made explicit), the path exactly, since paths are case-sensitive.
/// Query and fragment are ignored: Canvas appends its parameters.
pub fn same_endpoint(url: &str, redirect_uri: &str) -> bool {
    let endpoint = |u: &str| {
        HttpUrl::parse("url", u).ok().map(|u| {
            let path = if u.path.is_empty() { String::from("/") } else { u.path.clone() };
            (u.origin(), path)
        })
    };
    match (endpoint(url), endpoint(redirect_uri)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
