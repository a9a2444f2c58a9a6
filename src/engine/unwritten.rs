//! A run's steps as stored, completed from its definition. A step has no row until
//! the first commit that changes it (`NewRun::stored_steps`): a pending step is not
//! written at submission. Whoever reads a run's steps (the replica that resumes it,
//! a client looking at it) completes them here, so a step without a row reads as it
//! would have been stored.

use super::definition::WorkflowDefinition;
use crate::store::{RunStatus, StepStatus, StepWrite};

/// Why a step without a row did not run in a cancelled run: the reason the store's
/// cancellation gives the open steps that have one.
const CANCELLED: &str = "run cancelled";

/// The run's steps in the definition's order, each with its position there: the
/// stored one, or for a step without a row, what it stands for in a run of
/// `status` (pending; skipped in a cancelled run). Also returns the stored steps the
/// definition does not name (none unless a definition changed under its version),
/// which only a reader may show: the engine executes the definition's steps.
pub(super) fn complete(
    def: &WorkflowDefinition,
    status: RunStatus,
    stored: Vec<StepWrite>,
) -> (Vec<StepWrite>, Vec<StepWrite>) {
    let mut stored = stored;
    let steps = def
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let position = i as i32;
            match stored.iter().position(|r| r.name == s.name) {
                Some(at) => {
                    let mut step = stored.swap_remove(at);
                    step.position = position;
                    step
                }
                None => unwritten(&s.name, position, status),
            }
        })
        .collect();
    stored.sort_by_key(|s| s.position);
    (steps, stored)
}

/// A step without a row, as it reads in a run of `status`.
fn unwritten(name: &str, position: i32, status: RunStatus) -> StepWrite {
    let mut step = StepWrite::pending(name, position);
    if status == RunStatus::Cancelled {
        step.status = StepStatus::Skipped;
        step.skip_reason = Some(CANCELLED.to_string());
    }
    step
}

/// True when every step of a run of `status` has its row: a completed run's steps all
/// ended (ran or were skipped), and each end was committed.
pub(super) fn all_written(status: RunStatus) -> bool {
    status == RunStatus::Completed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::policy::StepPolicy;
    use crate::engine::step::{StepContext, StepError, StepOutcome, StepOutput};

    async fn noop(_: StepContext) -> Result<StepOutcome, StepError> {
        Ok(StepOutcome::Done(StepOutput::new(serde_json::Value::Null)))
    }

    fn chain() -> WorkflowDefinition {
        WorkflowDefinition::builder("chain", 1)
            .step("a", &[], StepPolicy::new(), noop)
            .step("b", &["a"], StepPolicy::new(), noop)
            .step("c", &["b"], StepPolicy::new(), noop)
            .build()
            .unwrap()
    }

    fn started(name: &str, position: i32) -> StepWrite {
        let mut s = StepWrite::pending(name, position);
        s.status = StepStatus::Running;
        s.attempts = 1;
        s
    }

    #[test]
    fn steps_without_rows_read_as_pending_in_the_definitions_order() {
        let (steps, extra) = complete(&chain(), RunStatus::Running, vec![started("a", 0)]);
        let seen: Vec<_> = steps.iter().map(|s| (s.name.as_str(), s.status)).collect();
        assert_eq!(
            seen,
            [
                ("a", StepStatus::Running),
                ("b", StepStatus::Pending),
                ("c", StepStatus::Pending)
            ]
        );
        assert_eq!(steps[2].position, 2);
        assert!(extra.is_empty());
    }

    #[test]
    fn a_cancelled_run_shows_its_unwritten_steps_skipped_as_cancelled() {
        let (steps, _) = complete(&chain(), RunStatus::Cancelled, vec![]);
        assert!(steps.iter().all(|s| s.status == StepStatus::Skipped
            && s.skip_reason.as_deref() == Some("run cancelled")));
    }

    #[test]
    fn stored_steps_the_definition_does_not_name_are_kept_apart() {
        let (steps, extra) = complete(
            &chain(),
            RunStatus::Failed,
            vec![started("gone", 7), started("b", 1)],
        );
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[1].status, StepStatus::Running);
        assert_eq!(extra.len(), 1);
        assert_eq!(extra[0].name, "gone");
    }
}
