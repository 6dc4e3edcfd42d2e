//! Pending authorizations in sessionStorage, one entry per `state` (L1): never a fixed key,
//! so two sign-ins in flight (two tabs, a double click) cannot overwrite each other.

use crate::error::js_error;
use crate::js::{get, window};
use canvas_oauth_core::{constant_time_eq, flow_expired, json_string_into, Error, ErrorCode};
use js_sys::{Array, JSON};
use std::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;
use web_sys::Storage;

const PREFIX: &str = "canvas-oauth:flow:";
/// Pending flows kept at most; the oldest go first.
const MAX_FLOWS: usize = 20;

pub(crate) struct Flow {
    pub verifier: String,
    pub redirect_uri: String,
    pub canvas_origin: String,
    pub created_ms: f64,
    pub return_to: String,
    pub scopes: Vec<String>,
}

fn storage() -> Result<Storage, JsValue> {
    window()?
        .session_storage()
        .ok()
        .flatten()
        .ok_or_else(|| js_error(Error::new(ErrorCode::InvalidArgument, "sessionStorage is not available")))
}

/// The pending flows this tab has, as (storage key, created at): sessionStorage belongs to one
/// tab, so keeping the list here saves reading and parsing every flow on each sign-in. It is
/// rebuilt from storage on first use and once a minute (flows of an earlier page load).
pub(crate) struct FlowIndex {
    known: RefCell<Vec<(String, f64)>>,
    scanned_at: Cell<f64>,
}

impl FlowIndex {
    pub fn new() -> Self {
        Self { known: RefCell::new(Vec::new()), scanned_at: Cell::new(f64::NEG_INFINITY) }
    }
}

/// Expired flows are dropped at least this often.
const RESCAN_MS: f64 = 60_000.0;

/// Stores `flow` under `state`, dropping expired flows and, beyond the cap, the oldest.
pub(crate) fn save(state: &str, flow: &Flow, now_ms: f64, index: &FlowIndex) -> Result<(), JsValue> {
    let storage = storage()?;
    let mut known = index.known.borrow_mut();
    if now_ms - index.scanned_at.get() > RESCAN_MS {
        *known = scan(&storage, now_ms);
        index.scanned_at.set(now_ms);
    }
    while known.len() >= MAX_FLOWS {
        // The oldest by a linear scan: the list is short, and a sort would grow the bundle.
        let oldest = (0..known.len()).fold(0, |o, i| if known[i].1 < known[o].1 { i } else { o });
        let _ = storage.remove_item(&known.swap_remove(oldest).0);
    }
    let key = format!("{PREFIX}{state}");
    // Written as JSON here rather than built as a JS object: one call across to JS, not eight.
    let mut text = String::with_capacity(256);
    let mut field = |name: &str, value: &str| {
        text.push_str(if text.is_empty() { "{\"" } else { ",\"" });
        text.push_str(name);
        text.push_str("\":");
        json_string_into(&mut text, value);
    };
    field("k", state);
    field("v", &flow.verifier);
    field("r", &flow.redirect_uri);
    field("o", &flow.canvas_origin);
    field("p", &flow.return_to);
    text.push_str(",\"t\":");
    text.push_str(&(flow.created_ms as u64).to_string());
    text.push_str(",\"s\":[");
    for (i, scope) in flow.scopes.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        json_string_into(&mut text, scope);
    }
    text.push_str("]}");
    storage
        .set_item(&key, &text)
        .map_err(|_| js_error(Error::new(ErrorCode::InvalidArgument, "sessionStorage is full or blocked")))?;
    known.push((key, now_ms));
    Ok(())
}

/// Removes and returns the flow for `state`. Removal comes first, so a second callback with
/// the same state (reload, back button, a concurrent call) finds nothing (L2).
pub(crate) fn take(state: &str) -> Result<Option<Flow>, JsValue> {
    let storage = storage()?;
    let key = format!("{PREFIX}{state}");
    let Some(text) = storage.get_item(&key).ok().flatten() else { return Ok(None) };
    let _ = storage.remove_item(&key);
    let Ok(value) = JSON::parse(&text) else { return Ok(None) };
    let stored_state = get(&value, "k").as_string().unwrap_or_default();
    if !constant_time_eq(stored_state.as_bytes(), state.as_bytes()) {
        return Ok(None);
    }
    let text = |k| get(&value, k).as_string();
    let scopes = get(&value, "s");
    let flow = (|| {
        Some(Flow {
            verifier: text("v")?,
            redirect_uri: text("r")?,
            canvas_origin: text("o")?,
            created_ms: get(&value, "t").as_f64()?,
            return_to: text("p")?,
            scopes: Array::is_array(&scopes)
                .then(|| Array::from(&scopes).iter().filter_map(|s| s.as_string()).collect())?,
        })
    })();
    Ok(flow)
}

/// Reads every pending flow in storage, removing the expired ones.
fn scan(storage: &Storage, now_ms: f64) -> Vec<(String, f64)> {
    let mut flows: Vec<(String, f64)> = Vec::new();
    for i in 0..storage.length().unwrap_or(0) {
        let Some(key) = storage.key(i).ok().flatten() else { continue };
        if key.starts_with(PREFIX) {
            let created = storage
                .get_item(&key)
                .ok()
                .flatten()
                .and_then(|t| JSON::parse(&t).ok())
                .and_then(|v| get(&v, "t").as_f64());
            flows.push((key, created.unwrap_or(f64::NAN)));
        }
    }
    flows.retain(|(key, created)| {
        let expired = flow_expired(*created, now_ms);
        if expired {
            let _ = storage.remove_item(key);
        }
        !expired
    });
    flows
}
