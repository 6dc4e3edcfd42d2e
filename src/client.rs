//! `Inner`: one `CanvasAuth`'s state — configuration, the session, listeners, the channel to
//! this app's other tabs — and what changes it: sign-in results, sign-out, peers' messages.

use crate::config::Config;
use crate::error::Failure;
use crate::flows::FlowIndex;
use crate::js::{now_ms, object, set, Js};
use crate::random::random_bytes;
use crate::session::{self, Session};
use crate::tabs::{ANSWER, ASK, SESSION, SIGNED_OUT};
use crate::throttle::Slots;
use canvas_oauth_core::{decode_peer_message, ErrorCode, PeerMessage, State};
use js_sys::{Function, Promise};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{BroadcastChannel, MessageEvent};

/// How long `restore()` waits for another tab to share its token before using the cookie.
const ASK_PEERS_MS: f64 = 500.0;

pub(crate) struct Inner {
    pub config: Config,
    pub session: RefCell<Option<Session>>,
    /// The refresh in flight in this tab, shared by every caller (L14).
    pub refreshing: RefCell<Option<SharedRefresh>>,
    /// The last callback handled: a second call for the same URL gets the same promise.
    pub callback: RefCell<Option<(String, String, Promise)>>,
    pub listeners: RefCell<Vec<(u32, Function)>>,
    pub next_listener: Cell<u32>,
    channel: Option<BroadcastChannel>,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    /// `restore()` waiting for a peer: the question's id, the promise's resolve function, and
    /// the session a peer answered with.
    asking: RefCell<Option<(String, Function)>>,
    answer: RefCell<Option<Session>>,
    /// Peers' refresh claims (id, received at), for browsers without Web Locks.
    pub peer_claims: RefCell<Vec<(String, f64)>>,
    /// How many refresh outcomes (a session, a sign-out, a failed refresh) peers have
    /// announced: a tab that waited for the lock watches it change (S14).
    pub peer_outcomes: Cell<u32>,
    pub flow_index: FlowIndex,
    /// `false` when the relay did not get its cookie back after the sign-in (R9): the session
    /// then ends with its access token. A refresh that worked sets it back.
    pub persistent: Cell<bool>,
    /// API calls in flight in this tab (L18).
    pub slots: Slots,
    /// `auth.rateLimit`: null until an API answer reports the quota.
    pub quota: RefCell<JsValue>,
}

/// A refresh in flight: `done` resolves when it has finished, and `outcome` then holds the new
/// token or the typed failure, the same for every caller.
#[derive(Clone)]
pub(crate) struct SharedRefresh {
    pub done: Promise,
    pub outcome: RefreshOutcome,
}

pub(crate) type RefreshOutcome = Rc<RefCell<Option<Result<String, Failure>>>>;

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(channel) = &self.channel {
            channel.set_onmessage(None);
            channel.close();
        }
    }
}

impl Inner {
    pub fn new(config: Config) -> Rc<Self> {
        let channel = BroadcastChannel::new(&config.channel_name()).ok();
        Rc::new_cyclic(|weak: &Weak<Inner>| {
            let on_message = channel.as_ref().map(|channel| {
                let weak = weak.clone();
                let closure = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                    if let Some(inner) = weak.upgrade() {
                        inner.on_peer_message(event.data());
                    }
                });
                channel.set_onmessage(Some(closure.as_ref().unchecked_ref()));
                closure
            });
            Inner {
                slots: Slots::new(config.max_in_flight),
                quota: RefCell::new(JsValue::NULL),
                config,
                session: RefCell::new(None),
                refreshing: RefCell::new(None),
                callback: RefCell::new(None),
                listeners: RefCell::new(Vec::new()),
                next_listener: Cell::new(1),
                channel,
                _on_message: on_message,
                asking: RefCell::new(None),
                answer: RefCell::new(None),
                peer_claims: RefCell::new(Vec::new()),
                peer_outcomes: Cell::new(0),
                flow_index: FlowIndex::new(),
                persistent: Cell::new(true),
            }
        })
    }

    pub fn session_js(&self) -> JsValue {
        let out = self.session.borrow().as_ref().map_or(JsValue::NULL, session::to_js);
        if out.is_object() {
            set(&out, "persistent", self.persistent.get());
        }
        out
    }

    pub fn emit(&self, kind: &str, from_other_tab: bool) {
        let event = object();
        set(&event, "type", kind);
        set(&event, "session", self.session_js());
        set(&event, "fromOtherTab", from_other_tab);
        let listeners: Vec<Function> = self.listeners.borrow().iter().map(|(_, f)| f.clone()).collect();
        for listener in listeners {
            // A listener that throws must not break the library or the other listeners.
            let _ = listener.call1(&JsValue::NULL, &event);
        }
    }

    pub fn broadcast(&self, kind: &str, id: Option<&str>) {
        if let Some(channel) = &self.channel {
            let message = match self.session.borrow().as_ref() {
                Some(session) if kind == SESSION || kind == ANSWER => session::to_message(session),
                _ => object(),
            };
            set(&message, "type", kind);
            if let Some(id) = id {
                set(&message, "id", id);
            }
            let _ = channel.post_message(&message);
        }
    }

    pub fn set_session(&self, session: Session, from_other_tab: bool) {
        let kind = if self.session.borrow().is_some() { "refreshed" } else { "signed-in" };
        *self.session.borrow_mut() = Some(session);
        if !from_other_tab {
            self.broadcast(SESSION, None);
        }
        self.emit(kind, from_other_tab);
    }

    /// Forgets the session here and, unless the news came from a peer, in the other tabs.
    pub fn end_session(&self, from_other_tab: bool) {
        let had = self.session.borrow_mut().take().is_some();
        if !from_other_tab {
            self.broadcast(SIGNED_OUT, None);
        }
        if had {
            self.emit("signed-out", from_other_tab);
        }
    }

    /// A message from another tab. Core validates it first (S11); a malformed one is ignored.
    fn on_peer_message(&self, message: JsValue) {
        let Ok(message) = decode_peer_message(&Js(message)) else { return };
        match message {
            PeerMessage::Session(session) => {
                self.peer_outcomes.set(self.peer_outcomes.get() + 1);
                self.set_session(session, true);
            }
            PeerMessage::SignedOut => {
                self.peer_outcomes.set(self.peer_outcomes.get() + 1);
                self.end_session(true);
            }
            PeerMessage::RefreshFailed => self.peer_outcomes.set(self.peer_outcomes.get() + 1),
            PeerMessage::Ask { id } => {
                let fresh = self.session.borrow().as_ref().is_some_and(|s| s.token.is_some() && !s.is_due(now_ms()));
                if fresh {
                    self.broadcast(ANSWER, Some(&id));
                }
            }
            PeerMessage::Claim { id } => self.peer_claims.borrow_mut().push((id, now_ms())),
            PeerMessage::Answer { id, session } => {
                let resolve = self.asking.borrow().as_ref().filter(|(want, _)| *want == id).map(|(_, f)| f.clone());
                if let Some(resolve) = resolve {
                    *self.answer.borrow_mut() = Some(session);
                    let _ = resolve.call0(&JsValue::NULL);
                }
            }
        }
    }

    pub async fn restore(self: Rc<Self>) -> Result<JsValue, Failure> {
        if self.session.borrow().is_some() {
            return Ok(self.session_js());
        }
        // A refresh would kill the access token of any open tab: ask them first.
        if let Some(session) = self.ask_peers().await {
            self.set_session(session, true);
            return Ok(self.session_js());
        }
        match self.refresh(None).await {
            Ok(_) => Ok(self.session_js()),
            Err(error) if error.code() == Some(ErrorCode::InvalidGrant) => Ok(JsValue::NULL),
            Err(error) => Err(error),
        }
    }

    async fn ask_peers(self: &Rc<Self>) -> Option<Session> {
        self.channel.as_ref()?;
        let id = State::from_random(&random_bytes().ok()?).as_str().to_owned();
        let answered = Promise::new(&mut |resolve, _| {
            *self.asking.borrow_mut() = Some((id.clone(), resolve));
        });
        self.broadcast(ASK, Some(&id));
        let timeout = crate::io::timer(ASK_PEERS_MS, &JsValue::UNDEFINED);
        let _ = JsFuture::from(Promise::race(&js_sys::Array::of2(&answered, &timeout))).await;
        self.asking.borrow_mut().take();
        self.answer.borrow_mut().take()
    }
}
