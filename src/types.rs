//! TypeScript declarations for the option and result objects, which wasm-bindgen cannot infer.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options of `new CanvasAuth(...)`. */
export interface CanvasAuthOptions {
  /** Canvas origin, plus its path prefix when it has one; https (http only for localhost). */
  canvasUrl: string;
  /** The developer key id (numeric). */
  clientId: string | number;
  /** Absolute; no fragment; registered on the developer key exactly as written here. */
  redirectUri: string;
  /** The relay: an absolute URL or a same-origin path such as "/canvas-relay". */
  relayUrl: string;
  /** Default scopes, e.g. ["url:GET|/api/v1/users/:user_id/profile"]. */
  scopes?: string[];
  /** Timeout of each relay call (default 15000). */
  timeoutMs?: number;
  /** Refresh this many seconds before expiry (default 60). */
  refreshMarginSeconds?: number;
  /** Retries of a throttled (429/503) GET or HEAD in `fetch` and `paginate`: jittered exponential
   *  back-off from 500 ms, never sooner than `Retry-After`, no wait over `maxDelayMs` (a longer
   *  `Retry-After` is handed back at once). Default `{ attempts: 3, maxDelayMs: 10000 }`; `false`:
   *  none. Other methods are never retried. */
  retry?: false | { attempts?: number; maxDelayMs?: number };
  /** API calls in flight at once in this tab (default 4, 1–64); more wait in order. Canvas
   *  charges every request in flight up front, so parallel calls throttle sooner. */
  maxInFlight?: number;
}

/** The quota Canvas last reported (`X-Rate-Limit-Remaining`, `X-Request-Cost`). */
export interface RateLimit {
  remaining: number | null;
  cost: number | null;
  /** When it was seen, epoch milliseconds. */
  at: number;
}

/** Options of `authorizeUrl` and `signIn`. */
export interface SignInOptions {
  /** Same-origin path to return to after sign-in (anything else becomes "/"). */
  returnTo?: string;
  purpose?: string;
  forceLogin?: boolean;
  uniqueId?: string;
  prompt?: "none" | "login";
  /** Overrides the configured scopes for this sign-in. */
  scopes?: string[];
}

/** Options of `signInPopup`. */
export interface PopupSignInOptions extends SignInOptions {
  /** A window the app opened itself (e.g. `window.open("", "signin", "popup")` in its click
   *  handler, before an await); the sign-in navigates it. Default: one is opened. */
  popup?: Window;
  /** How long to wait for the popup's callback (default 300000, 5 minutes; 1000 to 3600000). */
  timeoutMs?: number;
}

/** Canvas's user object as the token endpoint returns it. */
export interface CanvasUser {
  id: number;
  name?: string;
  global_id?: string;
  effective_locale?: string;
  fake_student?: boolean;
  [key: string]: unknown;
}

/** The signed-in session. It never contains the token: use `accessToken()`. */
export interface Session {
  user: CanvasUser;
  /** Epoch milliseconds, or null when Canvas gave no expiry. */
  expiresAt: number | null;
  scopes: string[];
  canvasRegion: string | null;
  /** The path given to `signIn({ returnTo })`, after a sign-in. */
  returnTo: string | null;
  /** false when the browser did not keep the relay cookie (a cross-site iframe with third-party
   *  cookies blocked): the session works until `expiresAt`, then ends; a reload signs out. */
  persistent: boolean;
}

/** The methods with optional parameters (declared here: wasm-bindgen cannot mark them optional). */
export interface CanvasAuth {
  /** The URL that starts a sign-in; saves the pending flow under its state. */
  authorizeUrl(options?: SignInOptions): string;
  /** `authorizeUrl(options)`, then navigates there. */
  signIn(options?: SignInOptions): void;
  /** Signs in in a popup and resolves to the session; works in a cross-site iframe (Canvas's LTI
   *  frame). Call it inside a click handler (else `popup_blocked`), or pass `{ popup }`. Rejects
   *  with `popup_closed`, `popup_timeout`, or the callback's own error. The redirect URI page
   *  calls `CanvasAuth.completePopup()` first. */
  signInPopup(options?: PopupSignInOptions): Promise<Session>;
  /** Does `url` (default: the current address) carry an authorization response? */
  isCallback(url?: string | URL): boolean;
  /** Checks the callback (default: the current address), cleans the address bar, exchanges the code. */
  handleCallback(url?: string | URL): Promise<Session>;
  /** The Canvas API ("/api/v1/...", or "/api/graphql": see `graphql()`) through the relay, token
   *  attached; one refresh and retry on 401 "Invalid access token.";
   *  a throttled GET or HEAD is retried (see `retry`); waits for a free slot (`maxInFlight`).
   *  The timeout (`timeoutMs`) covers the response head. Reading the body is yours to bound: pass
   *  `init.signal` for a deadline (it stays attached to the body); the relay caps its size. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** A Canvas URL that logs this browser into Canvas's web UI; valid for 30 seconds.
   *  `returnTo` is a Canvas URL or a path on Canvas such as "/courses". */
  webSessionUrl(returnTo?: string): Promise<string>;
  /** Canvas's GraphQL through the relay (its `POST /api/graphql` route must be enabled): resolves to
   *  the answer's `data`. Canvas's `errors` reject with a CanvasAuthError of code "graphql_error"
   *  whose `errors` holds them (and `data`, when Canvas answered part). One refresh and retry on a
   *  401 "Invalid access token.", as `fetch`. */
  graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown> | null): Promise<T>;
  /** Revokes the token (and with `expireSessions`, Canvas web sessions); signs every tab out and
   *  forgets this tab's pending sign-ins. The local session ends whatever the relay answered. */
  signOut(options?: SignOutOptions): Promise<SignOutResult>;
}

/** Options of `signOut`. */
export interface SignOutOptions {
  /** Ask Canvas to end its web sessions (`expire_sessions`); Canvas may answer a single sign-out URL. */
  expireSessions?: boolean;
  /** Then leave this page: go to Canvas's single sign-out URL when it gave a safe one (https, or
   *  http on loopback), otherwise to Canvas's logout page, where the user confirms "Log Out".
   *  Afterwards signing in asks for the password again. Implies `expireSessions`. */
  endCanvasSession?: boolean;
}

/** What `signOut` achieved at Canvas. */
export interface SignOutResult {
  /** "confirmed": Canvas revoked the grant. "none": there was nothing to revoke. "pending": Canvas
   *  did not confirm; the relay cleared its cookie and keeps retrying. "unknown": the relay could
   *  not be reached, failed, or is an older version. */
  revocation: "confirmed" | "none" | "pending" | "unknown";
  /** Where Canvas asks to send the browser next (with `expireSessions`), when it gave one. */
  forwardUrl?: string;
}

/** What `onChange` listeners receive. */
export interface ChangeEvent {
  /** "not-persistent": right after a sign-in whose relay cookie the browser did not keep. */
  type: "signed-in" | "refreshed" | "signed-out" | "not-persistent";
  session: Session | null;
  fromOtherTab: boolean;
}
"#;
