//! The refresh-token cookie's name, flags and header forms (R3), built with the `cookie` crate.

use crate::error::ClearCookie;
use crate::{AppState, RelayConfig, COOKIE_NAME};
use ::cookie::{Cookie, SameSite};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use std::sync::Arc;

/// How the refresh-token cookie is named and flagged for one request (R3).
#[derive(Clone, Debug)]
pub(crate) struct CookieSpec {
    pub name: String,
    pub secure: bool,
    pub path: String,
    /// `RELAY_COOKIE_MODE=embedded` (R9): `SameSite=None; Partitioned` instead of `Strict`.
    pub embedded: bool,
}

/// What the request's cookies hold under our name.
pub(crate) enum CookieValue {
    None,
    One(String),
    /// Several cookies with our name: one may have been planted (e.g. by a sibling subdomain with
    /// `Domain=` and a longer `Path`); never guess which is ours.
    Several,
}

impl CookieSpec {
    /// https or not is [`RelayConfig::cookie_is_https`]'s decision (configuration only). Over https
    /// the cookie is always `__Host-` with `Path=/`: a `__Secure-` cookie with a sub-path can be
    /// shadowed by a sibling subdomain's `Domain=` cookie with the same name and path. The embedded
    /// mode is refused by the configuration without https.
    pub(crate) fn from_config(config: &RelayConfig) -> Self {
        let embedded = config.cookie_mode == crate::CookieMode::Embedded;
        if config.cookie_is_https() {
            Self { name: format!("__Host-{COOKIE_NAME}"), secure: true, path: "/".into(), embedded }
        } else {
            Self { name: COOKIE_NAME.to_string(), secure: false, path: config.base_path.clone(), embedded }
        }
    }

    /// `Set-Cookie` for `value`, kept by the browser for `max_age` seconds (0 clears it).
    pub(crate) fn header(&self, value: &str, max_age: u64) -> HeaderValue {
        let c = Cookie::build((self.name.as_str(), value))
            .path(self.path.as_str())
            .max_age(::cookie::time::Duration::seconds(max_age.min(i64::MAX as u64) as i64))
            .http_only(true)
            .same_site(if self.embedded { SameSite::None } else { SameSite::Strict })
            .partitioned(self.embedded)
            .secure(self.secure)
            .build();
        HeaderValue::from_str(&c.to_string()).expect("cookie header is ASCII")
    }

    /// The sealed value from the request's cookies. Names are compared exactly (case-sensitive);
    /// unparsable pieces are skipped.
    pub fn read(&self, headers: &HeaderMap) -> CookieValue {
        let mut found = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .filter(|c| c.name() == self.name)
            .map(|c| c.value().to_string());
        match (found.next(), found.next()) {
            (None, _) => CookieValue::None,
            (Some(v), None) => CookieValue::One(v),
            (Some(_), Some(_)) => CookieValue::Several,
        }
    }
}

/// Turns the [`ClearCookie`] mark into the clearing `Set-Cookie`: an error answer cannot build the
/// header itself (it has no configuration), so it marks the response. Routes that seal a new
/// cookie append its `Set-Cookie` themselves.
pub(crate) async fn clear_marked(State(state): State<Arc<AppState>>, mut resp: Response) -> Response {
    if resp.extensions_mut().remove::<ClearCookie>().is_some() {
        resp.headers_mut().append(header::SET_COOKIE, state.cookie.header("", 0));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(secure: bool) -> CookieSpec {
        let name = if secure { format!("__Host-{COOKIE_NAME}") } else { COOKIE_NAME.to_string() };
        CookieSpec { name, secure, path: "/".into(), embedded: false }
    }

    #[test]
    fn embedded_flags() {
        let h = CookieSpec { embedded: true, ..spec(true) }.header("v2.k.AAAA", 60);
        let h = h.to_str().unwrap();
        assert!(h.starts_with("__Host-canvas_relay_rt=v2.k.AAAA;"), "{h}");
        for flag in ["; HttpOnly", "; SameSite=None", "; Partitioned", "; Secure", "; Path=/"] {
            assert!(h.contains(flag), "{flag} in {h}");
        }
        assert!(!h.contains("Strict") && !h.contains("Domain"), "{h}");
    }

    #[test]
    fn header_flags() {
        let h = spec(true).header("v2.k.AAAA", 60);
        let h = h.to_str().unwrap();
        assert!(h.starts_with("__Host-canvas_relay_rt=v2.k.AAAA;"), "{h}");
        for flag in ["; HttpOnly", "; SameSite=Strict", "; Secure", "; Path=/", "; Max-Age=60"] {
            assert!(h.contains(flag), "{flag} in {h}");
        }
        let h = spec(false).header("", 0);
        let h = h.to_str().unwrap();
        assert!(h.starts_with("canvas_relay_rt=;") && h.contains("Max-Age=0") && !h.contains("Secure"), "{h}");
    }

    #[test]
    fn read_refuses_several_and_ignores_other_names() {
        let s = spec(false);
        let read = |values: &[&str]| {
            let mut h = HeaderMap::new();
            for v in values {
                h.append(header::COOKIE, HeaderValue::from_str(v).unwrap());
            }
            match s.read(&h) {
                CookieValue::None => "none".to_string(),
                CookieValue::One(v) => v,
                CookieValue::Several => "several".to_string(),
            }
        };
        assert_eq!(read(&[]), "none");
        assert_eq!(read(&["a=1; canvas_relay_rt=v2.x ; b"]), "v2.x");
        assert_eq!(read(&["CANVAS_RELAY_RT=v2.x"]), "none");
        assert_eq!(read(&["canvas_relay_rt=v2.x; canvas_relay_rt=v2.y"]), "several");
        assert_eq!(read(&["canvas_relay_rt=v2.x", "canvas_relay_rt=v2.x"]), "several");
    }
}
