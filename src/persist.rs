//! Did the browser keep the relay cookie (R9)? Inside a cross-site iframe with third-party
//! cookies blocked it does not: the session then lasts as long as its access token.

use crate::config::Config;
use crate::js::{object, Js};
use crate::relay;
use canvas_oauth_core::decode_cookie_check;

/// Asks the relay whether the cookie came back (`POST /cookie-check`: a yes or no, nothing of the
/// cookie). Only a clear "no" counts: an older relay or a failed call leaves the session as it was.
pub(crate) async fn cookie_kept(config: &Config) -> bool {
    match relay::post(config, "/cookie-check", Some(&object()), None).await {
        Ok(answer) => decode_cookie_check(&Js(answer)) != Some(false),
        Err(_) => true,
    }
}
