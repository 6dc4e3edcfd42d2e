// The authorization-code flow with oidc-client-ts's UserManager: redirect sign-in, callback,
// token kept in storage and refreshed silently.
import { UserManager } from "oidc-client-ts";

const manager = new UserManager({
  authority: "https://canvas.example.edu",
  client_id: "10000000000001",
  redirect_uri: "https://app.example.edu/callback",
  metadata: {
    issuer: "https://canvas.example.edu",
    authorization_endpoint: "https://canvas.example.edu/login/oauth2/auth",
    token_endpoint: "https://canvas.example.edu/login/oauth2/token",
  },
  loadUserInfo: false,
  automaticSilentRenew: true,
});

export const signIn = () => manager.signinRedirect();
export const callback = () => manager.signinCallback();
export const user = () => manager.getUser();
export const refresh = () => manager.signinSilent();
export const signOut = () => manager.removeUser();
