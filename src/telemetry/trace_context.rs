//! W3C Trace Context (`traceparent`): read from requests, kept with runs, and
//! written on calls to providers.
//!
//! The active context travels with the future doing the work (attached by the
//! request middleware and around each step attempt), so a provider client needs
//! no parameter to pass it on: [`outbound_headers`] reads it.

use http::HeaderMap;
use opentelemetry::Context;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::TraceContextPropagator;

/// The context a request names in its `traceparent` (and `tracestate`) header, or
/// an empty one when it names none or a malformed one.
pub fn from_headers(headers: &HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// `traceparent` (and `tracestate`) of the active span, for a call to a provider;
/// empty when no span is active (span export is off).
pub fn outbound_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    let cx = Context::current();
    if cx.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(&mut headers));
    }
    headers
}

/// The `traceparent` value of the active span, to keep with a run it submits, so
/// the run's attempts join the trace whenever and wherever they execute.
pub fn current_traceparent() -> Option<String> {
    let headers = outbound_headers();
    headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}

/// The context a stored `traceparent` names; empty when there is none or it no
/// longer parses.
pub fn from_traceparent(traceparent: Option<&str>) -> Context {
    let mut headers = HeaderMap::new();
    if let Some(value) = traceparent.and_then(|t| http::HeaderValue::from_str(t).ok()) {
        headers.insert("traceparent", value);
    }
    from_headers(&headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_traceparent_names_the_remote_parent() {
        let cx = from_traceparent(Some(PARENT));
        let span = cx.span();
        let sc = span.span_context();
        assert!(sc.is_valid() && sc.is_remote() && sc.is_sampled());
        assert_eq!(
            sc.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(sc.span_id().to_string(), "00f067aa0ba902b7");
    }

    #[test]
    fn a_malformed_or_missing_traceparent_names_nothing() {
        for bad in [None, Some("00-zz-00f067aa0ba902b7-01"), Some("nonsense")] {
            assert!(!from_traceparent(bad).span().span_context().is_valid());
        }
    }

    #[test]
    fn without_an_active_span_nothing_is_sent() {
        assert!(outbound_headers().is_empty());
        assert_eq!(current_traceparent(), None);
    }

    #[test]
    fn the_active_span_is_what_is_sent() {
        let _guard = from_traceparent(Some(PARENT)).attach();
        assert_eq!(current_traceparent().as_deref(), Some(PARENT));
    }
}
