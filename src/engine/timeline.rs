//! A run's step timeline: for each step, the spans it spent executing (one per
//! attempt), waiting for a retry, parked on a timer or an event, or deferred by an
//! open circuit breaker. Built from the run's own engine events (`step.started`,
//! `step.retrying`, `step.sleeping`, ...), which carry the times; the step rows keep
//! only the first start and the end. Pure: the caller reads the run and its events.
//!
//! When events are missing (pruned after `events.retention`), a step that ran gets
//! one span from its first start to its end, so old runs still draw.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::view::RunView;
use crate::store::{EventRow, StepStatus};

/// What a step was doing during a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    /// An attempt executing.
    Attempt,
    /// Waiting for the next attempt after a retryable failure.
    RetryWait,
    /// Parked: asleep until a time, or waiting for an event; holds no worker.
    Parked,
    /// Waiting for a provider's circuit breaker to allow a trial.
    Deferred,
}

/// One span of a step's time.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = TimelineSpan)]
pub struct Span {
    /// What the step was doing.
    pub kind: SpanKind,
    /// The attempt it belongs to (attempt spans, and the wait after one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<i64>,
    /// Start.
    pub start: DateTime<Utc>,
    /// End; `null` while it lasts.
    #[schema(required = true)]
    pub end: Option<DateTime<Utc>>,
    /// When a wait was due to end, as planned (retry time, timer, event timeout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// How it ended: `completed`, `failed`, `retrying`, `parked`, `deferred`,
    /// `resumed`, `interrupted` (its replica stopped), or the run's final status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// A step's row of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepTimeline {
    /// Step name.
    pub name: String,
    /// Its current status.
    pub status: StepStatus,
    /// Steps it depends on.
    pub depends_on: Vec<String>,
    /// Attempts started.
    pub attempts: i32,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    /// Its spans, in time order.
    pub spans: Vec<Span>,
}

/// The whole run's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    /// Submission: the left edge.
    pub created_at: DateTime<Utc>,
    /// The run's end, if it ended.
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    /// One row per step, in definition order.
    pub steps: Vec<StepTimeline>,
}

fn time(v: &Value, field: &str) -> Option<DateTime<Utc>> {
    v.get(field)?.as_str()?.parse().ok()
}

/// Closes the step's open span, if any, at `at` with `outcome`.
fn close(spans: &mut [Span], at: DateTime<Utc>, outcome: &str) {
    if let Some(open) = spans.last_mut().filter(|s| s.end.is_none()) {
        open.end = Some(at);
        open.outcome = Some(outcome.to_string());
    }
}

fn open_kind(spans: &[Span]) -> Option<SpanKind> {
    spans.last().filter(|s| s.end.is_none()).map(|s| s.kind)
}

/// Builds the timeline of `run` from its events (in commit order). `depends_on`
/// gives each step's dependencies by name.
pub fn build(
    run: &RunView,
    depends_on: &HashMap<String, Vec<String>>,
    events: &[EventRow],
) -> Timeline {
    let mut spans: HashMap<&str, Vec<Span>> = HashMap::new();
    for e in events {
        let at = e.created_at;
        let data = &e.data.0;
        let Some(step) = data.get("step").and_then(Value::as_str) else {
            if e.event_type.starts_with("run.") && run_final(&e.event_type) {
                let outcome = e.event_type.trim_start_matches("run.");
                for s in spans.values_mut() {
                    close(s, at, outcome);
                }
            }
            continue;
        };
        let Some(name) = run.steps.iter().find(|s| s.name == step).map(|s| &*s.name) else {
            continue;
        };
        let s = spans.entry(name).or_default();
        let attempt = data.get("attempt").and_then(Value::as_i64);
        let mut wait = |kind: SpanKind, outcome: &str, until: Option<DateTime<Utc>>| {
            close(s, at, outcome);
            s.push(Span {
                kind,
                attempt: if kind == SpanKind::RetryWait {
                    attempt
                } else {
                    None
                },
                start: at,
                end: None,
                until,
                outcome: None,
            });
        };
        match e.event_type.as_str() {
            "step.started" => {
                let outcome = match open_kind(s) {
                    // Started again without an outcome: the replica running it stopped.
                    Some(SpanKind::Attempt) => "interrupted",
                    _ => "resumed",
                };
                close(s, at, outcome);
                s.push(Span {
                    kind: SpanKind::Attempt,
                    attempt,
                    start: at,
                    end: None,
                    until: None,
                    outcome: None,
                });
            }
            "step.completed" => close(s, at, "completed"),
            "step.failed" => close(s, at, "failed"),
            "step.retrying" => wait(SpanKind::RetryWait, "retrying", time(data, "retryAt")),
            "step.deferred" => wait(SpanKind::Deferred, "deferred", time(data, "retryAt")),
            "step.sleeping" => wait(SpanKind::Parked, "parked", time(data, "until")),
            "step.waiting" => wait(SpanKind::Parked, "parked", time(data, "timeoutAt")),
            _ => {}
        }
    }
    let steps = run
        .steps
        .iter()
        .map(|step| {
            let mut own = spans.remove(step.name.as_str()).unwrap_or_default();
            if own.is_empty()
                && let Some(start) = step.started_at
            {
                own.push(Span {
                    kind: SpanKind::Attempt,
                    attempt: None,
                    start,
                    end: step.finished_at,
                    until: None,
                    outcome: step.finished_at.map(|_| status_word(step.status)),
                });
            }
            StepTimeline {
                name: step.name.clone(),
                status: step.status,
                depends_on: depends_on.get(&step.name).cloned().unwrap_or_default(),
                attempts: step.attempts,
                skip_reason: step.skip_reason.clone(),
                spans: own,
            }
        })
        .collect();
    Timeline {
        created_at: run.created_at,
        finished_at: run.finished_at,
        steps,
    }
}

fn run_final(event_type: &str) -> bool {
    matches!(event_type, "run.completed" | "run.failed" | "run.cancelled")
}

fn status_word(status: StepStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
