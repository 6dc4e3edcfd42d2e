//! Calls to Canvas (R1, R6): one client, redirects never followed, TLS verified (rustls with the
//! webpki roots), connect and total deadlines, bodies capped while streaming, in-flight calls capped.
//! Errors never carry the URL (it may hold a query) or the body (it may hold tokens).

use crate::config::RelayConfig;
use crate::error::RelayError;
use crate::metrics::{InFlight, Metrics, Outcome};
use axum::http::HeaderMap;
use bytes::{Bytes, BytesMut};
use canvas_oauth_core::{CanvasTokenResponse, ErrorBody};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a request waits for an upstream slot, or to be handled at all (`layers::edge`),
/// before the relay answers 503.
pub(crate) const QUEUE_WAIT: Duration = Duration::from_secs(2);
/// Retry-After used when Canvas throttles without saying for how long.
const DEFAULT_RETRY_AFTER: u64 = 5;

pub struct Upstream {
    pub client: reqwest::Client,
    slots: Arc<Semaphore>,
    timeout: Duration,
    retry_default: u64,
    metrics: Arc<Metrics>,
}

/// A fully read upstream answer.
pub struct UpstreamResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Retry-After to give when Canvas throttles without one (`RELAY_THROTTLE_RETRY_AFTER_SECS`).
    pub retry_default: u64,
}

impl Upstream {
    pub(crate) fn new(config: &RelayConfig, metrics: Arc<Metrics>) -> Self {
        let builder = match &config.upstream_proxy {
            Some(p) => {
                reqwest::Client::builder().proxy(reqwest::Proxy::all(p.0.as_str()).expect("a validated proxy URL"))
            }
            // S17: HTTPS_PROXY, HTTP_PROXY and ALL_PROXY are not configuration of the relay; a proxy
            // taken from them would see the client secret on a loopback http Canvas.
            None => reqwest::Client::builder().no_proxy(),
        };
        let client = builder
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.upstream_timeout)
            .https_only(config.canvas_url.scheme() == "https")
            .user_agent(concat!("canvas-oauth-relay/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(16)
            .build()
            .expect("reqwest client with rustls builds");
        Self {
            client,
            slots: Arc::new(Semaphore::new(config.max_inflight)),
            timeout: config.upstream_timeout,
            retry_default: config.throttle_retry_after,
            metrics,
        }
    }

    /// Sends `request` and reads at most `cap` bytes of body, within the total deadline.
    /// 3xx → 502 (never followed); Canvas unreachable → 503 + Retry-After; deadline → 504;
    /// oversized → 502.
    pub async fn send(&self, request: reqwest::RequestBuilder, cap: usize) -> Result<UpstreamResponse, RelayError> {
        let _permit = match tokio::time::timeout(QUEUE_WAIT, self.slots.acquire()).await {
            Ok(Ok(p)) => p,
            _ => return Err(RelayError::unavailable("the relay is at its limit of calls to Canvas", 1)),
        };
        let _inflight = InFlight::new(&self.metrics.upstream_inflight);
        // Boxed once a slot is held: a request still queued for a slot then holds a small future,
        // not reqwest's (issue 14: at 1,000 connections most requests wait here).
        let call = Box::pin(async {
            let resp = request.send().await.map_err(classify)?;
            let status = resp.status().as_u16();
            if (300..400).contains(&status) {
                return Err(RelayError::bad_gateway("Canvas answered with a redirect").with_upstream(status));
            }
            if resp.content_length().is_some_and(|n| n > cap as u64) {
                return Err(RelayError::bad_gateway("Canvas's answer is too large").with_upstream(status));
            }
            let headers = resp.headers().clone();
            let body = read_capped(resp, cap).await.map_err(|e| e.with_upstream(status))?;
            Ok(UpstreamResponse { status, headers, body, retry_default: self.retry_default })
        });
        let result = match tokio::time::timeout(self.timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(RelayError::timeout()),
        };
        self.metrics.upstream(outcome(&result));
        result
    }
}

/// The `relay_upstream_calls_total` outcome of a finished call.
fn outcome(result: &Result<UpstreamResponse, RelayError>) -> Outcome {
    match result {
        Ok(r) if (200..300).contains(&r.status) => Outcome::Ok,
        Ok(r) if r.status == 401 => Outcome::Unauthorized,
        Ok(r) if is_throttled(r) => Outcome::Throttled,
        Ok(r) if (400..500).contains(&r.status) => Outcome::ClientError,
        Ok(_) => Outcome::Error,
        Err(e) if e.status == axum::http::StatusCode::GATEWAY_TIMEOUT => Outcome::Timeout,
        Err(_) => Outcome::Error,
    }
}

async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Bytes, RelayError> {
    let mut buf = BytesMut::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > cap {
                    return Err(RelayError::bad_gateway("Canvas's answer is too large"));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf.freeze()),
            Err(e) => return Err(classify(e)),
        }
    }
}

fn classify(e: reqwest::Error) -> RelayError {
    if e.is_timeout() {
        RelayError::timeout()
    } else if e.is_connect() {
        // S25: an outage, not a broken answer; the browser may retry later.
        RelayError::unavailable("Canvas could not be reached", DEFAULT_RETRY_AFTER)
    } else {
        RelayError::bad_gateway("the connection to Canvas failed")
    }
}

/// Canvas throttling: 429 (Canvas's throttling since 2025), 403 with `Rate Limit Exceeded`, or a
/// 403 carrying Canvas's rate-limit header with nothing left (canvas throttling middleware).
pub fn is_throttled(resp: &UpstreamResponse) -> bool {
    if resp.status == 429 {
        return true;
    }
    if resp.status != 403 {
        return false;
    }
    let remaining_exhausted = resp
        .headers
        .get("x-rate-limit-remaining")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .is_some_and(|n| n <= 0.0);
    remaining_exhausted || contains_ci(&resp.body, b"rate limit exceeded")
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// The answer to a throttled call: 503 + Canvas's Retry-After, clamped (`quota.rs`), or the
/// configured default (Canvas sends none today).
pub fn throttled(resp: &UpstreamResponse) -> RelayError {
    let retry = crate::quota::retry_after(&resp.headers, std::time::SystemTime::now()).unwrap_or(resp.retry_default);
    RelayError::unavailable("Canvas is throttling requests; retry later", retry).with_upstream(resp.status)
}

/// Sanitises Canvas's `error_description`: plain text, at most core's
/// `MAX_DESCRIPTION_CHARS` characters (without the `…` `plain_text` adds when it cuts).
pub fn clean_description(d: Option<&str>) -> Option<String> {
    let text = canvas_oauth_core::plain_text(d?);
    let text: String = text.chars().take(canvas_oauth_core::MAX_DESCRIPTION_CHARS).collect();
    (!text.is_empty()).then_some(text)
}

/// A token-endpoint OAuth error from Canvas (400/401 JSON `{error, error_description}`).
pub struct OAuthError {
    pub status: u16,
    pub error: String,
    /// For classification only (`grant_gone`); never sent to the browser (S5).
    pub description: Option<String>,
}

/// How the token endpoint answered.
pub enum TokenOutcome {
    Ok(Box<CanvasTokenResponse>),
    OAuth(OAuthError),
}

/// Classifies a token-endpoint answer (docs/canvas.md §3, §7): 200 parsed strictly; 400/401
/// OAuth JSON errors returned for the route to map; throttling → 503; anything else → 502.
pub fn token_outcome(resp: &UpstreamResponse) -> Result<TokenOutcome, RelayError> {
    match resp.status {
        200 => canvas_oauth_core::parse_token_response(&resp.body)
            .map(|t| TokenOutcome::Ok(Box::new(t)))
            .map_err(|_| RelayError::bad_gateway("Canvas sent an unusable token response").with_upstream(200)),
        400 | 401 => match oauth_error_body(&resp.body) {
            Some(body) => Ok(TokenOutcome::OAuth(OAuthError {
                status: resp.status,
                error: body.error,
                description: clean_description(body.error_description.as_deref()),
            })),
            None => Err(RelayError::bad_gateway("Canvas sent an unusable error response").with_upstream(resp.status)),
        },
        403 | 429 => Err(throttled(resp)),
        s => Err(RelayError::bad_gateway("Canvas failed").with_upstream(s)),
    }
}

fn oauth_error_body(body: &[u8]) -> Option<ErrorBody> {
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    let ok = !parsed.error.is_empty()
        && parsed.error.len() <= 64
        && parsed.error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    ok.then_some(parsed)
}

/// Maps a token-endpoint OAuth error that is not about the user's grant: `invalid_client` and
/// grant-type errors mean the relay is misconfigured (502, never blamed on the user).
pub fn misconfigured(e: &OAuthError) -> RelayError {
    RelayError::bad_gateway(match e.error.as_str() {
        "invalid_client" => "Canvas refused the relay's client credentials (relay misconfigured)",
        _ => "Canvas refused the relay's request",
    })
    .with_upstream(e.status)
}

/// Canvas says the refresh grant is gone (§7.4): 400 `invalid_request` "refresh_token not found",
/// or `invalid_grant` with 400 or 401.
pub fn grant_gone(e: &OAuthError) -> bool {
    match (e.status, e.error.as_str()) {
        (400 | 401, "invalid_grant") => true,
        (400, "invalid_request") => e.description.as_deref() == Some("refresh_token not found"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::clean_description;

    #[test]
    fn descriptions_are_plain_text_and_capped() {
        assert_eq!(clean_description(Some("refresh_token  not\nfound")).as_deref(), Some("refresh_token not found"));
        assert_eq!(clean_description(Some(" \u{7} ")), None);
        assert_eq!(clean_description(None), None);
        let long = clean_description(Some(&"é".repeat(400))).unwrap();
        assert_eq!(long.chars().count(), canvas_oauth_core::MAX_DESCRIPTION_CHARS);
        assert!(!long.contains('…'));
    }
}
