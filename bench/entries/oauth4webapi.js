// The authorization-code flow with PKCE, written with oauth4webapi: start a sign-in, validate the
// callback, exchange the code, refresh. (Our package also does API calls and cross-tab sharing.)
import * as oauth from "oauth4webapi";

const as = {
  issuer: "https://canvas.example.edu",
  authorization_endpoint: "https://canvas.example.edu/login/oauth2/auth",
  token_endpoint: "https://canvas.example.edu/login/oauth2/token",
};
const client = { client_id: "10000000000001" };
const redirectUri = "https://app.example.edu/callback";

export async function signIn() {
  const state = oauth.generateRandomState();
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: client.client_id, response_type: "code", redirect_uri: redirectUri, state,
    code_challenge: challenge, code_challenge_method: "S256",
  }).toString();
  sessionStorage.setItem("flow:" + state, JSON.stringify({ verifier }));
  location.assign(url.href);
}

export async function callback() {
  const state = new URL(location.href).searchParams.get("state");
  const { verifier } = JSON.parse(sessionStorage.getItem("flow:" + state));
  const params = oauth.validateAuthResponse(as, client, new URL(location.href), state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier);
  return oauth.processAuthorizationCodeResponse(as, client, response);
}

export async function refresh(refreshToken) {
  const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken);
  return oauth.processRefreshTokenResponse(as, client, response);
}
