//! NEXT's `require_navigation_request` before_action on /login/oauth2/auth and /accept (§7 item
//! 25). Its exact answer was not read; what is modelled is chosen (README): a browser request whose
//! fetch metadata says it is not a navigation (`Sec-Fetch-Mode` present and not `navigate`, e.g. a
//! `fetch()` or an XHR) gets 400 text/plain. Without the header (non-browser clients, old browsers)
//! the request passes.

use crate::config::{Behaviour, Config};
use crate::request::Req;
use crate::respond::text;
use axum::http::StatusCode;
use axum::response::Response;

pub const NOT_NAVIGATION: &str = "This endpoint requires a navigation request";

/// `Some(refusal)` when NEXT refuses the request.
pub fn refused(config: &Config, req: &Req) -> Option<Response> {
    let mode = req.header("sec-fetch-mode")?;
    (config.behaviour == Behaviour::Next && !mode.eq_ignore_ascii_case("navigate"))
        .then(|| text(StatusCode::BAD_REQUEST, NOT_NAVIGATION))
}
