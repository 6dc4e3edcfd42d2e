//! `* /api/v1/...`: allow-listed methods and path prefixes forwarded to Canvas with the caller's
//! Bearer token (R1, R7). Request and response headers pass through allow-lists, so cookies and
//! hop-by-hop headers never cross; `Link` URLs are rewritten to relay URLs. Bodies: `body.rs`.

mod body;
mod graphql;

pub(crate) use body::BodyBudget;
pub(crate) use graphql::graphql;

use crate::error::{RelayError, UpstreamStatus};
use crate::extract::{read_body, Bearer};
use crate::upstream::UpstreamResponse;
use crate::AppState;
use crate::{quota, upstream};
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use canvas_oauth_core::{is_api_path, link_entries};
use std::sync::Arc;

const REQUEST_HEADERS: &[HeaderName] = &[
    header::AUTHORIZATION,
    header::ACCEPT,
    header::ACCEPT_LANGUAGE,
    header::CONTENT_TYPE,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
];

/// Passed on as they are; `Retry-After` and the rate-limit headers are re-written (`quota.rs`).
const RESPONSE_HEADERS: &[&str] = &["content-type", "etag", "last-modified", "www-authenticate"];

/// Query parameters never forwarded: a token in a URL, or Rails' method override.
const FORBIDDEN_QUERY: &[&str] = &["access_token", "_method"];

fn allowed(state: &AppState, method: &Method, path: &str) -> bool {
    state.config.api_allow.iter().any(|rule| {
        rule.methods.iter().any(|m| m == method.as_str())
            && (path == rule.prefix.trim_end_matches('/')
                || (path.starts_with(&rule.prefix)
                    && (rule.prefix.ends_with('/') || path.as_bytes().get(rule.prefix.len()) == Some(&b'/'))))
    })
}

/// The Canvas API call a request asks for: a clean, allow-listed method and path, and a query
/// without a token or a method override.
pub(crate) struct ApiTarget {
    method: Method,
    path: String,
}

impl FromRequestParts<Arc<AppState>> for ApiTarget {
    type Rejection = RelayError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, RelayError> {
        let path = parts.uri.path();
        // The library's own rule (core): what it would refuse to send, the relay refuses to forward.
        if !path.starts_with("/api/v1/") || !is_api_path(path) {
            return Err(RelayError::invalid_request("malformed API path"));
        }
        if !allowed(state, &parts.method, path) {
            return Err(RelayError::forbidden("this method and path are not allowed by the relay"));
        }
        if let Some(q) = parts.uri.query() {
            let names = body::form_names(q.as_bytes());
            if names.iter().any(|n| FORBIDDEN_QUERY.contains(&body::rack_name(n))) {
                return Err(RelayError::invalid_request("access_token and _method are not accepted in the query"));
            }
        }
        Ok(ApiTarget { method: parts.method.clone(), path: path.to_string() })
    }
}

/// Bearer only: Canvas would also accept a cookie session, which the relay never forwards. The
/// token is checked, and everything about the body decided from the headers, before a byte of the
/// body is read (S3).
pub(crate) async fn proxy(
    State(state): State<Arc<AppState>>,
    ApiTarget { method, path }: ApiTarget,
    _: Bearer,
    req: Request,
) -> Result<Response, RelayError> {
    let (parts, body) = req.into_parts();
    body::refuse_body_on(&method, &parts.headers)?;
    let kind = body::body_kind(&parts.headers)?;
    let expected = body::expected_len(&parts.headers, state.config.max_api_body)?;
    // Held until Canvas has answered: the body stays in memory that long.
    let _reserved = state.api_bodies.reserve(expected)?;
    let body = read_body(&parts.headers, body, state.config.max_api_body, state.config.body_timeout).await?;
    body::no_method_override(kind, &body)?;

    let mut url = format!("{}{}", state.config.canvas_origin(), path);
    if let Some(q) = parts.uri.query() {
        url.push('?');
        url.push_str(q);
    }
    let rm =
        reqwest::Method::from_bytes(method.as_str().as_bytes()).map_err(|_| RelayError::invalid_request("method"))?;
    let mut out = state.upstream.client.request(rm, url);
    for name in REQUEST_HEADERS {
        for v in parts.headers.get_all(name) {
            out = out.header(name.as_str(), v.as_bytes());
        }
    }
    if !body.is_empty() {
        out = out.body(body);
    }
    let resp = state.upstream.send(out, state.config.max_api_response).await?;
    let (status, mut headers) = match passed_on(&resp) {
        Ok(passed) => passed,
        Err(refusal) => return Ok(*refusal),
    };
    let prefix = relay_api_prefix(&state);
    let links: Vec<String> = resp
        .headers
        .get_all(header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| rewrite_link(v, &state.config.canvas_origin(), &prefix))
        .collect();
    if !links.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
            headers.insert(header::LINK, v);
        }
    }
    Ok(respond(status, headers, resp))
}

/// Canvas's status and the headers of `RESPONSE_HEADERS`, with the quota and `Retry-After`, as the
/// browser gets them; a throttled answer becomes the relay's own refusal instead (R6), still
/// carrying the quota so the app sees how empty the bucket is. Shared by the API proxy and the
/// GraphQL route.
fn passed_on(resp: &UpstreamResponse) -> Result<(StatusCode, HeaderMap), Box<Response>> {
    if upstream::is_throttled(resp) {
        let mut r = upstream::throttled(resp).into_response();
        quota::copy_rate_limit(&resp.headers, r.headers_mut());
        return Err(Box::new(r));
    }
    let status = StatusCode::from_u16(resp.status)
        .map_err(|_| Box::new(RelayError::bad_gateway("Canvas failed").into_response()))?;
    let mut headers = HeaderMap::new();
    for name in RESPONSE_HEADERS {
        for v in resp.headers.get_all(*name) {
            headers.append(HeaderName::from_static(name), v.clone());
        }
    }
    quota::copy_rate_limit(&resp.headers, &mut headers);
    if let Some(secs) = quota::retry_after(&resp.headers, std::time::SystemTime::now()) {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    Ok((status, headers))
}

/// The answer with Canvas's body, marked with its upstream status for the request log.
fn respond(status: StatusCode, headers: HeaderMap, resp: UpstreamResponse) -> Response {
    let mut r = (status, headers, Body::from(resp.body)).into_response();
    r.extensions_mut().insert(UpstreamStatus(resp.status));
    r
}

/// What replaces the Canvas origin in Link URLs: `RELAY_PUBLIC_URL` (absolute) when set, else the
/// relay base path (a path-absolute URL, resolved against the relay's origin).
fn relay_api_prefix(state: &AppState) -> String {
    match &state.config.public_url {
        Some(u) => u.as_str().trim_end_matches('/').to_string(),
        None => state.config.path_prefix().to_string(),
    }
}

/// Rewrites each `<url>; params` of a Link header: Canvas API URLs become relay URLs; links to
/// anything else are dropped. `None` when nothing is left.
pub fn rewrite_link(value: &str, canvas_origin: &str, relay_prefix: &str) -> Option<String> {
    let out: Vec<String> = link_entries(value)
        .filter_map(|(target, params)| {
            let u = url::Url::parse(target).ok()?;
            if u.origin().ascii_serialization() != canvas_origin || !is_api_path(u.path()) {
                return None;
            }
            let query = u.query().map(|q| ["?", q].concat()).unwrap_or_default();
            Some(format!("<{relay_prefix}{}{query}>{params}", u.path()))
        })
        .collect();
    (!out.is_empty()).then(|| out.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_rewrite() {
        let v = "<https://c.example/api/v1/courses?page=2&per_page=10>; rel=\"next\",<https://c.example/api/v1/courses?page=1&per_page=10>; rel=\"first\", <https://evil.example/api/v1/x>; rel=\"last\"";
        let r = rewrite_link(v, "https://c.example", "/relay").unwrap();
        assert_eq!(r, "</relay/api/v1/courses?page=2&per_page=10>; rel=\"next\", </relay/api/v1/courses?page=1&per_page=10>; rel=\"first\"");
        let abs =
            rewrite_link("<https://c.example/api/v1/a>; rel=\"next\"", "https://c.example", "https://relay.example/r")
                .unwrap();
        assert_eq!(abs, "<https://relay.example/r/api/v1/a>; rel=\"next\"");
        assert!(rewrite_link("<https://c.example/login/oauth2/auth>; rel=\"next\"", "https://c.example", "").is_none());
        assert!(rewrite_link("garbage", "https://c.example", "").is_none());
    }

    #[test]
    fn link_urls_with_a_comma_are_kept_whole() {
        let v = "<https://c.example/api/v1/courses?include[]=a,b&page=2>; rel=\"next\"";
        assert_eq!(
            rewrite_link(v, "https://c.example", "/relay").as_deref(),
            Some("</relay/api/v1/courses?include[]=a,b&page=2>; rel=\"next\"")
        );
    }

    #[test]
    fn links_to_paths_the_library_refuses_are_dropped() {
        for path in ["/api/v1/users/", "/api/v1//x", "/api/v1/%2e%2e/x", "/login/oauth2/token"] {
            let v = ["<https://c.example", path, ">; rel=\"next\""].concat();
            assert!(rewrite_link(&v, "https://c.example", "").is_none(), "{path}");
        }
    }
}
