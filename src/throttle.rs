//! Throttling in this tab (L18): a cap on API calls in flight (extra calls wait in order), the
//! back-off wait between retries, and the last quota Canvas reported. The decisions are core's.

use crate::client::Inner;
use crate::error::Failure;
use crate::js::{get, now_ms, object, set};
use canvas_oauth_core::parse_quota;
use js_sys::{Function, Promise};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

/// API calls in flight, at most `cap`; the rest wait first in, first out, each with its id and
/// wake-up function. A waiter that has left the queue when it wakes was handed a slot.
pub(crate) struct Slots {
    cap: u32,
    busy: Cell<u32>,
    queue: RefCell<Vec<(u32, Function)>>,
    next_id: Cell<u32>,
}

impl Slots {
    pub fn new(cap: u32) -> Self {
        Self { cap, busy: Cell::new(0), queue: RefCell::new(Vec::new()), next_id: Cell::new(0) }
    }

    /// Hands the slot to the first waiter, or frees it.
    fn release(&self) {
        let first = {
            let mut queue = self.queue.borrow_mut();
            (!queue.is_empty()).then(|| queue.remove(0))
        };
        match first {
            Some((_, wake)) => drop(wake.call0(&JsValue::NULL)),
            None => self.busy.set(self.busy.get() - 1),
        }
    }
}

/// A held slot, given back when dropped.
pub(crate) struct Slot(Rc<Inner>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.slots.release();
    }
}

fn aborted(signal: &JsValue) -> Result<(), Failure> {
    match get(signal, "aborted").is_truthy() {
        true => Err(Failure::from(get(signal, "reason"))),
        false => Ok(()),
    }
}

/// Waits until `arm`'s function or the caller's `signal` (when it is an AbortSignal) fires.
async fn park(signal: &JsValue, arm: impl FnOnce(&Function)) {
    let mut arm = Some(arm);
    let p = Promise::new(&mut |resolve, _| {
        if let Ok(listen) = get(signal, "addEventListener").dyn_into::<Function>() {
            let _ = listen.call2(signal, &"abort".into(), &resolve);
        }
        if let Some(arm) = arm.take() {
            arm(&resolve);
        }
    });
    let _ = JsFuture::from(p).await;
}

/// A slot for one API call; queued behind earlier calls when `cap` are in flight. An abort while
/// queued leaves the queue (and hands on a slot given meanwhile) and rejects with the signal's reason.
pub(crate) async fn acquire(inner: &Rc<Inner>, signal: &JsValue) -> Result<Slot, Failure> {
    aborted(signal)?;
    let slots = &inner.slots;
    if slots.busy.get() < slots.cap {
        slots.busy.set(slots.busy.get() + 1);
        return Ok(Slot(inner.clone()));
    }
    let id = slots.next_id.get();
    slots.next_id.set(id.wrapping_add(1));
    park(signal, |wake| slots.queue.borrow_mut().push((id, wake.clone()))).await;
    let queue_len = slots.queue.borrow().len();
    slots.queue.borrow_mut().retain(|(i, _)| *i != id);
    if slots.queue.borrow().len() < queue_len {
        // Still queued: only an abort wakes a call that was not handed a slot.
        return Err(Failure::from(get(signal, "reason")));
    }
    let slot = Slot(inner.clone());
    aborted(signal)?;
    Ok(slot)
}

/// Sleeps `ms`, or less when the caller aborts (then rejects with the signal's reason).
pub(crate) async fn back_off(ms: u32, signal: &JsValue) -> Result<(), Failure> {
    crate::io::sleep(ms.into(), signal).await;
    aborted(signal)
}

/// Remembers the quota headers of an API answer that has either, as `auth.rateLimit`'s
/// `{ remaining, cost, at }` (a missing one null, `at` epoch ms).
pub(crate) fn note_quota(inner: &Inner, response: &Response) {
    let read = |name| parse_quota(response.headers().get(name).ok().flatten().as_deref());
    let (remaining, cost) = (read("X-Rate-Limit-Remaining"), read("X-Request-Cost"));
    if remaining.is_some() || cost.is_some() {
        let out = object();
        set(&out, "remaining", remaining.map_or(JsValue::NULL, JsValue::from));
        set(&out, "cost", cost.map_or(JsValue::NULL, JsValue::from));
        set(&out, "at", now_ms());
        inner.quota.replace(out);
    }
}
