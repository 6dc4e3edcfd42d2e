// Compiled with `tsc --strict --noEmit` against pkg/: the shipped types must accept real usage
// and reject misuse (the @ts-expect-error lines fail the build if they ever type-check).
import init, { CanvasAuth, createState, parseCallback, pkceChallenge } from "../../pkg/canvas_oauth.js";
import type {
  CanvasAuthError, CanvasAuthErrorCode, CanvasGraphQLError, CallbackResult, ChangeEvent, RateLimit, Session, SignOutOptions,
  SignOutResult,
} from "../../pkg/canvas_oauth.js";

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
  const endAll: SignOutOptions = { endCanvasSession: true };
  await auth.signOut(endAll);
  // @ts-expect-error endCanvasSession is a boolean
  await auth.signOut({ endCanvasSession: "yes" });
  const data: Record<string, unknown> = await auth.graphql("{ allCourses { _id name } }");
  type Courses = { allCourses: { _id: string; name: string }[] };
  const typed: Courses = await auth.graphql<Courses>("query($n: Int) { allCourses { _id name } }", { n: 1 });
  const firstName: string = typed.allCourses[0].name;
  await auth.graphql("{ allCourses { _id } }", null);
  // @ts-expect-error the query is a string
  await auth.graphql({ query: "{ x }" });
  // @ts-expect-error variables are an object
  await auth.graphql("{ x }", [1]);
  try {
    await auth.graphql("{ nope }");
  } catch (e) {
    const error = e as CanvasAuthError;
    const graphqlCode: CanvasAuthErrorCode = "graphql_error";
    if (error.code === graphqlCode) {
      const errors: CanvasGraphQLError[] | undefined = error.errors;
      const message: string | undefined = errors?.[0].message;
      const line: number | undefined = errors?.[0].locations?.[0].line;
      const partial: Record<string, unknown> | undefined = error.data;
    }
  }
  // @ts-expect-error revocation is one of four strings
  const wrong: "revoked" = signedOut.revocation;
  const unsubscribe: () => void = auth.onChange((event: ChangeEvent) => {
    const kind: "signed-in" | "refreshed" | "signed-out" | "not-persistent" = event.type;
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
  // Popup sign-in (inside Canvas's iframe): the redirect page's one line, then the app's call.
  if (CanvasAuth.completePopup()) return;
  const popped: Session = await auth.signInPopup({ returnTo: "/", timeoutMs: 60_000 });
  const persistent: boolean = popped.persistent;
  const mine: Window | null = window.open("", "signin", "popup");
  if (mine) await auth.signInPopup({ popup: mine });
  auth.onChange((event: ChangeEvent) => {
    if (event.type === "not-persistent") console.log("offer: open in a new window");
  });
  // @ts-expect-error popup must be a Window
  auth.signInPopup({ popup: "https://canvas.example.edu" });
  const popupCode: CanvasAuthError["code"] = "popup_opener_lost";
}
