//! Attempts that never reported. A step is marked `running` (with its attempt
//! counted) in a commit before its code runs, so a step found `running` by a replica
//! that is not executing it had its attempt started by a holder that stopped: the
//! process died, or paused past its lease. That attempt is spent. While attempts
//! remain the step runs again as a new attempt; when the lost attempt was the last,
//! the step fails saying so and never runs again, so a step whose code kills its
//! process (a poison pill) cannot take replica after replica down.
//!
//! A step whose policy says it can reconcile (its handler understands
//! [`StepContext::lost_attempt`](super::StepContext)) is called once more to settle its domain rows
//! from what the lost attempt recorded, without repeating the side effect; a
//! reconciliation that itself never reports fails the step the same way.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::attempts;
use crate::store::{AttemptOutcome, StepStatus, StepWrite};

/// What to do with a step left `running` by a holder that stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Orphan {
    /// Attempts remain: start the next one.
    Retry,
    /// The last attempt was lost: call the handler with `lost_attempt` set.
    Reconcile,
    /// The last attempt (or its reconciliation) was lost: the step has failed.
    Failed,
}

/// The `wait` marker of a reconciliation in progress.
const KIND: &str = "lost";

/// True when the step's stored wait says a reconciliation was started.
pub(super) fn reconciling(step: &StepWrite) -> bool {
    step.wait
        .as_ref()
        .and_then(|w| w.get("kind"))
        .and_then(Value::as_str)
        == Some(KIND)
}

/// The lost attempt a reconciliation settles, from the step's stored wait.
pub(super) fn reconciled_attempt(step: &StepWrite) -> Option<u32> {
    if !reconciling(step) {
        return None;
    }
    step.wait
        .as_ref()
        .and_then(|w| w.get("attempt"))
        .and_then(Value::as_u64)
        .map(|a| a as u32)
}

/// Decides about an orphaned `running` step (changing nothing).
pub(super) fn verdict(step: &StepWrite, max_attempts: u32, reconciles: bool) -> Orphan {
    let attempt = step.attempts.max(1) as u32;
    if reconciling(step) {
        Orphan::Failed
    } else if attempt < max_attempts {
        Orphan::Retry
    } else if reconciles {
        Orphan::Reconcile
    } else {
        Orphan::Failed
    }
}

/// Marks the reconciliation of the lost last attempt, committed before the handler
/// is called, so a reconciliation that never reports is recognised.
pub(super) fn start_reconciling(step: &mut StepWrite) {
    let attempt = step.attempts.max(1);
    step.wait = Some(json!({"kind": KIND, "attempt": attempt}));
}

/// The error of an attempt that never reported.
fn lost_error(attempt: u32) -> Value {
    json!({
        "message": never_reported(attempt),
        "kind": "permanent",
        "attempt": attempt,
        "details": {"neverReported": true},
    })
}

/// Closes the step's current attempt in its history as lost. A reconciliation is
/// not an attempt of its own: the attempt it settles was closed when it started.
pub(super) fn mark_lost(step: &mut StepWrite, now: DateTime<Utc>) {
    let attempt = step.attempts.max(1) as u32;
    attempts::ended(step, now, AttemptOutcome::Lost, Some(lost_error(attempt)));
}

/// Fails a step whose last attempt (or its reconciliation) never reported.
pub(super) fn fail(step: &mut StepWrite, now: DateTime<Utc>) {
    let attempt = step.attempts.max(1) as u32;
    mark_lost(step, now);
    step.status = StepStatus::Failed;
    step.finished_at = Some(now);
    step.wake_at = None;
    step.wait = None;
    step.error = Some(lost_error(attempt));
}

/// The error of a step whose last attempt never reported.
pub fn never_reported(attempt: u32) -> String {
    format!("attempt {attempt} never reported: the process running it stopped")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(attempts: i32) -> StepWrite {
        let mut s = StepWrite::pending("s", 0);
        s.status = StepStatus::Running;
        s.attempts = attempts;
        s
    }

    #[test]
    fn a_lost_attempt_with_attempts_left_is_retried() {
        assert_eq!(verdict(&running(2), 3, false), Orphan::Retry);
        assert_eq!(verdict(&running(2), 3, true), Orphan::Retry);
    }

    #[test]
    fn a_lost_last_attempt_fails_the_step_saying_so() {
        let mut s = running(3);
        assert_eq!(verdict(&s, 3, false), Orphan::Failed);
        fail(&mut s, Utc::now());
        assert_eq!(s.status, StepStatus::Failed);
        assert_eq!(s.attempts, 3);
        let error = s.error.unwrap();
        assert_eq!(
            error["message"],
            "attempt 3 never reported: the process running it stopped"
        );
        assert_eq!(error["details"]["neverReported"], true);
        assert!(s.finished_at.is_some());
    }

    #[test]
    fn a_reconciling_step_is_called_once_and_fails_when_that_call_is_lost_too() {
        let mut s = running(1);
        assert_eq!(verdict(&s, 1, true), Orphan::Reconcile);
        start_reconciling(&mut s);
        assert_eq!(reconciled_attempt(&s), Some(1));
        // The reconciliation's process stopped as well.
        assert_eq!(verdict(&s, 1, true), Orphan::Failed);
    }
}
