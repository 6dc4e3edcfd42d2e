// The authorization-code flow with oidc-client-ts's low-level OidcClient: sign-in request,
// callback processing with the code exchange, refresh.
import { OidcClient } from "oidc-client-ts";

const client = new OidcClient({
  authority: "https://canvas.example.edu",
  client_id: "10000000000001",
  redirect_uri: "https://app.example.edu/callback",
  metadata: {
    issuer: "https://canvas.example.edu",
    authorization_endpoint: "https://canvas.example.edu/login/oauth2/auth",
    token_endpoint: "https://canvas.example.edu/login/oauth2/token",
  },
  loadUserInfo: false,
});

export async function signIn() {
  const request = await client.createSigninRequest({});
  location.assign(request.url);
}
export const callback = () => client.processSigninResponse(location.href);
export const refresh = (state) => client.useRefreshToken({ state });
