//! The messages this app's tabs exchange over BroadcastChannel (L14). Another tab may run
//! another version, or the channel may carry anything a same-origin script posts, so every
//! message is decoded and validated here before the library acts on it (S11).

use crate::error::Error;
use crate::grant::Session;
use crate::record::{id_of, invalid, scopes_of, user_of, Record, Value};
use crate::secret::AccessToken;
use crate::url::safe_return_path;
use alloc::string::String;

/// Message `type` of a new or refreshed session, token included (the other `type`s follow).
pub const SESSION: &str = "session";
/// This tab signed out (or its grant ended): every tab drops its session.
pub const SIGNED_OUT: &str = "signed-out";
/// A tab starting up asks the others for their session before it uses the relay's cookie.
pub const ASK: &str = "ask";
/// The reply to an [`ASK`], carrying its id and the session.
pub const ANSWER: &str = "answer";
/// Without Web Locks: "I am about to refresh", with a random id; the lowest id goes first.
pub const CLAIM: &str = "claim";
/// A refresh failed and the session is kept: a tab waiting for its outcome stops waiting.
pub const REFRESH_FAILED: &str = "refresh-failed";

/// A message from another tab, validated.
pub enum PeerMessage<R> {
    /// A new or refreshed session, token included.
    Session(Session<R>),
    /// Another tab signed out: drop the session here too.
    SignedOut,
    /// "Who has a fresh token?" (`restore()` before using the cookie).
    Ask {
        /// Random, so the asker knows which answers are to it.
        id: String,
    },
    /// The reply to `Ask { id }`.
    Answer {
        /// The id of the `Ask`.
        id: String,
        /// The answering tab's session, token included.
        session: Session<R>,
    },
    /// Without Web Locks: another tab is about to refresh ([`CLAIM`]).
    Claim {
        /// Random; the lowest id among competing claims refreshes.
        id: String,
    },
    /// Another tab's refresh failed and kept the session ([`REFRESH_FAILED`]).
    RefreshFailed,
}

/// Decodes one message; `Err` for anything malformed, including unknown types.
pub fn decode_peer_message<R: Record>(message: &R) -> Result<PeerMessage<R>, Error> {
    let bad = invalid("a message from another tab is malformed");
    let kind = message.get("type").into_text().ok_or_else(&bad)?;
    let id = || id_of(message.get("id")).ok_or_else(&bad);
    Ok(match kind.as_str() {
        SESSION => PeerMessage::Session(decode_session_message(message)?),
        SIGNED_OUT => PeerMessage::SignedOut,
        ASK => PeerMessage::Ask { id: id()? },
        ANSWER => PeerMessage::Answer { id: id()?, session: decode_session_message(message)? },
        CLAIM => PeerMessage::Claim { id: id()? },
        REFRESH_FAILED => PeerMessage::RefreshFailed,
        _ => return Err(bad()),
    })
}

/// The session fields of a `session` or `answer` message: `accessToken` a non-empty string or
/// null, `user` an object with an integer id, `expiresAt`/`dueAt` finite or null, `scopes`
/// valid scopes, `canvasRegion` text or null, `returnTo` a same-origin path (L8).
pub fn decode_session_message<R: Record>(message: &R) -> Result<Session<R>, Error> {
    let bad = invalid("a session from another tab is malformed");
    let token = match message.get("accessToken") {
        Value::Null => None,
        Value::Text(token) if !token.is_empty() => Some(AccessToken::new(token)),
        _ => return Err(bad()),
    };
    let user = user_of(message.get("user")).ok_or_else(&bad)?;
    let expires_at_ms = message.get("expiresAt").finite_or_absent(&bad)?;
    let due_ms = message.get("dueAt").finite_or_absent(&bad)?;
    let scopes = scopes_of(message.get("scopes"), &bad)?;
    let canvas_region = message.get("canvasRegion").text_or_absent(&bad)?;
    let return_to = message.get("returnTo").text_or_absent(&bad)?.map(|p| safe_return_path(&p));
    Ok(Session { token, expires_at_ms, due_ms, user, canvas_region, scopes, return_to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value as J};

    fn session(fields: J) -> J {
        let mut base = json!({
            "type": "session", "accessToken": "tok", "user": {"id": 7, "name": "Sam"},
            "expiresAt": 5000.0, "dueAt": 4000.0, "scopes": ["a", "b"], "canvasRegion": null, "returnTo": "/x?y#z"
        });
        base.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        base
    }

    #[test]
    fn reads_a_session() {
        let PeerMessage::Session(s) = decode_peer_message(&session(json!({}))).unwrap() else { panic!() };
        assert!(s.token.unwrap().ct_eq("tok"));
        assert_eq!((s.expires_at_ms, s.due_ms), (Some(5000.0), Some(4000.0)));
        assert_eq!(s.scopes, ["a", "b"]);
        assert_eq!(s.return_to.as_deref(), Some("/x?y#z"));
        assert_eq!(s.user["name"], "Sam");
    }

    #[test]
    fn other_tabs_values_are_revalidated() {
        // S11: an unsafe returnTo becomes "/", like one given to signIn.
        let s = decode_session_message(&session(json!({"returnTo": "//evil.example"}))).unwrap();
        assert_eq!(s.return_to.as_deref(), Some("/"));
        let s = decode_session_message(&session(json!({"accessToken": null, "dueAt": null}))).unwrap();
        assert!(s.token.is_none() && s.due_ms.is_none());
        for bad in [
            json!({"accessToken": ""}),
            json!({"accessToken": 1}),
            json!({"user": "sam"}),
            json!({"user": {"id": "7"}}),
            json!({"user": null}),
            json!({"expiresAt": "soon"}),
            json!({"dueAt": true}),
            json!({"scopes": "a"}),
            json!({"scopes": ["a b"]}),
            json!({"scopes": [1]}),
            json!({"canvasRegion": 5}),
            json!({"returnTo": ["/"]}),
        ] {
            assert!(decode_session_message(&session(bad.clone())).is_err(), "{bad}");
        }
    }

    #[test]
    fn other_messages() {
        assert!(matches!(decode_peer_message(&json!({"type": "signed-out"})), Ok(PeerMessage::SignedOut)));
        assert!(matches!(decode_peer_message(&json!({"type": "refresh-failed"})), Ok(PeerMessage::RefreshFailed)));
        assert!(
            matches!(decode_peer_message(&json!({"type": "ask", "id": "q1"})), Ok(PeerMessage::Ask { id }) if id == "q1")
        );
        assert!(matches!(decode_peer_message(&json!({"type": "claim", "id": "c"})), Ok(PeerMessage::Claim { .. })));
        let answer = session(json!({"type": "answer", "id": "q1"}));
        assert!(matches!(decode_peer_message(&answer), Ok(PeerMessage::Answer { id, .. }) if id == "q1"));
        for bad in [
            json!({"type": "ask"}),
            json!({"type": "ask", "id": ""}),
            json!({"type": "claim", "id": "x".repeat(65)}),
            json!({"type": "claim", "id": "a b"}),
            json!({"type": "answer", "id": "q1"}),
            json!({"type": "reboot"}),
            json!({"type": 1}),
            json!({}),
            json!("session"),
            json!(null),
        ] {
            assert!(decode_peer_message(&bad).is_err(), "{bad}");
        }
    }
}
