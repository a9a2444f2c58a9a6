//! Logging setup and the Prometheus metrics registry.
//!
//! Logs go to standard error so that standard output carries only what the operator
//! must read once (where the service listens, a bootstrap API key). Log lines carry
//! ids, counts and durations, never request bodies or patient data.

pub mod access_log;
pub mod metrics;
pub mod otlp;
pub mod process;
pub mod trace_context;

use std::io::IsTerminal;

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
        // Colour codes only for a person at a terminal: in files, pipes and log
        // collectors they are noise that breaks searching.
        .with_ansi(colours_wanted())
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

/// Whether text logs may use colours: standard error is a terminal and `NO_COLOR`
/// (<https://no-color.org>) is not set.
fn colours_wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
