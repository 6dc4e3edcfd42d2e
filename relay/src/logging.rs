//! The log output (`RELAY_LOG_FORMAT`): today's text lines, or one JSON object per line for log
//! collectors. Either way a request's line carries its span (`request_id`, `method`, `route`:
//! `request_log.rs`) and nothing else of the request.

use std::str::FromStr;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-12-03T… INFO relay_request{request_id=… method=POST route=/token}: relay request status=200 …`
    #[default]
    Text,
    /// `{"timestamp":…,"level":"INFO","status":200,…,"message":"relay request","span":{"request_id":…}}`
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err("expected text or json".into()),
        }
    }
}

/// The relay's log layer in `format`, writing to `writer` (the binary: stdout). Add a filter
/// (`RELAY_LOG`) on top: `registry().with(filter).with(log_layer(…))`.
pub fn log_layer<S, W>(format: LogFormat, writer: W) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let fmt = tracing_subscriber::fmt::layer().with_target(false).with_writer(writer);
    match format {
        LogFormat::Text => fmt.boxed(),
        // The event's fields at the top level, the request's span (its id) under "span".
        LogFormat::Json => fmt.json().flatten_event(true).with_current_span(true).with_span_list(false).boxed(),
    }
}
