// oauth4webapi for the browser benchmark: the functions that the flow in oauth4webapi.js uses,
// bundled and minified, loaded with import() (module init) and called directly (ops/s).
export {
  generateRandomState, generateRandomCodeVerifier, calculatePKCECodeChallenge, validateAuthResponse,
  authorizationCodeGrantRequest, processAuthorizationCodeResponse, refreshTokenGrantRequest,
  processRefreshTokenResponse, None,
} from "oauth4webapi";
