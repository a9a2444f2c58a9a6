//! Logging setup and the Prometheus metrics registry.
//!
//! Logs go to standard error so that standard output carries only what the operator
//! must read once (where the service listens, a bootstrap API key). Log lines carry
//! ids, counts and durations, never request bodies or patient data.

pub mod metrics;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{LogFormat, LogSettings};

/// Installs the global tracing subscriber. Call once, from `main`.
pub fn init(settings: &LogSettings) -> Result<(), String> {
    let filter = EnvFilter::try_new(&settings.filter)
        .map_err(|e| format!("invalid setting: log.filter (RUST_LOG): {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::NONE);
    let result = match settings.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    result.map_err(|e| format!("could not install the logger: {e}"))
}
