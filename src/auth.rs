//! `CanvasAuth`, the JavaScript API (`docs/npm-readme.md`): argument checks and delegation only. The
//! state lives in `client.rs`, sign-in in `signin.rs`, tokens in `refresh.rs`, the API in `api.rs`.

use crate::client::Inner;
use crate::config::Config;
use crate::error::{err, window};
use crate::flows;
use crate::js::{get, object, promise, set, Js};
use crate::options::{opt_bool, string_arg};
use crate::relay;
use crate::signin;
use canvas_oauth_core::{canvas_sign_out_url, decode_revoke_answer, is_callback, ErrorCode, Revocation};
use js_sys::{Function, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

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
        let inner = Inner::new(Config::from_js(&options)?);
        Ok(CanvasAuth { inner })
    }

    /// The URL that starts a sign-in. Saves the pending flow (state, PKCE verifier, return
    /// path) in sessionStorage under its state.
    #[wasm_bindgen(js_name = authorizeUrl, skip_typescript)]
    pub fn authorize_url(&self, options: Option<JsValue>) -> Result<String, JsValue> {
        Ok(signin::redirect(&self.inner, options.unwrap_or(JsValue::UNDEFINED))?)
    }

    /// Signs in in a popup (L17); call it inside a click handler, or pass `{ popup }`, a window
    /// the app opened. Resolves to the session, like `handleCallback`.
    #[wasm_bindgen(js_name = signInPopup, skip_typescript)]
    pub fn sign_in_popup(&self, options: Option<JsValue>) -> Promise {
        crate::popup::sign_in(&self.inner, options.unwrap_or(JsValue::UNDEFINED))
            .unwrap_or_else(|e| Promise::reject(&e.into()))
    }

    /// On the redirect URI page, first: a popup sign-in's callback goes back to the app that
    /// opened the popup, which closes (`true`). Otherwise `false`: call `handleCallback`.
    #[wasm_bindgen(js_name = completePopup)]
    pub fn complete_popup() -> Result<bool, JsValue> {
        Ok(crate::popup::complete()?)
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
        match signin::handle_callback(&self.inner, url.unwrap_or(JsValue::UNDEFINED)) {
            Ok(promise) => promise,
            Err(error) => Promise::reject(&error.into()),
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

    /// The quota Canvas last reported on an API answer: `{ remaining, cost, at }` (`at`: epoch ms
    /// when it was seen; a field is null when that answer lacked its header), or null before any.
    #[wasm_bindgen(getter = rateLimit, unchecked_return_type = "RateLimit | null")]
    pub fn rate_limit(&self) -> JsValue {
        self.inner.quota.borrow().clone()
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

    /// Canvas's GraphQL (`POST /api/graphql` through the relay): resolves to the answer's `data`;
    /// Canvas's `errors` reject with `graphql_error`, carrying them.
    #[wasm_bindgen(skip_typescript)]
    pub fn graphql(&self, query: JsValue, variables: Option<JsValue>) -> Promise {
        let inner = self.inner.clone();
        let variables = variables.unwrap_or(JsValue::UNDEFINED);
        promise(async move { crate::graphql::graphql(&inner, &query, &variables).await })
    }

    /// Every page of a paginated Canvas API list, following `Link: rel="next"`.
    #[wasm_bindgen(unchecked_return_type = "AsyncIterableIterator<unknown>")]
    pub fn paginate(&self, #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue) -> Result<JsValue, JsValue> {
        let path = string_arg(&path, "path")?;
        Ok(crate::api::paginate(self.inner.clone(), path)?)
    }

    /// A Canvas URL that logs this browser into Canvas's web UI (valid for 30 seconds).
    #[wasm_bindgen(js_name = webSessionUrl, skip_typescript)]
    pub fn web_session_url(&self, return_to: Option<JsValue>) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let return_to = return_to.map(|r| string_arg(&r, "returnTo")).transpose()?;
            let return_to = return_to.map(|r| inner.config.canvas.page_url(&r));
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
    /// forgets the session and this tab's pending sign-ins, here and in the other tabs.
    /// Resolves to `{ revocation, forwardUrl? }`; the session ends whatever the relay said.
    /// With `endCanvasSession`, then navigates to where Canvas ends this browser's session.
    #[wasm_bindgen(js_name = signOut, skip_typescript)]
    pub fn sign_out(&self, options: Option<JsValue>) -> Promise {
        let inner = self.inner.clone();
        let options = options.unwrap_or(JsValue::UNDEFINED);
        promise(async move {
            if !options.is_object() && !options.is_undefined() && !options.is_null() {
                return Err(err(ErrorCode::InvalidArgument, "signOut options must be an object"));
            }
            let end_canvas_session = opt_bool(&options, "endCanvasSession", ErrorCode::InvalidArgument)?;
            // Canvas hands out its single sign-out URL only with expire_sessions.
            let expire_sessions =
                opt_bool(&options, "expireSessions", ErrorCode::InvalidArgument)? || end_canvas_session;
            // Always ask the relay, token or not: it revokes with the cookie when there is no
            // token here (a logout page, before restore) and clears the cookie either way.
            let token = inner.session.borrow().as_ref().and_then(|s| s.token.as_ref().map(|t| t.secret().to_owned()));
            let body = object();
            set(&body, "expire_sessions", expire_sessions);
            let result = relay::post(&inner.config, "/revoke", Some(&body), token.as_deref()).await;
            // Forget the session whatever the relay said: the user asked to be signed out.
            // The pending sign-ins go too: their verifiers belong to this browser session (S12).
            inner.end_session(false);
            flows::clear(&inner.flow_index);
            // A relay that could not be reached or failed: the revocation is "unknown".
            let (revocation, forward_url) = match result {
                Ok(answer) => decode_revoke_answer(&Js(answer)),
                Err(_) => (Revocation::Unknown, None),
            };
            if end_canvas_session {
                // L16: only a secure forward_url, else Canvas's own logout page.
                window()?.location().assign(&canvas_sign_out_url(&inner.config.canvas, forward_url.as_deref()))?;
            }
            let out = object();
            set(&out, "revocation", revocation.as_str());
            if let Some(url) = forward_url {
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
