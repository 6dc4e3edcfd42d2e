// useCanvasAuth(): canvas-oauth in a React app. A pattern to copy and adapt, not part of the package.
import { useCallback, useEffect, useState } from "react";
import init, { CanvasAuth } from "canvas-oauth";

// Vite inlines these at build time (.env files or the environment; see README.md).
const config = {
  canvasUrl: import.meta.env.VITE_CANVAS_URL,
  clientId: import.meta.env.VITE_CANVAS_CLIENT_ID,
  redirectUri: import.meta.env.VITE_REDIRECT_URI || `${location.origin}/`,
  relayUrl: import.meta.env.VITE_RELAY_URL || "/",
};

// One CanvasAuth per page, made once the wasm is loaded. A rejection (a bad option: config_invalid)
// reaches every caller.
let authPromise;
function getAuth() {
  return (authPromise ??= init().then(() => new CanvasAuth(config)));
}

// Handling the callback (or restoring the session) happens once per page load, kept in a promise at
// module level rather than guarded by a ref:
// - A callback URL carries one code, and its pending sign-in is consumed by the first
//   handleCallback(); a second call fails with state_unknown. So this is a page-load event, not a
//   component's: it must not run again when a component mounts again.
// - <React.StrictMode> (development builds) runs every effect twice: mount, cleanup, mount. A
//   `useRef(false)` guard survives that, but then the first run's cleanup has already told the only
//   run doing the work to ignore its result, and the second run has nothing to wait for: stuck on
//   "loading". A ref also starts fresh in every component instance and after a real remount (a
//   `key` change, a route change), and would then hand the code over again.
// The promise is shared by every run of every effect: the first call starts the work, later ones wait
// for the same answer, and an effect's cleanup only stops listening.
let startPromise;
function start() {
  return (startPromise ??= getAuth().then(async (auth) => {
    if (!auth.isCallback()) return auth.restore(); // the session of another tab, or the relay's cookie
    const session = await auth.handleCallback(); // checks state, cleans the address bar, exchanges the code
    if (session.returnTo) history.replaceState(null, "", session.returnTo);
    return session;
  }));
}

/** What the page shows of an error: CanvasAuthError's stable `code` and its plain-text description. */
export function describeError(error) {
  if (error?.name === "CanvasAuthError") return { code: error.code, description: error.description };
  return { code: "error", description: String(error?.message ?? error) };
}

// Counts the runs of the start effect on <html data-start-effects>, so the e2e test can check that
// StrictMode really ran it twice (tests/e2e/react.test.mjs). Not needed in an app.
function countStartEffect() {
  const root = document.documentElement;
  root.dataset.startEffects = String(Number(root.dataset.startEffects ?? 0) + 1);
}

/**
 * The sign-in state of the page and its actions:
 * `{ status: "loading" | "signed-in" | "signed-out", session, error, signIn, signOut, fetch, clearError }`.
 * `session` is the library's (`{ user, expiresAt, scopes, … }`, never the token); `error` is
 * `{ code, description }` or null.
 */
export function useCanvasAuth() {
  const [session, setSession] = useState(null);
  const [status, setStatus] = useState("loading");
  const [error, setError] = useState(null);

  useEffect(() => {
    countStartEffect();
    let active = true;
    let unsubscribe = () => {};
    const show = (next) => {
      if (!active) return;
      setSession(next);
      setStatus(next ? "signed-in" : "signed-out");
    };
    // Sign-ins, refreshes and sign-outs, this tab's and other tabs'.
    getAuth().then((auth) => { if (active) unsubscribe = auth.onChange((event) => show(event.session ?? null)); }, () => {});
    start().then(show, (e) => {
      show(null);
      if (active) setError(describeError(e));
    });
    return () => {
      active = false;
      unsubscribe();
    };
  }, []);

  const signIn = useCallback(async () => {
    setError(null);
    try {
      (await getAuth()).signIn({ returnTo: location.pathname }); // navigates to Canvas
    } catch (e) {
      setError(describeError(e));
    }
  }, []);

  // Resolves to the library's answer ({ revocation, forwardUrl }), or null when it failed (see `error`).
  const signOut = useCallback(async () => {
    setError(null);
    try {
      return await (await getAuth()).signOut();
    } catch (e) {
      setError(describeError(e));
      return null;
    }
  }, []);

  // A Canvas API call through the relay, token attached; rejects with a CanvasAuthError.
  const fetch = useCallback(async (path, options) => (await getAuth()).fetch(path, options), []);
  const clearError = useCallback(() => setError(null), []);

  return { status, session, error, signIn, signOut, fetch, clearError };
}
