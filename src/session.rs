//! The signed-in session held in memory (L11): the access token never leaves this struct
//! except to be sent to the relay or, over BroadcastChannel, to this app's other tabs.

use crate::js::{get, object, set};
use canvas_oauth_core::{token_due_ms, Error, ErrorCode};
use js_sys::Array;
use wasm_bindgen::prelude::*;

pub(crate) struct Session {
    /// `None` for a userinfo-only grant (docs/canvas.md §3.6).
    pub token: Option<String>,
    pub expires_at_ms: Option<f64>,
    /// When to refresh: expiry minus the margin.
    pub due_ms: Option<f64>,
    pub user: JsValue,
    pub canvas_region: Option<String>,
    pub scopes: Vec<String>,
    pub return_to: Option<String>,
}

fn invalid(why: &str) -> Error {
    Error::new(ErrorCode::InvalidResponse, format!("the relay's token answer {why}"))
}

impl Session {
    /// Reads a relay `/token` or `/refresh` answer strictly (L12): `access_token` a non-empty
    /// string or null, `token_type` Bearer, `expires_in` a non-negative integer if present,
    /// `user` an object with a numeric `id`.
    pub fn from_grant(
        grant: &JsValue,
        received_ms: f64,
        margin_secs: u64,
        scopes: Vec<String>,
        return_to: Option<String>,
    ) -> Result<Self, Error> {
        let token = get(grant, "access_token");
        let token = match token.as_string() {
            Some(t) if !t.is_empty() => Some(t),
            None if token.is_null() => None,
            _ => return Err(invalid("has no usable access_token")),
        };
        if !get(grant, "token_type").as_string().is_some_and(|t| t.eq_ignore_ascii_case("bearer")) {
            return Err(invalid("has a token_type other than Bearer"));
        }
        let expires_in = get(grant, "expires_in");
        let expires_in = if expires_in.is_undefined() || expires_in.is_null() {
            None
        } else {
            match expires_in.as_f64() {
                Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 1e9 => Some(n as u64),
                _ => return Err(invalid("has an invalid expires_in")),
            }
        };
        let user = get(grant, "user");
        if !user.is_object() || !get(&user, "id").as_f64().is_some_and(|id| id.fract() == 0.0) {
            return Err(invalid("has no user"));
        }
        let canvas_region = get(grant, "canvas_region").as_string();
        Ok(Self {
            token,
            expires_at_ms: expires_in.map(|s| received_ms + s as f64 * 1000.0),
            due_ms: token_due_ms(received_ms, expires_in, margin_secs),
            user,
            canvas_region,
            scopes,
            return_to,
        })
    }

    pub fn is_due(&self, now_ms: f64) -> bool {
        self.due_ms.is_some_and(|due| now_ms >= due)
    }

    /// The public `auth.session` object: no token in it.
    pub fn to_js(&self) -> JsValue {
        let out = object();
        set(&out, "user", self.user.clone());
        set(&out, "expiresAt", self.expires_at_ms.map_or(JsValue::NULL, JsValue::from));
        set(&out, "scopes", self.scopes.iter().map(|s| JsValue::from(s.as_str())).collect::<Array>());
        set(&out, "canvasRegion", self.canvas_region.as_deref().map_or(JsValue::NULL, JsValue::from));
        set(&out, "returnTo", self.return_to.as_deref().map_or(JsValue::NULL, JsValue::from));
        out
    }

    /// The session as sent to this app's other tabs, token included.
    pub fn to_message(&self) -> JsValue {
        let out = self.to_js();
        set(&out, "accessToken", self.token.as_deref().map_or(JsValue::NULL, JsValue::from));
        set(&out, "dueAt", self.due_ms.map_or(JsValue::NULL, JsValue::from));
        out
    }

    /// Reads a peer tab's message; `None` if it is not a well-formed session.
    pub fn from_message(message: &JsValue) -> Option<Self> {
        let token = get(message, "accessToken");
        let user = get(message, "user");
        if !(token.is_null() || token.as_string().is_some_and(|t| !t.is_empty())) || !user.is_object() {
            return None;
        }
        let number = |key| get(message, key).as_f64();
        let text = |key| get(message, key).as_string();
        let scopes = get(message, "scopes");
        let scopes = if Array::is_array(&scopes) {
            Array::from(&scopes).iter().filter_map(|s| s.as_string()).collect()
        } else {
            Vec::new()
        };
        Some(Self {
            token: token.as_string(),
            expires_at_ms: number("expiresAt"),
            due_ms: number("dueAt"),
            user,
            canvas_region: text("canvasRegion"),
            scopes,
            return_to: text("returnTo"),
        })
    }
}
