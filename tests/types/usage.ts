// Compiled with `tsc --strict --noEmit` against pkg/: the shipped types must accept real usage
// and reject misuse (the @ts-expect-error lines fail the build if they ever type-check).
import init, { CanvasAuth, createState, parseCallback, pkceChallenge } from "../../pkg/canvas_oauth.js";
import type { CanvasAuthError, CallbackResult, ChangeEvent, RateLimit, Session, SignOutResult } from "../../pkg/canvas_oauth.js";

export async function usage(): Promise<void> {
  await init();
  const state: string = createState();
  const challenge: string = pkceChallenge(state + state);
  const result: CallbackResult = parseCallback(new URL("https://app.example/cb?code=a&state=b"));
  if ("code" in result) {
    const code: string = result.code;
  } else {
    const description: string | null = result.errorDescription;
  }
  const auth = new CanvasAuth({
    canvasUrl: "https://canvas.example.edu",
    clientId: "170000000000001",
    redirectUri: "https://app.example.edu/callback",
    relayUrl: "/canvas-relay",
    scopes: ["url:GET|/api/v1/users/:user_id/profile"],
  });
  const url: string = auth.authorizeUrl();
  auth.authorizeUrl({ returnTo: "/x", prompt: "none", forceLogin: true });
  if (auth.isCallback()) {
    const session: Session = await auth.handleCallback();
    const id: number = session.user.id;
  }
  const restored: Session | null = await auth.restore();
  const current: Session | null = auth.session;
  const token: string = await auth.accessToken();
  const response: Response = await auth.fetch("/api/v1/users/self");
  await auth.fetch("/api/v1/courses", { method: "GET" });
  for await (const page of auth.paginate("/api/v1/courses")) {
    const p: unknown = page;
  }
  const sessionUrl: string = await auth.webSessionUrl();
  const { forwardUrl } = await auth.signOut({ expireSessions: true });
  const signedOut: SignOutResult = await auth.signOut();
  const revocation: "confirmed" | "none" | "pending" | "unknown" = signedOut.revocation;
  const forward: string | undefined = signedOut.forwardUrl;
  // @ts-expect-error revocation is one of four strings
  const wrong: "revoked" = signedOut.revocation;
  const unsubscribe: () => void = auth.onChange((event: ChangeEvent) => {
    const kind: "signed-in" | "refreshed" | "signed-out" = event.type;
  });
  try {
    await auth.accessToken();
  } catch (e) {
    const error = e as CanvasAuthError;
    const code: "not_signed_in" | string = error.code;
    const wait: number | undefined = error.retryAfter;
  }
  new CanvasAuth({ canvasUrl: "https://c", clientId: 1, redirectUri: "https://a/cb", relayUrl: "/r", retry: false });
  new CanvasAuth({
    canvasUrl: "https://c",
    clientId: 1,
    redirectUri: "https://a/cb",
    relayUrl: "/r",
    retry: { attempts: 5, maxDelayMs: 2000 },
    maxInFlight: 2,
  });
  // @ts-expect-error retry is false or an object
  new CanvasAuth({ canvasUrl: "https://c", clientId: 1, redirectUri: "https://a/cb", relayUrl: "/r", retry: 3 });
  const quota: RateLimit | null = auth.rateLimit;
  if (quota) {
    const left: number | null = quota.remaining;
    const cost: number | null = quota.cost;
    const at: number = quota.at;
  }
  // @ts-expect-error rateLimit is read-only
  auth.rateLimit = null;
  // @ts-expect-error prompt accepts only "none" | "login"
  auth.authorizeUrl({ prompt: "consent" });
  // @ts-expect-error canvasUrl is required
  new CanvasAuth({ clientId: "1", redirectUri: "https://a/cb", relayUrl: "/r" });
  // @ts-expect-error the session carries no token
  auth.session?.accessToken;
}
