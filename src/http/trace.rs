//! One span per request when span export is on, its parent the caller's
//! `traceparent`; the span is the active context while the handler runs, so a run
//! submitted by the request records it.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::KeyValue;
use opentelemetry::trace::{FutureExt as _, SpanKind, TraceContextExt, Tracer};

use super::AppState;
use crate::telemetry::trace_context;

/// Wraps the request in a server span (route template and status only: paths may
/// hold ids, bodies patient data).
pub async fn trace_request(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(tracer) = state.spans.tracer() else {
        return next.run(req).await;
    };
    let parent = trace_context::from_headers(req.headers());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    let span = tracer
        .span_builder(format!("{method} {route}"))
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", method),
            KeyValue::new("http.route", route),
        ])
        .start_with_context(tracer, &parent);
    let cx = parent.with_span(span);
    let response = next.run(req).with_context(cx.clone()).await;
    let span = cx.span();
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(response.status().as_u16()),
    ));
    span.end();
    response
}
