// What an app bundled by Vite, webpack or esbuild does: import the package, initialise the wasm, construct.
// examples/{vite,webpack,esbuild}/src/main.js are one file, copied (each resolves `canvas-oauth` from its
// own node_modules); tests/e2e/bundlers.test.mjs checks that they stay the same.
import init, { CanvasAuth, createState } from "canvas-oauth";

const out = document.getElementById("out");
try {
  await init();
  const state = createState();
  const auth = new CanvasAuth({
    canvasUrl: "https://canvas.example.edu",
    clientId: "10000000000001",
    redirectUri: `${location.origin}/`,
    relayUrl: "/canvas-relay",
  });
  const url = new URL(auth.authorizeUrl({ returnTo: "/" }));
  window.result = { ok: true, stateLength: state.length, authorizeHost: url.host, session: auth.session };
} catch (error) {
  window.result = { ok: false, code: error.code, message: String(error.message ?? error) };
}
out.textContent = JSON.stringify(window.result, null, 2);
