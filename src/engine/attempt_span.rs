//! One span per step attempt, a child of the trace the run was submitted under
//! (kept with the run), so an attempt joins its request's trace however much later
//! and on whichever replica it executes. Attributes are ids, names, the attempt
//! number and the outcome: never input, output or error text, which may hold
//! patient data.

use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SdkTracer;

use super::step::{StepError, StepOutcome};
use crate::telemetry::trace_context;

/// Starts the span of an attempt; the returned context is made active around the
/// attempt, so calls to providers carry it. An empty context when export is off.
pub fn start(
    tracer: Option<&SdkTracer>,
    traceparent: Option<&str>,
    run_id: &str,
    workflow: &str,
    step: &str,
    attempt: u32,
) -> Context {
    let Some(tracer) = tracer else {
        return Context::new();
    };
    let parent = trace_context::from_traceparent(traceparent);
    let span = tracer
        .span_builder(format!("step {step}"))
        .with_kind(SpanKind::Internal)
        .with_attributes([
            KeyValue::new("careflow.run_id", run_id.to_string()),
            KeyValue::new("careflow.workflow", workflow.to_string()),
            KeyValue::new("careflow.step", step.to_string()),
            KeyValue::new("careflow.attempt", i64::from(attempt)),
        ])
        .start_with_context(tracer, &parent);
    parent.with_span(span)
}

/// Ends an attempt's span with its outcome.
pub fn end(cx: &Context, result: &Result<StepOutcome, StepError>) {
    let span = cx.span();
    if !span.span_context().is_valid() {
        return;
    }
    let outcome = match result {
        Ok(StepOutcome::Done(_)) => "completed",
        Ok(StepOutcome::SleepUntil { .. }) => "sleeping",
        Ok(StepOutcome::WaitForEvent { .. }) => "waiting",
        Err(e) if e.details.get("timeout").is_some() => "timed_out",
        Err(e) if e.is_retryable() => "failed_retryable",
        Err(_) => "failed",
    };
    span.set_attribute(KeyValue::new("careflow.outcome", outcome));
    if result.is_err() {
        span.set_status(Status::error(outcome));
    }
    span.end();
}
