//! Timelines built from hand-made event sequences.

use super::*;
use crate::store::{RunId, RunStatus, TenantId};
use serde_json::json;

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
}

fn event(position: i64, event_type: &str, s: i64, data: Value) -> EventRow {
    EventRow {
        position,
        tenant_id: TenantId::parse("t").unwrap(),
        event_id: uuid::Uuid::now_v7(),
        event_type: event_type.into(),
        correlation_id: None,
        run_id: None,
        workflow: None,
        source: "engine".into(),
        data: sqlx::types::Json(data),
        created_at: at(s),
    }
}

fn run(steps: &[(&str, StepStatus)]) -> RunView {
    let steps = steps
        .iter()
        .map(|(name, status)| super::super::view::StepView {
            name: name.to_string(),
            status: *status,
            attempts: 1,
            started_at: Some(at(1)),
            finished_at: None,
            duration_ms: None,
            output: None,
            error: None,
            messages: Default::default(),
            skip_reason: None,
            wakes_at: None,
            attempt_history: None,
            reused_from: None,
        })
        .collect();
    RunView {
        run_id: RunId::new(),
        workflow: "w".into(),
        workflow_version: 1,
        status: RunStatus::Running,
        pause_requested: false,
        priority: 5,
        input: json!({}),
        options: json!({}),
        correlation_id: None,
        error: None,
        created_at: at(0),
        started_at: Some(at(0)),
        finished_at: None,
        duration_ms: None,
        wakes_at: None,
        rerun_of: None,
        steps,
    }
}

#[test]
fn attempts_retry_waits_and_parked_time_become_spans() {
    let run = run(&[("a", StepStatus::Completed), ("b", StepStatus::Sleeping)]);
    let events = vec![
        event(1, "run.queued", 0, json!({})),
        event(2, "step.started", 1, json!({"step": "a", "attempt": 1})),
        event(
            3,
            "step.retrying",
            2,
            json!({"step": "a", "attempt": 1, "retryAt": at(5)}),
        ),
        event(4, "step.started", 5, json!({"step": "a", "attempt": 2})),
        event(5, "step.completed", 7, json!({"step": "a", "attempt": 2})),
        event(6, "step.started", 7, json!({"step": "b", "attempt": 1})),
        event(7, "step.sleeping", 8, json!({"step": "b", "until": at(60)})),
    ];
    let deps = HashMap::from([("b".to_string(), vec!["a".to_string()])]);
    let t = build(&run, &deps, &events);
    let a = &t.steps[0].spans;
    let kinds: Vec<SpanKind> = a.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [SpanKind::Attempt, SpanKind::RetryWait, SpanKind::Attempt]
    );
    assert_eq!((a[0].start, a[0].end), (at(1), Some(at(2))));
    assert_eq!(a[0].outcome.as_deref(), Some("retrying"));
    assert_eq!((a[1].until, a[1].end), (Some(at(5)), Some(at(5))));
    assert_eq!(a[2].attempt, Some(2));
    assert_eq!(a[2].outcome.as_deref(), Some("completed"));
    let b = &t.steps[1];
    assert_eq!(b.depends_on, ["a"]);
    assert_eq!(b.spans.len(), 2);
    assert_eq!(b.spans[1].kind, SpanKind::Parked);
    assert_eq!(b.spans[1].end, None, "still parked");
    assert_eq!(b.spans[1].until, Some(at(60)));
}

#[test]
fn a_final_run_event_closes_open_spans_and_a_restart_interrupts_an_attempt() {
    let run = run(&[("a", StepStatus::Pending)]);
    let events = vec![
        event(1, "step.started", 1, json!({"step": "a", "attempt": 1})),
        event(2, "step.started", 9, json!({"step": "a", "attempt": 2})),
        event(3, "run.cancelled", 10, json!({})),
    ];
    let t = build(&run, &HashMap::new(), &events);
    let a = &t.steps[0].spans;
    assert_eq!(a[0].outcome.as_deref(), Some("interrupted"));
    assert_eq!(a[1].end, Some(at(10)));
    assert_eq!(a[1].outcome.as_deref(), Some("cancelled"));
}

#[test]
fn without_events_a_step_that_ran_gets_one_span() {
    let run = run(&[("a", StepStatus::Running)]);
    let t = build(&run, &HashMap::new(), &[]);
    assert_eq!(t.steps[0].spans.len(), 1);
    assert_eq!(t.steps[0].spans[0].start, at(1));
}
