//! Request ids and the one log line per relay request, with tower-http's `request-id` and `trace`.
//!
//! The id is always the relay's own (16 hex digits, answered as `x-request-id`): a client's
//! `x-request-id` is dropped first, so it cannot choose what the log says. The line is an event
//! inside a span: `relay_request{request_id=… method=… route=…}: relay request status=…
//! upstream_status=… latency_ms=…`. It never holds the URI (its query may hold anything), headers
//! or bodies: the span is made from the method and the matched route only.

use crate::error::UpstreamStatus;
use crate::guard::matched_route;
use crate::RelayConfig;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::response::Response;
use std::sync::Arc;
use std::time::Duration;
use tower_http::request_id::{MakeRequestId, RequestId};
use tower_http::trace::{MakeSpan, OnResponse};
use tracing::Span;

pub(crate) const X_REQUEST_ID: &str = "x-request-id";

/// 8 random bytes as 16 lower-case hex digits.
#[derive(Clone, Copy)]
pub(crate) struct HexRequestId;

impl MakeRequestId for HexRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        use rand::RngCore;
        let mut b = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut b);
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        Some(RequestId::new(HeaderValue::from_str(&hex).expect("hex")))
    }
}

/// Runs before `SetRequestIdLayer`, which would otherwise keep a client's id.
pub(crate) fn drop_client_request_id(mut req: Request) -> Request {
    req.headers_mut().remove(X_REQUEST_ID);
    req
}

/// The span of one request: its id, method and matched route.
#[derive(Clone)]
pub(crate) struct RequestSpan(pub Arc<RelayConfig>);

impl MakeSpan<axum::body::Body> for RequestSpan {
    fn make_span(&mut self, req: &Request) -> Span {
        let id = req.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok()).unwrap_or("");
        tracing::info_span!("relay_request", request_id = %id, method = %req.method(), route = %matched_route(req, &self.0))
    }
}

/// The log line, when the answer's head is ready.
#[derive(Clone, Copy)]
pub(crate) struct LogLine;

impl<B> OnResponse<B> for LogLine {
    fn on_response(self, resp: &Response<B>, latency: Duration, _: &Span) {
        tracing::info!(
            status = resp.status().as_u16(),
            upstream_status = resp.extensions().get::<UpstreamStatus>().map(|s| s.0),
            latency_ms = latency.as_millis() as u64,
            "relay request"
        );
    }
}
