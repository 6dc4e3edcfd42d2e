// The page: sign in, see who you are, call the Canvas API, sign out. Canvas's answers are rendered as
// text by React (never as HTML); no token ever reaches the component.
import { useState } from "react";
import { describeError, useCanvasAuth } from "./useCanvasAuth.js";

export function App() {
  const { status, session, error, signIn, signOut, fetch, clearError } = useCanvasAuth();
  const [profile, setProfile] = useState(null);
  const [apiError, setApiError] = useState(null);
  const [signedOut, setSignedOut] = useState(null);

  async function loadProfile() {
    setApiError(null);
    try {
      const response = await fetch("/api/v1/users/self");
      if (!response.ok) throw Object.assign(new Error(`Canvas answered ${response.status}`), { name: "http_error" });
      setProfile(await response.json());
    } catch (e) {
      setProfile(null);
      setApiError(describeError(e));
    }
  }

  async function onSignOut() {
    const result = await signOut();
    setProfile(null);
    // Signed out here either way; "pending" or "unknown": Canvas has not confirmed the revocation.
    if (result) setSignedOut(result.revocation);
  }

  const shown = error ?? apiError;
  return (
    <main>
      <h1>canvas-oauth + React</h1>
      <p id="status" data-status={status}>
        {status === "loading" ? "Loading…" : status === "signed-in" ? "Signed in" : "Signed out"}
      </p>

      {shown && (
        <p id="error" role="alert" data-code={shown.code}>
          <code>{shown.code}</code> {shown.description}{" "}
          <button onClick={() => { clearError(); setApiError(null); }}>Dismiss</button>
        </p>
      )}

      {status === "signed-out" && (
        <>
          {signedOut && <p id="signed-out-result" data-revocation={signedOut}>Revocation: {signedOut}</p>}
          <button id="sign-in" onClick={() => { setSignedOut(null); signIn(); }}>Sign in with Canvas</button>
        </>
      )}

      {status === "signed-in" && session && (
        <>
          <p>
            <span id="user-name">{session.user.name ?? `user ${session.user.id}`}</span> (id{" "}
            <span id="user-id">{String(session.user.id)}</span>)
          </p>
          <button id="load-profile" onClick={loadProfile}>GET /api/v1/users/self</button>{" "}
          <button id="sign-out" onClick={onSignOut}>Sign out</button>
          {profile && (
            <dl id="profile">
              <dt>name</dt><dd id="profile-name">{profile.name}</dd>
              <dt>id</dt><dd id="profile-id">{String(profile.id)}</dd>
              <dt>login</dt><dd id="profile-login">{profile.login_id ?? ""}</dd>
            </dl>
          )}
        </>
      )}
    </main>
  );
}
