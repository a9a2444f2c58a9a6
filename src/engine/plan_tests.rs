use super::*;
use crate::engine::policy::StepPolicy;
use crate::engine::step::{StepContext, StepError, StepOutcome, StepOutput};
use chrono::Duration;
use serde_json::json;

async fn noop(_: StepContext) -> Result<StepOutcome, StepError> {
    Ok(StepOutcome::Done(StepOutput::new(Value::Null)))
}

/// The discharge shape: a -> b -> c -> d, a -> e; `b` critical when asked.
fn def(critical_b: bool) -> WorkflowDefinition {
    let b = if critical_b {
        StepPolicy::new().critical()
    } else {
        StepPolicy::new()
    };
    WorkflowDefinition::builder("w", 1)
        .step("a", &[], StepPolicy::new(), noop)
        .step("b", &["a"], b, noop)
        .step("c", &["b"], StepPolicy::new(), noop)
        .step("d", &["c"], StepPolicy::new(), noop)
        .step("e", &["a"], StepPolicy::new(), noop)
        .build()
        .unwrap()
}

fn states(def: &WorkflowDefinition) -> Vec<StepWrite> {
    def.steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepWrite::pending(&s.name, i as i32))
        .collect()
}

fn names(def: &WorkflowDefinition, idx: &[usize]) -> Vec<String> {
    idx.iter().map(|i| def.steps[*i].name.clone()).collect()
}

fn pass(def: &WorkflowDefinition, o: &RunOptions, s: &mut [StepWrite], in_flight: &[bool]) -> Pass {
    advance(
        def,
        o,
        s,
        PassContext {
            now: Utc::now(),
            in_flight,
            cancelled: false,
            draining: false,
            max_attempts: 3,
        },
    )
}

fn complete(s: &mut [StepWrite], i: usize) {
    s[i].status = StepStatus::Completed;
}

#[test]
fn parallel_mode_starts_each_step_as_soon_as_its_own_dependencies_complete() {
    let d = def(false);
    let o = RunOptions::default();
    let mut s = states(&d);
    let p = pass(&d, &o, &mut s, &[false; 5]);
    assert_eq!(names(&d, &p.start), ["a"]);
    complete(&mut s, 0);
    let p = pass(&d, &o, &mut s, &[false; 5]);
    assert_eq!(names(&d, &p.start), ["b", "e"]);
    // b completes while e still runs: c starts without waiting for e.
    complete(&mut s, 1);
    let mut in_flight = [false; 5];
    in_flight[d.position("e").unwrap()] = true;
    let p = pass(&d, &o, &mut s, &in_flight);
    assert_eq!(names(&d, &p.start), ["c"]);
    assert_eq!(p.verdict, Verdict::Continue);
}

#[test]
fn sequential_mode_starts_one_step_at_a_time_in_order() {
    let d = def(false);
    let o = RunOptions {
        parallel: false,
        ..RunOptions::default()
    };
    let mut s = states(&d);
    let mut seen = Vec::new();
    for _ in 0..5 {
        let p = pass(&d, &o, &mut s, &[false; 5]);
        assert_eq!(p.start.len(), 1);
        seen.push(d.steps[p.start[0]].name.clone());
        complete(&mut s, p.start[0]);
    }
    assert_eq!(seen, ["a", "b", "c", "d", "e"]);
    let p = pass(&d, &o, &mut s, &[false; 5]);
    assert_eq!(
        p.verdict,
        Verdict::Final {
            status: RunStatus::Completed,
            error: None
        }
    );
}

#[test]
fn a_disabled_step_skips_its_dependents_naming_the_dependency() {
    let d = def(false);
    let o = RunOptions::from_request(&d, Some(&json!({"b": false})), None).unwrap();
    let mut s = states(&d);
    pass(&d, &o, &mut s, &[false; 5]);
    assert_eq!(s[1].skip_reason.as_deref(), Some("disabled by request"));
    assert_eq!(
        s[2].skip_reason.as_deref(),
        Some("dependency 'b' was skipped")
    );
    assert_eq!(
        s[3].skip_reason.as_deref(),
        Some("dependency 'c' was skipped")
    );
    assert_eq!(s[4].status, StepStatus::Pending);
}

#[test]
fn a_non_critical_failure_skips_only_its_dependents_and_the_run_completes() {
    let d = def(false);
    let o = RunOptions::default();
    let mut s = states(&d);
    complete(&mut s, 0);
    s[1].status = StepStatus::Failed;
    complete(&mut s, 4);
    let p = pass(&d, &o, &mut s, &[false; 5]);
    assert_eq!(s[2].skip_reason.as_deref(), Some("dependency 'b' failed"));
    assert_eq!(
        p.verdict,
        Verdict::Final {
            status: RunStatus::Completed,
            error: None
        }
    );
}

#[test]
fn a_critical_failure_fails_the_run_and_skips_the_rest_with_that_reason() {
    let d = def(true);
    let o = RunOptions::default();
    let mut s = states(&d);
    complete(&mut s, 0);
    s[1].status = StepStatus::Failed;
    let p = pass(&d, &o, &mut s, &[false; 5]);
    assert_eq!(
        s[4].skip_reason.as_deref(),
        Some("run stopped: critical step 'b' failed")
    );
    assert!(matches!(
        p.verdict,
        Verdict::Final {
            status: RunStatus::Failed,
            ..
        }
    ));
}

#[test]
fn stop_on_error_ends_the_run_at_any_failure() {
    let d = def(false);
    let o = RunOptions {
        stop_on_error: true,
        ..RunOptions::default()
    };
    let mut s = states(&d);
    complete(&mut s, 0);
    s[1].status = StepStatus::Failed;
    let p = pass(&d, &o, &mut s, &[false; 5]);
    assert_eq!(s[4].status, StepStatus::Skipped);
    assert!(matches!(
        p.verdict,
        Verdict::Final {
            status: RunStatus::Failed,
            ..
        }
    ));
}

#[test]
fn a_retry_in_backoff_leaves_the_run_idle_until_it_is_due() {
    let d = def(false);
    let o = RunOptions::default();
    let mut s = states(&d);
    let later = Utc::now() + Duration::seconds(30);
    s[0].attempts = 1;
    s[0].wake_at = Some(later);
    let p = pass(&d, &o, &mut s, &[false; 5]);
    assert!(p.start.is_empty());
    assert_eq!(
        p.verdict,
        Verdict::Idle {
            status: RunStatus::Sleeping,
            ready_at: Some(later)
        }
    );
}

#[test]
fn a_step_left_running_by_a_dead_holder_starts_again_with_one_more_attempt() {
    let d = def(false);
    let o = RunOptions::default();
    let mut s = states(&d);
    s[0].status = StepStatus::Running;
    s[0].attempts = 1;
    let p = pass(&d, &o, &mut s, &[false; 5]);
    assert_eq!(p.start, vec![0]);
    assert_eq!(s[0].attempts, 2);
}

#[test]
fn a_critical_step_whose_last_attempt_never_reported_fails_and_stops_the_run() {
    let d = def(true);
    let o = RunOptions::default();
    let mut s = states(&d);
    complete(&mut s, 0);
    s[1].status = StepStatus::Running;
    s[1].attempts = 3;
    let p = pass(&d, &o, &mut s, &[false; 5]);
    assert!(p.start.is_empty(), "the poison pill is not started again");
    assert_eq!(s[1].status, StepStatus::Failed);
    assert_eq!(s[1].attempts, 3);
    assert_eq!(
        s[1].error.as_ref().unwrap()["message"],
        "attempt 3 never reported: the process running it stopped"
    );
    assert!(p.changed.contains(&1));
    assert_eq!(s[2].status, StepStatus::Skipped);
    assert!(matches!(
        p.verdict,
        Verdict::Final {
            status: RunStatus::Failed,
            ..
        }
    ));
}

#[test]
fn a_dry_run_lists_waves_order_and_skips() {
    let d = def(false);
    let o = RunOptions::from_request(&d, Some(&json!({"c": false})), None).unwrap();
    let plan = dry_run(&d, &o);
    assert_eq!(plan.order, ["a", "b", "e"]);
    assert_eq!(
        plan.waves,
        vec![vec!["a".to_string()], vec!["b".into(), "e".into()]]
    );
    assert_eq!(plan.skipped[1].reason, "dependency 'c' was skipped");
}
