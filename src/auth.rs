//! `CanvasAuth`: sign-in, callback, session, refresh and sign-out (the JavaScript API: `docs/npm-readme.md`).

use crate::config::Config;
use crate::error::{js_error, string_arg};
use crate::flows::{self, Flow};
use crate::free::{random_bytes, random_pair};
use crate::js::{get, now_ms, object, opt_bool, opt_string, opt_strings, set, window};
use crate::relay;
use crate::session::Session;
use crate::tabs::{self, ANSWER, ASK, CLAIM, SESSION, SIGNED_OUT};
use canvas_oauth_core::{
    authorize_url, flow_expired, is_callback, normalize_scopes, parse_callback, safe_return_path,
    strip_callback_params, AuthorizeRequest, Callback, Error, ErrorCode, PkceVerifier, Prompt, State,
};
use js_sys::{Function, Promise};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{BroadcastChannel, MessageEvent};

/// How long `restore()` waits for another tab to share its token before using the cookie.
const ASK_PEERS_MS: f64 = 500.0;
/// Without Web Locks: how long to collect peers' refresh claims, how long a claim counts, and
/// how long a tab that lost waits for the winner's new session before refreshing itself.
const CLAIM_WINDOW_MS: f64 = 60.0;
const CLAIM_TTL_MS: f64 = 3_000.0;
const CLAIM_WAIT_MS: f64 = 3_000.0;

pub(crate) struct Inner {
    pub config: Config,
    session: RefCell<Option<Session>>,
    /// The refresh in flight in this tab, shared by every caller (L14).
    refreshing: RefCell<Option<Promise>>,
    /// The last callback handled: a second call for the same URL gets the same promise.
    callback: RefCell<Option<(String, String, Promise)>>,
    listeners: RefCell<Vec<(u32, Function)>>,
    next_listener: Cell<u32>,
    channel: Option<BroadcastChannel>,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    /// `restore()` waiting for a peer: the question's id and the promise's resolve function.
    asking: RefCell<Option<(String, Function)>>,
    /// Peers' refresh claims (id, received at), for browsers without Web Locks.
    peer_claims: RefCell<Vec<(String, f64)>>,
    flow_index: flows::FlowIndex,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(channel) = &self.channel {
            channel.set_onmessage(None);
            channel.close();
        }
    }
}

fn err(code: ErrorCode, description: &str) -> JsValue {
    js_error(Error::new(code, description))
}

/// Runs an async block as a Promise that rejects with a CanvasAuthError. Boxed so that
/// `future_to_promise` is compiled once for every async method, not once per method.
pub(crate) fn promise<F>(future: F) -> Promise
where
    F: std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
{
    let boxed: std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, JsValue>>>> = Box::pin(future);
    future_to_promise(boxed)
}

fn code_of(error: &JsValue) -> Option<String> {
    get(error, "code").as_string()
}

/// Signs users of this page in with Canvas and keeps their access token fresh.
#[wasm_bindgen]
pub struct CanvasAuth {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl CanvasAuth {
    /// Checks every option; throws `config_invalid` naming the bad field.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "CanvasAuthOptions")] options: JsValue,
    ) -> Result<CanvasAuth, JsValue> {
        let config = Config::from_js(&options)?;
        let channel = BroadcastChannel::new(&config.channel_name()).ok();
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
            let on_message = channel.as_ref().map(|channel| {
                let weak = weak.clone();
                let closure = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                    if let Some(inner) = weak.upgrade() {
                        inner.on_peer_message(&event.data());
                    }
                });
                channel.set_onmessage(Some(closure.as_ref().unchecked_ref()));
                closure
            });
            Inner {
                config,
                session: RefCell::new(None),
                refreshing: RefCell::new(None),
                callback: RefCell::new(None),
                listeners: RefCell::new(Vec::new()),
                next_listener: Cell::new(1),
                channel,
                _on_message: on_message,
                asking: RefCell::new(None),
                peer_claims: RefCell::new(Vec::new()),
                flow_index: flows::FlowIndex::new(),
            }
        });
        Ok(CanvasAuth { inner })
    }

    /// The URL that starts a sign-in. Saves the pending flow (state, PKCE verifier, return
    /// path) in sessionStorage under its state.
    #[wasm_bindgen(js_name = authorizeUrl, skip_typescript)]
    pub fn authorize_url(&self, options: Option<JsValue>) -> Result<String, JsValue> {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let config = &self.inner.config;
        let options = if options.is_object() {
            options
        } else if options.is_undefined() || options.is_null() {
            object()
        } else {
            return Err(err(ErrorCode::InvalidArgument, "options must be an object"));
        };
        let code = ErrorCode::InvalidArgument;
        let return_to = match opt_string(&options, "returnTo", code)? {
            Some(path) => safe_return_path(&path),
            None => {
                // The current page: the path, query and fragment of `location.href`.
                let href = window()?.location().href()?;
                let path_start = href.find("://").and_then(|i| href[i + 3..].find('/').map(|j| i + 3 + j));
                safe_return_path(&strip_callback_params(path_start.map_or("/", |i| &href[i..])))
            }
        };
        let purpose = opt_string(&options, "purpose", code)?;
        let unique_id = opt_string(&options, "uniqueId", code)?;
        let force_login = opt_bool(&options, "forceLogin", code)?;
        let prompt = opt_string(&options, "prompt", code)?.map(|p| Prompt::parse(&p)).transpose().map_err(js_error)?;
        let scopes = match opt_strings(&options, "scopes", code)? {
            Some(scopes) => normalize_scopes(&scopes).map_err(js_error)?,
            None => config.scopes.clone(),
        };
        let (state_bytes, verifier_bytes) = random_pair()?;
        let state = State::from_random(&state_bytes);
        let verifier = PkceVerifier::from_random(&verifier_bytes);
        let url = authorize_url(&AuthorizeRequest {
            canvas: &config.canvas,
            client_id: &config.client_id,
            redirect_uri: &config.redirect_uri,
            state: state.as_str(),
            code_challenge: &verifier.challenge(),
            scopes: &scopes,
            purpose: purpose.as_deref(),
            force_login,
            unique_id: unique_id.as_deref(),
            prompt,
        })
        .map_err(js_error)?;
        let now = now_ms();
        let flow = Flow {
            verifier: verifier.secret().to_owned(),
            redirect_uri: config.redirect_uri.clone(),
            canvas_origin: config.canvas.origin().to_owned(),
            created_ms: now,
            return_to,
            scopes,
        };
        flows::save(state.as_str(), &flow, now, &self.inner.flow_index)?;
        Ok(url)
    }

    /// `authorizeUrl(options)`, then navigates there.
    #[wasm_bindgen(js_name = signIn, skip_typescript)]
    pub fn sign_in(&self, options: Option<JsValue>) -> Result<(), JsValue> {
        let url = self.authorize_url(options)?;
        window()?.location().assign(&url)
    }

    /// Does `url` (default: the current address) carry an authorization response?
    #[wasm_bindgen(js_name = isCallback, skip_typescript)]
    pub fn is_callback(&self, url: Option<JsValue>) -> Result<bool, JsValue> {
        let url = url.unwrap_or(JsValue::UNDEFINED);
        let url = if url.is_undefined() { window()?.location().href()? } else { string_arg(&url, "url")? };
        Ok(is_callback(&url))
    }

    /// Completes a sign-in: checks the callback and its state, cleans the address bar, and
    /// exchanges the code through the relay. Resolves to the session.
    #[wasm_bindgen(js_name = handleCallback, skip_typescript)]
    pub fn handle_callback(&self, url: Option<JsValue>) -> Promise {
        match self.start_callback(url.unwrap_or(JsValue::UNDEFINED)) {
            Ok(promise) => promise,
            Err(error) => Promise::reject(&error),
        }
    }

    /// On page load: the session back from another tab or the relay cookie, or `null`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Session | null>")]
    pub fn restore(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move { inner.restore().await })
    }

    /// The current session (no token in it), or `null`.
    #[wasm_bindgen(getter, unchecked_return_type = "Session | null")]
    pub fn session(&self) -> JsValue {
        self.inner.session_js()
    }

    /// A valid access token, refreshed first when it is due (one refresh across all tabs).
    #[wasm_bindgen(js_name = accessToken, unchecked_return_type = "Promise<string>")]
    pub fn access_token(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move { inner.access_token().await.map(JsValue::from) })
    }

    /// Calls the Canvas API through the relay with the token attached; on a 401
    /// "Invalid access token." refreshes once and retries once.
    #[wasm_bindgen(skip_typescript)]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
        init: Option<JsValue>,
    ) -> Promise {
        let inner = self.inner.clone();
        let init = init.unwrap_or(JsValue::UNDEFINED);
        promise(async move {
            let path = string_arg(&path, "path")?;
            crate::api::fetch(&inner, &path, &init).await.map(JsValue::from)
        })
    }

    /// Every page of a paginated Canvas API list, following `Link: rel="next"`.
    #[wasm_bindgen(unchecked_return_type = "AsyncIterableIterator<unknown>")]
    pub fn paginate(&self, #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue) -> Result<JsValue, JsValue> {
        let path = string_arg(&path, "path")?;
        crate::api::paginate(self.inner.clone(), path)
    }

    /// A Canvas URL that logs this browser into Canvas's web UI (valid for 30 seconds).
    #[wasm_bindgen(js_name = webSessionUrl, skip_typescript)]
    pub fn web_session_url(&self, return_to: Option<JsValue>) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            // A path is taken as a page of this Canvas; Canvas wants an absolute URL on its host.
            let return_to = return_to.map(|r| string_arg(&r, "returnTo")).transpose()?.map(|r| {
                if r.starts_with('/') && !r.starts_with("//") {
                    inner.config.canvas.join(&r)
                } else {
                    r
                }
            });
            let body = object();
            if let Some(return_to) = return_to {
                set(&body, "return_to", return_to);
            }
            let answer = inner.post_with_token("/session-url", &body).await?;
            get(&answer, "session_url")
                .as_string()
                .map(JsValue::from)
                .ok_or_else(|| err(ErrorCode::InvalidResponse, "the relay's answer has no session_url"))
        })
    }

    /// Revokes the token at Canvas (and, with `expireSessions`, ends Canvas web sessions),
    /// forgets the session here and in the other tabs. Resolves to `{ forwardUrl? }`.
    #[wasm_bindgen(js_name = signOut, skip_typescript)]
    pub fn sign_out(&self, options: Option<JsValue>) -> Promise {
        let inner = self.inner.clone();
        let options = options.unwrap_or(JsValue::UNDEFINED);
        promise(async move {
            let expire_sessions = if options.is_object() {
                opt_bool(&options, "expireSessions", ErrorCode::InvalidArgument)?
            } else {
                false
            };
            // Always ask the relay, token or not: it revokes with the cookie when there is no
            // token here (a logout page, before restore) and clears the cookie either way.
            let token = inner.session.borrow().as_ref().and_then(|s| s.token.clone());
            let body = object();
            set(&body, "expire_sessions", expire_sessions);
            let result = relay::post(&inner.config, "/revoke", Some(&body), token.as_deref()).await;
            // Forget the session whatever the relay said: the user asked to be signed out.
            inner.end_session(false);
            let answer = result.map_err(js_error)?;
            let out = object();
            if let Some(url) = get(&answer, "forward_url").as_string() {
                set(&out, "forwardUrl", url);
            }
            Ok(out)
        })
    }

    /// Calls `listener({ type, session, fromOtherTab })` on "signed-in", "refreshed" and
    /// "signed-out", including those from other tabs. Returns a function that unsubscribes.
    #[wasm_bindgen(js_name = onChange, unchecked_return_type = "() => void")]
    pub fn on_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: ChangeEvent) => void")] listener: JsValue,
    ) -> Result<JsValue, JsValue> {
        let listener: Function =
            listener.dyn_into().map_err(|_| err(ErrorCode::InvalidArgument, "listener must be a function"))?;
        let id = self.inner.next_listener.get();
        self.inner.next_listener.set(id + 1);
        self.inner.listeners.borrow_mut().push((id, listener));
        let weak = Rc::downgrade(&self.inner);
        let unsubscribe = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                inner.listeners.borrow_mut().retain(|(i, _)| *i != id);
            }
        });
        Ok(unsubscribe.into_js_value())
    }
}

impl CanvasAuth {
    fn start_callback(&self, url: JsValue) -> Result<Promise, JsValue> {
        let location = window()?.location();
        let current = location.href()?;
        let url = if url.is_undefined() { current.clone() } else { string_arg(&url, "url")? };
        if let Some((seen, cleaned, pending)) = self.inner.callback.borrow().as_ref() {
            if *seen == url || (url == current && *cleaned == current) {
                return Ok(pending.clone());
            }
        }
        let parsed = parse_callback(&url);
        // L7: the code leaves the address bar now, before the first await, even if it is bad.
        // The cleaned address is remembered so a second call on the cleaned page (React
        // StrictMode) gets this promise; an explicit URL leaves the address bar alone.
        let mut cleaned = String::new();
        if url == current && is_callback(&url) {
            window()?.history()?.replace_state_with_url(&JsValue::NULL, "", Some(&strip_callback_params(&url)))?;
            cleaned = window()?.location().href()?;
        }
        let inner = self.inner.clone();
        let callback_url = url.clone();
        let pending = promise(async move { inner.complete_callback(parsed, &callback_url).await });
        *self.inner.callback.borrow_mut() = Some((url, cleaned, pending.clone()));
        Ok(pending)
    }
}

impl Inner {
    fn session_js(&self) -> JsValue {
        self.session.borrow().as_ref().map_or(JsValue::NULL, Session::to_js)
    }

    fn emit(&self, kind: &str, from_other_tab: bool) {
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

    fn broadcast(&self, kind: &str, extra: Option<(&str, JsValue)>) {
        if let Some(channel) = &self.channel {
            let message = match self.session.borrow().as_ref() {
                Some(session) if kind == SESSION || kind == ANSWER => session.to_message(),
                _ => object(),
            };
            set(&message, "type", kind);
            if let Some((key, value)) = extra {
                set(&message, key, value);
            }
            let _ = channel.post_message(&message);
        }
    }

    fn set_session(&self, session: Session, from_other_tab: bool) {
        let kind = if self.session.borrow().is_some() { "refreshed" } else { "signed-in" };
        *self.session.borrow_mut() = Some(session);
        if !from_other_tab {
            self.broadcast(SESSION, None);
        }
        self.emit(kind, from_other_tab);
    }

    /// Forgets the session here and, unless the news came from a peer, in the other tabs.
    fn end_session(&self, from_other_tab: bool) {
        let had = self.session.borrow_mut().take().is_some();
        if !from_other_tab {
            self.broadcast(SIGNED_OUT, None);
        }
        if had {
            self.emit("signed-out", from_other_tab);
        }
    }

    fn on_peer_message(&self, message: &JsValue) {
        let kind = get(message, "type").as_string().unwrap_or_default();
        match kind.as_str() {
            SESSION => {
                if let Some(session) = Session::from_message(message) {
                    self.set_session(session, true);
                }
            }
            SIGNED_OUT => self.end_session(true),
            ASK => {
                let fresh = self.session.borrow().as_ref().is_some_and(|s| s.token.is_some() && !s.is_due(now_ms()));
                if fresh {
                    self.broadcast(ANSWER, Some(("id", get(message, "id"))));
                }
            }
            CLAIM => {
                if let Some(id) = get(message, "id").as_string() {
                    self.peer_claims.borrow_mut().push((id, now_ms()));
                }
            }
            ANSWER => {
                let id = get(message, "id").as_string();
                let asking =
                    self.asking.borrow().as_ref().filter(|(want, _)| Some(want) == id.as_ref()).map(|(_, f)| f.clone());
                if let Some(resolve) = asking {
                    let _ = resolve.call1(&JsValue::NULL, message);
                }
            }
            _ => {}
        }
    }

    async fn complete_callback(self: Rc<Self>, parsed: Result<Callback, Error>, url: &str) -> Result<JsValue, JsValue> {
        let callback = parsed.map_err(js_error)?;
        // L2: the state must match a pending flow before anything else, errors included (L3).
        let flow = flows::take(callback.state())?
            .ok_or_else(|| err(ErrorCode::StateUnknown, "no sign-in is pending for this callback's state"))?;
        if flow_expired(flow.created_ms, now_ms()) {
            return Err(err(ErrorCode::StateExpired, "the sign-in took longer than 10 minutes; start again"));
        }
        if flow.canvas_origin != self.config.canvas.origin() || flow.redirect_uri != self.config.redirect_uri {
            return Err(err(ErrorCode::StateUnknown, "the pending sign-in belongs to another Canvas or redirect URI"));
        }
        if !same_endpoint(url, &flow.redirect_uri) {
            return Err(err(ErrorCode::CallbackMalformed, "the callback did not arrive at the redirect URI"));
        }
        let code = match callback {
            Callback::Error { error, description, .. } => {
                return Err(js_error(Error::new(
                    error,
                    description.unwrap_or_else(|| format!("Canvas answered {error}")),
                )));
            }
            Callback::Code { code, .. } => code,
        };
        let body = object();
        set(&body, "code", code.secret());
        set(&body, "code_verifier", flow.verifier.as_str());
        // L15: the exchange is never retried; a code is single-use.
        let grant = relay::post(&self.config, "/token", Some(&body), None).await.map_err(js_error)?;
        let session =
            Session::from_grant(&grant, now_ms(), self.config.refresh_margin_secs, flow.scopes, Some(flow.return_to))
                .map_err(js_error)?;
        self.set_session(session, false);
        Ok(self.session_js())
    }

    pub(crate) async fn access_token(self: &Rc<Self>) -> Result<String, JsValue> {
        let (token, due) = match self.session.borrow().as_ref() {
            None => return Err(err(ErrorCode::NotSignedIn, "no one is signed in")),
            Some(s) => (s.token.clone(), s.is_due(now_ms())),
        };
        let token = token
            .ok_or_else(|| err(ErrorCode::NotSignedIn, "this sign-in has no access token (userinfo scope only)"))?;
        if !due {
            return Ok(token);
        }
        self.refresh(Some(token)).await
    }

    /// Refreshes once for every caller in this tab, and under the cross-tab lock. `stale` is
    /// the token the caller found unusable: if a peer already replaced it, no refresh is made.
    pub(crate) async fn refresh(self: &Rc<Self>, stale: Option<String>) -> Result<String, JsValue> {
        let existing = self.refreshing.borrow().clone();
        let shared = match existing {
            Some(p) => p,
            None => {
                let inner = self.clone();
                let lock_name = self.config.channel_name();
                let p = promise(async move {
                    let result = if tabs::has_web_locks() {
                        let task_inner = inner.clone();
                        let task = move || {
                            promise(async move { task_inner.refresh_under_lock(stale).await.map(JsValue::from) })
                        };
                        tabs::with_lock(&lock_name, task).await
                    } else {
                        inner.wait_for_turn(&stale).await;
                        inner.clone().refresh_under_lock(stale).await.map(JsValue::from)
                    };
                    inner.refreshing.borrow_mut().take();
                    result
                });
                *self.refreshing.borrow_mut() = Some(p.clone());
                p
            }
        };
        let token = JsFuture::from(shared).await?;
        token
            .as_string()
            .ok_or_else(|| err(ErrorCode::NotSignedIn, "this sign-in has no access token (userinfo scope only)"))
    }

    /// The Web Locks stand-in (L14): announce a claim, wait for peers' claims, and let the
    /// lowest id refresh; the others wait for its session to arrive (then refresh_under_lock
    /// finds the token replaced and skips the refresh).
    async fn wait_for_turn(self: &Rc<Self>, stale: &Option<String>) {
        let Ok(bytes) = random_bytes() else { return };
        let id = State::from_random(&bytes).as_str().to_owned();
        let started = now_ms();
        self.peer_claims.borrow_mut().retain(|(_, at)| started - at < CLAIM_TTL_MS);
        self.broadcast(CLAIM, Some(("id", JsValue::from(id.as_str()))));
        tabs::sleep(CLAIM_WINDOW_MS).await;
        let lost = self.peer_claims.borrow().iter().any(|(peer, at)| now_ms() - at < CLAIM_TTL_MS && *peer < id);
        if !lost {
            return;
        }
        while now_ms() - started < CLAIM_WAIT_MS {
            let replaced = self.session.borrow().as_ref().is_some_and(|s| s.token != *stale && !s.is_due(now_ms()));
            if replaced {
                return;
            }
            tabs::sleep(50.0).await;
        }
    }

    async fn refresh_under_lock(self: Rc<Self>, stale: Option<String>) -> Result<String, JsValue> {
        // L14: a peer may have refreshed while we waited for the lock.
        if let Some(session) = self.session.borrow().as_ref() {
            if session.token.is_some() && session.token != stale && !session.is_due(now_ms()) {
                return Ok(session.token.clone().unwrap_or_default());
            }
        }
        let (scopes, return_to) = match self.session.borrow().as_ref() {
            Some(s) => (s.scopes.clone(), s.return_to.clone()),
            None => (Vec::new(), None),
        };
        match relay::post(&self.config, "/refresh", None, None).await {
            Ok(grant) => {
                let session = Session::from_grant(&grant, now_ms(), self.config.refresh_margin_secs, scopes, return_to)
                    .map_err(js_error)?;
                let token = session.token.clone();
                self.set_session(session, false);
                token.ok_or_else(|| {
                    err(ErrorCode::NotSignedIn, "this sign-in has no access token (userinfo scope only)")
                })
            }
            // No cookie (401 invalid_token) or a dead grant: either way, sign in again. The
            // session ends for every tab (L14); anything else (busy, down) keeps it (L13).
            Err(error) if matches!(error.code, ErrorCode::InvalidGrant | ErrorCode::NotSignedIn) => {
                self.end_session(false);
                Err(js_error(Error::new(ErrorCode::InvalidGrant, error.description)))
            }
            Err(error) => Err(js_error(error)),
        }
    }

    /// A relay call with the access token. If Canvas refused the token (a peer's refresh
    /// replaced it), refreshes once and retries once.
    async fn post_with_token(self: &Rc<Self>, path: &str, body: &JsValue) -> Result<JsValue, JsValue> {
        let token = self.access_token().await?;
        match relay::post(&self.config, path, Some(body), Some(&token)).await {
            Err(error) if error.code == ErrorCode::NotSignedIn => {
                let token = self.refresh(Some(token)).await?;
                relay::post(&self.config, path, Some(body), Some(&token)).await.map_err(js_error)
            }
            result => result.map_err(js_error),
        }
    }

    async fn restore(self: Rc<Self>) -> Result<JsValue, JsValue> {
        if self.session.borrow().is_some() {
            return Ok(self.session_js());
        }
        // A refresh would kill the access token of any open tab: ask them first.
        if let Some(answer) = self.ask_peers().await {
            if let Some(session) = Session::from_message(&answer) {
                self.set_session(session, true);
                return Ok(self.session_js());
            }
        }
        match self.refresh(None).await {
            Ok(_) => Ok(self.session_js()),
            Err(error) if code_of(&error).as_deref() == Some("invalid_grant") => Ok(JsValue::NULL),
            Err(error) => Err(error),
        }
    }

    async fn ask_peers(self: &Rc<Self>) -> Option<JsValue> {
        self.channel.as_ref()?;
        let id = State::from_random(&random_bytes().ok()?).as_str().to_owned();
        let answered = Promise::new(&mut |resolve, _| {
            *self.asking.borrow_mut() = Some((id.clone(), resolve));
        });
        self.broadcast(ASK, Some(("id", JsValue::from(id.as_str()))));
        let timeout = Promise::new(&mut |resolve, _| {
            if let Ok(w) = window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_1(
                    &resolve,
                    ASK_PEERS_MS as i32,
                    &JsValue::NULL,
                );
            }
        });
        let first = JsFuture::from(Promise::race(&js_sys::Array::of2(&answered, &timeout))).await.ok();
        self.asking.borrow_mut().take();
        first.filter(|v| v.is_object())
    }
}

/// Whether `url` is at the redirect URI's origin and path (Canvas appends to the query).
fn same_endpoint(url: &str, redirect_uri: &str) -> bool {
    let endpoint = |u: &str| u.split(['?', '#']).next().unwrap_or("").to_ascii_lowercase();
    endpoint(url) == endpoint(redirect_uri)
}
