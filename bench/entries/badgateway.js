// The authorization-code flow with @badgateway/oauth2-client: authorize URL with PKCE, code
// exchange from the redirect, refresh.
import { OAuth2Client, generateCodeVerifier } from "@badgateway/oauth2-client";

const client = new OAuth2Client({
  server: "https://canvas.example.edu/",
  clientId: "10000000000001",
  authorizationEndpoint: "/login/oauth2/auth",
  tokenEndpoint: "/login/oauth2/token",
});
const redirectUri = "https://app.example.edu/callback";

export async function signIn() {
  const codeVerifier = await generateCodeVerifier();
  const state = crypto.randomUUID();
  sessionStorage.setItem("flow:" + state, codeVerifier);
  location.assign(await client.authorizationCode.getAuthorizeUri({ redirectUri, state, codeVerifier }));
}
export function callback() {
  const state = new URL(location.href).searchParams.get("state");
  const codeVerifier = sessionStorage.getItem("flow:" + state);
  return client.authorizationCode.getTokenFromCodeRedirect(location.href, { redirectUri, state, codeVerifier });
}
export const refresh = (token) => client.refreshToken(token);
