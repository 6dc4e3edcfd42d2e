//! Pending authorizations in sessionStorage, one entry per `state` (L1): never a fixed key,
//! so two sign-ins in flight (two tabs, a double click) cannot overwrite each other. What the
//! entries hold and how they are checked is core's (`PendingFlow`, `decode_stored_flow`).

use crate::error::{err, window, Failure};
use crate::js::{get, Js};
use canvas_oauth_core::{concat, decode_stored_flow, flow_expired, ErrorCode, FlowStore, PendingFlow};
use js_sys::JSON;
use std::cell::{Cell, RefCell};
use web_sys::Storage;

const PREFIX: &str = "canvas-oauth:flow:";
/// Pending flows kept at most; the oldest go first.
const MAX_FLOWS: usize = 20;
/// Expired flows are dropped at least this often.
const RESCAN_MS: f64 = 60_000.0;

fn storage() -> Result<Storage, Failure> {
    window()?
        .session_storage()
        .ok()
        .flatten()
        .ok_or_else(|| err(ErrorCode::InvalidArgument, "sessionStorage is not available"))
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

/// Stores `flow` under its state, dropping expired flows and, beyond the cap, the oldest.
pub(crate) fn save(flow: &PendingFlow, now_ms: f64, index: &FlowIndex) -> Result<(), Failure> {
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
    let key = concat(&[PREFIX, &flow.state]);
    storage
        .set_item(&key, &flow.to_json())
        .map_err(|_| err(ErrorCode::InvalidArgument, "sessionStorage is full or blocked"))?;
    known.push((key, now_ms));
    Ok(())
}

/// sessionStorage as core's [`FlowStore`].
pub(crate) struct SessionFlows(pub Storage);

impl SessionFlows {
    pub fn open() -> Result<Self, Failure> {
        storage().map(Self)
    }
}

impl FlowStore for SessionFlows {
    /// Removal comes first, so a second callback with the same state (reload, back button,
    /// a concurrent call) finds nothing (L2). An entry that does not decode is none.
    fn take(&mut self, state: &str) -> Option<PendingFlow> {
        let key = concat(&[PREFIX, state]);
        let text = self.0.get_item(&key).ok().flatten()?;
        let _ = self.0.remove_item(&key);
        decode_stored_flow(&Js(JSON::parse(&text).ok()?)).ok()
    }
}

/// Removes every pending flow of this tab, verifiers included (S12: on sign-out).
pub(crate) fn clear(index: &FlowIndex) {
    let Ok(storage) = storage() else { return };
    let keys: Vec<String> = (0..storage.length().unwrap_or(0))
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| key.starts_with(PREFIX))
        .collect();
    for key in keys {
        let _ = storage.remove_item(&key);
    }
    index.known.borrow_mut().clear();
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
