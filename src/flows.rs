//! Pending authorizations in sessionStorage, one entry per `state` (L1): never a fixed key,
//! so two sign-ins in flight (two tabs, a double click) cannot overwrite each other.

use crate::error::js_error;
use crate::js::{get, object, set, window};
use canvas_oauth_core::{constant_time_eq, flow_expired, Error, ErrorCode};
use js_sys::{Array, JSON};
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

/// Stores `flow` under `state`, first dropping expired flows and the oldest beyond the cap.
pub(crate) fn save(state: &str, flow: &Flow, now_ms: f64) -> Result<(), JsValue> {
    let storage = storage()?;
    prune(&storage, now_ms);
    let value = object();
    set(&value, "k", state);
    set(&value, "v", flow.verifier.as_str());
    set(&value, "r", flow.redirect_uri.as_str());
    set(&value, "o", flow.canvas_origin.as_str());
    set(&value, "t", flow.created_ms);
    set(&value, "p", flow.return_to.as_str());
    set(&value, "s", flow.scopes.iter().map(|s| JsValue::from(s.as_str())).collect::<Array>());
    let text = JSON::stringify(&value)?;
    storage
        .set_item(&format!("{PREFIX}{state}"), &String::from(text))
        .map_err(|_| js_error(Error::new(ErrorCode::InvalidArgument, "sessionStorage is full or blocked")))
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
            scopes: Array::is_array(&scopes).then(|| Array::from(&scopes).iter().filter_map(|s| s.as_string()).collect())?,
        })
    })();
    Ok(flow)
}

fn prune(storage: &Storage, now_ms: f64) {
    let mut flows: Vec<(String, f64)> = Vec::new();
    for i in 0..storage.length().unwrap_or(0) {
        let Some(key) = storage.key(i).ok().flatten() else { continue };
        if key.starts_with(PREFIX) {
            let created = storage.get_item(&key).ok().flatten().and_then(|t| JSON::parse(&t).ok()).and_then(|v| get(&v, "t").as_f64());
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
    // Room for the flow about to be saved: drop the oldest (a linear scan; no sort in the bundle).
    while flows.len() >= MAX_FLOWS {
        let oldest = (0..flows.len()).fold(0, |o, i| if flows[i].1 < flows[o].1 { i } else { o });
        let _ = storage.remove_item(&flows.swap_remove(oldest).0);
    }
}
