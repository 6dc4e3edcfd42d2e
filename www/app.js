// The canvas-oauth demo: plain JS, no framework. Everything Canvas sends is shown with
// textContent (never innerHTML), and no token is ever written to storage, the DOM or the log.
import init, { CanvasAuth } from "/pkg/canvas_oauth.js";

const $ = (id) => document.getElementById(id);
const LOG_KEY = "canvas-oauth-demo:log"; // the log survives the trip to Canvas (no secrets in it)

// ---- event log -------------------------------------------------------------------------
function loadLog() {
  try { return JSON.parse(sessionStorage.getItem(LOG_KEY) || "[]"); } catch { return []; }
}
function saveLog(entries) {
  try { sessionStorage.setItem(LOG_KEY, JSON.stringify(entries.slice(-100))); } catch { /* full or blocked */ }
}
function renderLogEntry(entry) {
  const li = document.createElement("li");
  li.dataset.kind = entry.kind;
  const time = document.createElement("time");
  time.textContent = new Date(entry.t).toLocaleTimeString();
  const text = document.createElement("span");
  text.textContent = entry.text;
  li.append(time, text);
  $("log").prepend(li);
}
function log(text, kind = "info") {
  const entry = { t: Date.now(), text, kind };
  const entries = loadLog();
  entries.push(entry);
  saveLog(entries);
  renderLogEntry(entry);
}
for (const entry of loadLog()) renderLogEntry(entry);
$("log-clear").addEventListener("click", () => { saveLog([]); $("log").replaceChildren(); });

// ---- errors ----------------------------------------------------------------------------
function showError(error, context) {
  const code = error && error.name === "CanvasAuthError" ? error.code : (error && error.name) || "error";
  const description = (error && (error.description || error.message)) || String(error);
  $("error-code").textContent = code;
  $("error-description").textContent = description;
  $("error").hidden = false;
  log(`${context}: ${code}${description ? ` (${description})` : ""}`, "error");
}
function clearError() { $("error").hidden = true; }
$("error-close").addEventListener("click", clearError);

// ---- configuration ---------------------------------------------------------------------
// Served by the relay from a separate directory (scripts/start.sh writes it), so www/ stays static.
let config;
try {
  config = (await import("/config/config.js")).default;
} catch {
  config = null;
}
if (!config) {
  setStatus("not configured", "error");
  showError({ name: "config_missing", message: "/config/config.js could not be loaded: start the demo with `npm start` (see README)." }, "startup");
  throw new Error("no demo configuration");
}

await init();
// The redirect URI page inside a sign-in popup: hand the callback to the app that opened it
// (the demo in Canvas's iframe) and close. Nothing else runs in the popup.
try {
  if (CanvasAuth.completePopup()) {
    setStatus("signed in; closing this window", "in");
    await new Promise(() => {});
  }
} catch (error) {
  setStatus("sign-in window", "error");
  showError(error, "sign-in window");
  throw error;
}
const framed = window.top !== window;
if (framed) document.documentElement.dataset.framed = "true";
let auth;
try {
  auth = new CanvasAuth({
    canvasUrl: config.canvasUrl,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    relayUrl: config.relayUrl ?? "/",
    scopes: config.scopes ?? [],
    timeoutMs: config.timeoutMs,
    refreshMarginSeconds: config.refreshMarginSeconds,
  });
} catch (error) {
  setStatus("misconfigured", "error");
  showError(error, "configuration");
  throw error;
}

$("canvas-url").textContent = config.canvasUrl;
$("client-id").textContent = String(config.clientId);
$("auto-refresh").checked = config.autoRefresh !== false;
if (config.demoLogin) {
  $("demo-login").textContent = `Demo login: ${config.demoLogin}`;
  $("demo-login").hidden = false;
}
const redirectOrigin = new URL(config.redirectUri).origin;
if (location.origin !== redirectOrigin) {
  // The pending sign-in lives in this origin's sessionStorage; Canvas returns to the redirect URI's.
  $("notice").textContent = `Open this demo at ${redirectOrigin}/ — Canvas sends you back to the redirect URI ${config.redirectUri}.`;
  $("notice").hidden = false;
}

// ---- view ------------------------------------------------------------------------------
function setStatus(text, state) {
  $("status").textContent = text;
  $("status").dataset.state = state;
}

let countdown = 0;
let refreshTimer = 0;

function render() {
  const session = auth.session;
  $("signed-in").hidden = !session;
  $("signed-out").hidden = !!session;
  clearInterval(countdown);
  clearTimeout(refreshTimer);
  if (!session) {
    setStatus("signed out", "out");
    $("result").hidden = true;
    return;
  }
  setStatus("signed in", "in");
  const name = session.user.name ?? `user ${session.user.id}`;
  $("user-name").textContent = name;
  $("user-id").textContent = String(session.user.id);
  $("avatar").textContent = name.trim().charAt(0).toUpperCase() || "?";
  $("scopes").textContent = session.scopes.length ? session.scopes.join(" ") : "all (no scopes requested)";
  $("persistent").textContent = session.persistent
    ? "kept in the relay cookie (survives a reload)"
    : "this page only: the browser did not keep the relay cookie; it ends when the token expires";
  $("persistent").dataset.persistent = String(session.persistent);
  $("open-window").hidden = session.persistent;
  const tick = () => {
    if (session.expiresAt == null) { $("expires").textContent = "no expiry given"; return; }
    const left = Math.round((session.expiresAt - Date.now()) / 1000);
    const clock = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    $("expires").textContent = left > 0 ? `expires in ${clock(left)}` : `expired ${clock(-left)} ago (refreshes on next use)`;
    $("expires").dataset.left = String(left);
  };
  tick();
  countdown = setInterval(tick, 1000);
  scheduleRefresh(session);
}

// The library refreshes lazily (when a token is asked for and due). With "refresh
// automatically", the page asks for one when it falls due; tabs coordinate, so one refreshes.
function scheduleRefresh(session) {
  if (!$("auto-refresh").checked || session.expiresAt == null) return;
  const margin = (config.refreshMarginSeconds ?? 60) * 1000;
  const lifetime = session.expiresAt - Date.now();
  const due = session.expiresAt - Math.min(margin, lifetime / 2);
  refreshTimer = setTimeout(async () => {
    try { await auth.accessToken(); } catch (error) { showError(error, "automatic refresh"); }
  }, Math.max(0, due - Date.now()) + 50);
}
$("auto-refresh").addEventListener("change", render);

auth.onChange((event) => {
  const name = event.session?.user?.name ?? "";
  const messages = {
    "signed-in": event.fromOtherTab ? `session received from another tab (${name})` : `signed in as ${name}`,
    refreshed: event.fromOtherTab ? "another tab refreshed the token" : "token refreshed",
    "signed-out": event.fromOtherTab ? "another tab signed out" : "signed out",
    "not-persistent": "the browser did not keep the relay cookie (third-party cookies blocked): this session ends when its token expires",
  };
  log(messages[event.type] ?? event.type, event.type);
  render();
});

// ---- actions ---------------------------------------------------------------------------
async function busy(button, fn) {
  button.disabled = true;
  clearError();
  try { await fn(); } finally { button.disabled = false; }
}
function showResult(title, value) {
  $("result-title").textContent = title;
  $("result-body").textContent = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  $("result").hidden = false;
}

$("sign-in-form").addEventListener("submit", (e) => {
  e.preventDefault();
  clearError();
  const scopes = $("opt-scopes").value.split(/\s+/).filter(Boolean);
  const options = {
    forceLogin: $("opt-force-login").checked || undefined,
    prompt: $("opt-prompt-none").checked ? "none" : undefined,
    scopes: scopes.length ? scopes : undefined,
    returnTo: "/",
  };
  try {
    const url = auth.authorizeUrl(options);
    const flags = [options.forceLogin && "force login", options.prompt && "prompt=none", options.scopes && `${scopes.length} scope(s)`].filter(Boolean);
    log(`state and PKCE verifier created${flags.length ? ` (${flags.join(", ")})` : ""}; going to Canvas`, "flow");
    location.assign(url);
  } catch (error) {
    showError(error, "sign-in");
  }
});

// Inside Canvas's iframe: sign in in a popup. Called in the click handler itself (no await before
// it), so the browser lets the window open.
$("sign-in-popup").addEventListener("click", (e) => busy(e.currentTarget, async () => {
  try {
    log("sign-in window opened", "flow");
    // ?popupTimeoutMs=… shortens the wait for the sign-in window (default 5 minutes).
    const timeoutMs = Number(new URLSearchParams(location.search).get("popupTimeoutMs")) || undefined;
    const session = await auth.signInPopup({ returnTo: "/", timeoutMs });
    log(`signed in by popup as ${session.user.name ?? session.user.id}`, "flow");
  } catch (error) { showError(error, "popup sign-in"); }
  render();
}));
$("open-window").addEventListener("click", () => window.open(location.href, "_blank"));

$("btn-self").addEventListener("click", (e) => busy(e.currentTarget, async () => {
  try {
    const response = await auth.fetch("/api/v1/users/self");
    const body = await response.json().catch(() => null);
    log(`GET /api/v1/users/self → ${response.status}`, "api");
    showResult(`GET /api/v1/users/self → ${response.status}`, body);
  } catch (error) { showError(error, "GET /api/v1/users/self"); }
}));

$("btn-courses").addEventListener("click", (e) => busy(e.currentTarget, async () => {
  const lines = [];
  let pages = 0;
  try {
    for await (const page of auth.paginate("/api/v1/courses?per_page=5")) {
      pages += 1;
      for (const course of page) lines.push(`${course.id}  ${course.course_code ?? ""}  ${course.name ?? ""}`);
      log(`courses page ${pages}: ${page.length} course(s)`, "api");
    }
    showResult(`${lines.length} courses in ${pages} pages`, lines.join("\n"));
  } catch (error) { showError(error, `courses (after ${pages} pages)`); }
}));

$("btn-graphql").addEventListener("click", (e) => busy(e.currentTarget, async () => {
  try {
    const data = await auth.graphql("query MyCourses { allCourses { _id name courseCode } }");
    const courses = data.allCourses ?? [];
    log(`GraphQL allCourses: ${courses.length} course(s)`, "api");
    showResult(`GraphQL: ${courses.length} courses`, courses.map((c) => `${c._id}  ${c.courseCode ?? ""}  ${c.name}`).join("\n"));
  } catch (error) {
    // graphql_error carries Canvas's `errors`; show their messages.
    showError(error, error.errors ? `GraphQL: ${error.errors.map((x) => x.message).join("; ")}` : "GraphQL");
  }
}));

$("btn-token").addEventListener("click", (e) => busy(e.currentTarget, async () => {
  try {
    const before = auth.session?.expiresAt;
    await auth.accessToken();
    const after = auth.session?.expiresAt;
    const text = after !== before ? "a new token was fetched (it was due)" : "the token is still valid; no refresh needed yet";
    log(`accessToken(): ${text}`, "info");
    showResult("accessToken()", text);
  } catch (error) { showError(error, "accessToken()"); }
}));

$("btn-web-session").addEventListener("click", (e) => busy(e.currentTarget, async () => {
  // Open the window during the click, then point it at Canvas once the URL is known.
  const win = window.open("about:blank", "_blank");
  try {
    const url = await auth.webSessionUrl(new URL("/", config.canvasUrl).href); // a URL on the Canvas origin
    log("Canvas web session URL minted (valid 30 s); opened in a new window", "info");
    if (win) { win.opener = null; win.location.href = url; } else { location.assign(url); }
  } catch (error) {
    win?.close();
    showError(error, "web session");
  }
}));

$("btn-sign-out").addEventListener("click", (e) => busy(e.currentTarget, async () => {
  const expireSessions = $("opt-expire-sessions").checked;
  try {
    // endCanvasSession: after the revocation this page leaves for Canvas's logout page.
    const result = await auth.signOut({ expireSessions, endCanvasSession: expireSessions });
    // Signed out here either way; `revocation` says whether Canvas confirmed it.
    const said = {
      confirmed: `token revoked${expireSessions ? " and Canvas sessions ended" : ""}`,
      none: "signed out (Canvas had nothing left to revoke)",
      pending: "signed out here, but Canvas did not confirm the revocation: the relay keeps retrying",
      unknown: "signed out here; the relay could not say whether Canvas revoked the token",
    };
    log(said[result.revocation] ?? said.unknown, result.revocation === "confirmed" || result.revocation === "none" ? "signed-out" : "error");
    if (result.forwardUrl) {
      log("Canvas answered a single-sign-out URL", "info");
      const url = new URL(result.forwardUrl); // only http(s) links are shown
      if (url.protocol === "https:" || url.protocol === "http:") {
        $("forward-link").href = url.href;
        $("forward-link").textContent = url.host;
        $("forward").hidden = false;
      }
    }
  } catch (error) {
    showError(error, "sign-out");
  }
  render();
}));

// ---- start -----------------------------------------------------------------------------
if (auth.isCallback()) {
  log("callback received; code removed from the address bar", "flow");
  setStatus("signing in…", "loading");
  try {
    const session = await auth.handleCallback();
    log(`code exchanged through the relay for ${session.user.name ?? session.user.id}`, "flow");
  } catch (error) {
    showError(error, "callback");
  }
} else {
  try {
    const session = await auth.restore();
    log(session ? "session restored (from another tab or the relay cookie)" : "no session yet", "info");
  } catch (error) {
    showError(error, "restore");
  }
}
render();
document.documentElement.dataset.ready = "true";
