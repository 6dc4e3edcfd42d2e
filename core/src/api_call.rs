//! The browser library's decisions around one Canvas API call through the relay: where the
//! token may go, which 401 is worth a refresh, what a failed page means, and where the next page
//! is. The path rule and the `Link` parser they use are shared with the relay (`api_path`).

use crate::api_path::{is_api_path, next_link};
use crate::encoding::{concat, decimal};
use crate::error::{config_invalid, Error, ErrorCode};
use crate::record::{Record, Value};
use crate::url::HttpUrl;
use alloc::string::String;

/// The relay, from the `relayUrl` option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayUrl {
    /// Absolute, without a trailing slash: every relay endpoint is `base` + its path.
    pub base: String,
    /// `scheme://host[:port]`, to take the path-absolute URLs of the relay's `Link` headers at.
    pub origin: String,
}

/// Reads `relayUrl`: an absolute http(s) URL (https unless loopback), or a path on this page's
/// origin (`/canvas-relay`, taken at `page_origin`, which a page always has). No query or fragment.
pub fn parse_relay_url(value: &str, page_origin: Option<&str>) -> Result<RelayUrl, Error> {
    const FIELD: &str = "relayUrl";
    let absolute = if value.starts_with('/') && !value.starts_with("//") && !value.contains('\\') {
        concat(&[page_origin.ok_or_else(|| config_invalid(FIELD, "a path needs a browser page"))?, value])
    } else {
        value.into()
    };
    let url = HttpUrl::parse(FIELD, &absolute).and_then(|u| u.require_secure(FIELD))?;
    if url.query.is_some() || url.fragment.is_some() {
        return Err(config_invalid(FIELD, "must not have a query or fragment"));
    }
    let origin = url.origin();
    Ok(RelayUrl { base: concat(&[&origin, url.path.trim_end_matches('/')]), origin })
}

/// Canvas's message for a token it does not accept, an expired one included (docs/canvas.md
/// §6.3): the only 401 that is worth one refresh and one retry (L13).
pub const INVALID_TOKEN_MESSAGE: &str = "Invalid access token.";

/// The relay URL for `path`: a Canvas API path (`/api/v1/...`), or an absolute URL under the
/// relay `relay` (its base URL, no trailing slash) such as a `Link` target. Anything else (another
/// origin, another relay path, dot segments) is refused: the token goes only to the API proxy.
pub fn relay_api_url(relay: &str, path: &str) -> Result<String, Error> {
    let api_path = path.strip_prefix(relay).unwrap_or(path);
    if is_api_path(api_path) {
        return Ok(concat(&[relay, api_path]));
    }
    Err(Error::new(ErrorCode::InvalidArgument, "path must be a Canvas API path such as /api/v1/users/self"))
}

/// Whether an answer with `status` may be Canvas refusing the token: only then is its body read
/// for [`is_invalid_token`].
pub fn may_be_invalid_token(status: u16) -> bool {
    status == 401
}

/// Whether a 401's parsed body is Canvas's `{"errors": [{"message": "Invalid access token."}]}`.
/// Other 401s (a scope the token lacks, an unauthorized user) are answered as they are.
pub fn is_invalid_token<R: Record>(body: &R) -> bool {
    let Value::List(errors) = body.get("errors") else { return false };
    match errors.first() {
        Some(Value::Object(first)) => first.get("message").into_text().as_deref() == Some(INVALID_TOKEN_MESSAGE),
        _ => false,
    }
}

/// The error a page of `paginate` rejects with when its answer is not a success (`status`
/// outside 200–299), learning its wait from `Retry-After` when throttled.
pub fn page_error(status: u16, retry_after: Option<&str>) -> Error {
    let code = match status {
        // After the one refresh and retry (L13): Canvas still refuses the token.
        401 => ErrorCode::NotSignedIn,
        429 | 503 => ErrorCode::RateLimited,
        _ => ErrorCode::RelayError,
    };
    Error::new(code, concat(&["Canvas answered HTTP ", &decimal(status.into()), " for a page"]))
        .with_retry_after(retry_after)
}

/// The next page's relay URL from a page's `Link` header, or `None` on the last page. The relay
/// writes path-absolute links unless it knows its public URL; they are taken at `relay_origin`.
/// A next link anywhere but the relay's API proxy is `invalid_response`: the token does not follow it.
pub fn next_page_url(link: &str, relay: &str, relay_origin: &str) -> Result<Option<String>, Error> {
    let Some(mut url) = next_link(link) else { return Ok(None) };
    if url.starts_with('/') && !url.starts_with("//") {
        url = concat(&[relay_origin, &url]);
    }
    relay_api_url(relay, &url)
        .map(Some)
        .map_err(|_| Error::new(ErrorCode::InvalidResponse, "a Link header points outside the relay"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RELAY: &str = "https://tool.example/relay";
    const ORIGIN: &str = "https://tool.example";

    #[test]
    fn the_relay_is_an_absolute_url_or_a_path_of_this_page() {
        let page = Some("https://app.example");
        let relay = |value: &str| parse_relay_url(value, page);
        assert_eq!(
            relay("https://Tool.Example:443/relay/").unwrap(),
            RelayUrl { base: "https://tool.example/relay".into(), origin: "https://tool.example".into() }
        );
        assert_eq!(relay("/canvas-relay").unwrap().base, "https://app.example/canvas-relay");
        assert_eq!(relay("http://127.0.0.1:8080").unwrap().base, "http://127.0.0.1:8080");
        assert_eq!(relay("http://localhost:8080/r").unwrap().origin, "http://localhost:8080");
        for bad in [
            "http://relay.example.edu",
            "https://relay.example/r?x=1",
            "https://relay.example/r#x",
            "//relay.example/r",
            "/\\relay.example/r",
            "relay",
            "",
            "ftp://relay.example",
        ] {
            assert_eq!(relay(bad).unwrap_err().code, ErrorCode::ConfigInvalid, "{bad}");
        }
        let no_page = parse_relay_url("/canvas-relay", None).unwrap_err();
        assert_eq!(no_page.description, "relayUrl: a path needs a browser page");
        assert!(parse_relay_url("https://relay.example", None).is_ok());
    }

    #[test]
    fn the_token_goes_only_to_the_relays_api_proxy() {
        assert_eq!(relay_api_url(RELAY, "/api/v1/users/self").unwrap(), "https://tool.example/relay/api/v1/users/self");
        assert_eq!(
            relay_api_url(RELAY, "https://tool.example/relay/api/v1/courses?page=2").unwrap(),
            "https://tool.example/relay/api/v1/courses?page=2"
        );
        assert_eq!(relay_api_url(RELAY, "/api/graphql").unwrap(), "https://tool.example/relay/api/graphql");
        for bad in [
            "https://canvas.example/api/v1/users/self",
            "https://tool.example/relayx/api/v1/users/self",
            "https://tool.example/relay/token",
            "https://tool.example/api/v1/users/self",
            "/api/v1/../token",
            "/token",
            "api/v1/users/self",
            "",
        ] {
            assert_eq!(relay_api_url(RELAY, bad).unwrap_err().code, ErrorCode::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn only_canvass_invalid_token_401_is_worth_a_refresh() {
        assert!(may_be_invalid_token(401));
        assert!(!may_be_invalid_token(403) && !may_be_invalid_token(200));
        assert!(is_invalid_token(&json!({"errors": [{"message": "Invalid access token."}]})));
        for other in [
            json!({"errors": [{"message": "user not authorized to perform that action"}]}),
            json!({"errors": [{"message": "Insufficient scopes on access token."}]}),
            json!({"errors": [{"message": "invalid access token."}]}),
            json!({"errors": []}),
            json!({"errors": {"message": "Invalid access token."}}),
            json!({"errors": ["Invalid access token."]}),
            json!({"message": "Invalid access token."}),
            json!("Invalid access token."),
            json!(null),
        ] {
            assert!(!is_invalid_token(&other), "{other}");
        }
    }

    #[test]
    fn a_failed_page_says_its_status_and_keeps_the_wait() {
        let e = page_error(401, None);
        assert_eq!((e.code, e.description.as_str()), (ErrorCode::NotSignedIn, "Canvas answered HTTP 401 for a page"));
        assert_eq!(page_error(403, None).code, ErrorCode::RelayError);
        assert_eq!(page_error(500, Some("5")).retry_after, 0);
        for status in [429, 503] {
            let e = page_error(status, Some("7"));
            assert_eq!((e.code, e.retry_after), (ErrorCode::RateLimited, 7), "{status}");
        }
    }

    #[test]
    fn the_next_page_is_followed_only_inside_the_relay() {
        let link = |next: &str| {
            concat(&["<https://tool.example/relay/api/v1/c?page=1>; rel=\"current\",<", next, ">; rel=\"next\""])
        };
        assert_eq!(next_page_url("", RELAY, ORIGIN), Ok(None));
        assert_eq!(
            next_page_url("<https://tool.example/relay/api/v1/c?page=1>; rel=\"current\"", RELAY, ORIGIN),
            Ok(None)
        );
        assert_eq!(
            next_page_url(&link("https://tool.example/relay/api/v1/c?page=2"), RELAY, ORIGIN).unwrap().as_deref(),
            Some("https://tool.example/relay/api/v1/c?page=2")
        );
        assert_eq!(
            next_page_url(&link("/relay/api/v1/c?page=2"), RELAY, ORIGIN).unwrap().as_deref(),
            Some("https://tool.example/relay/api/v1/c?page=2"),
            "a path-absolute link is at the relay's origin"
        );
        for outside in
            ["https://canvas.example/api/v1/c?page=2", "//evil.example/relay/api/v1/c", "/relay/token", "/api/v1/c"]
        {
            let e = next_page_url(&link(outside), RELAY, ORIGIN).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidResponse, "{outside}");
        }
    }
}
