//! Rerunning a finished run as a new one: the steps from a chosen step on (and all
//! that depend on it) execute again, every other step that completed in the source
//! run is copied with its output, so its work is not repeated.

use std::time::Duration;

use super::{
    Engine, EngineError, EngineResult, Priority, RunOptions, Scheduling, Submission, Submitted,
};
use crate::domain::validation::Problems;
use crate::store::{RunId, StepStatus, StepWrite, TenantId};

impl Engine {
    /// Starts a new run of `run`'s workflow, tenant and input that executes again
    /// `from_step` (default: the first failed step in plan order), the steps that
    /// depend on it and the steps that did not complete; the others are copied
    /// completed, their outputs reused. Waits up to `wait` for the new run to end.
    pub async fn rerun(
        &self,
        tenant: &TenantId,
        run: RunId,
        from_step: Option<&str>,
        wait: Duration,
    ) -> EngineResult<Submitted> {
        let source = self.get(tenant, run).await?.ok_or(EngineError::NotFound)?;
        if !source.status.is_final() {
            return Err(EngineError::InvalidState(format!(
                "only finished runs can be rerun; this one is {}",
                source.status
            )));
        }
        let def = self
            .require_definition(tenant, &source.workflow, None)
            .await?;
        // Reused steps are matched by position, which only holds within one
        // version of a tenant's workflow.
        if def.version != source.workflow_version && !self.registry().is_builtin(&def.name) {
            return Err(EngineError::InvalidState(format!(
                "the run used version {} of `{}` and the current one is {}: submit a new run",
                source.workflow_version, def.name, def.version
            )));
        }
        let from = match from_step {
            Some(name) => def.steps.iter().position(|s| s.name == name),
            None => source
                .steps
                .iter()
                .position(|s| s.status == StepStatus::Failed),
        };
        let Some(from) = from else {
            let mut problems = Problems::new();
            problems.push(
                "/fromStep",
                match from_step {
                    Some(_) => "is not a step of the run's workflow",
                    None => "the run has no failed step: name the step to run again",
                },
            );
            return Err(EngineError::Invalid(problems));
        };
        // The same workflow's rules as for a retry: a rerun repeats the same work.
        if let Some(guard) = def.restart_guard.clone() {
            guard.before_retry(tenant, &source).await?;
        }

        // Steps run again: `from` and everything that depends on it, directly or
        // not (repeated until nothing changes, whatever order the steps are in).
        let mut again = vec![false; def.steps.len()];
        again[from] = true;
        let mut grew = true;
        while grew {
            grew = false;
            for (i, s) in def.steps.iter().enumerate() {
                if !again[i] && s.deps.iter().any(|&d| again[d]) {
                    again[i] = true;
                    grew = true;
                }
            }
        }
        let mut reused = Vec::new();
        let mut reused_names = Vec::new();
        for (i, s) in def.steps.iter().enumerate() {
            let Some(done) = source
                .step(&s.name)
                .filter(|v| !again[i] && v.status == StepStatus::Completed)
            else {
                continue;
            };
            let mut copy = StepWrite::pending(&s.name, i as i32);
            copy.status = StepStatus::Completed;
            copy.started_at = done.started_at;
            copy.finished_at = done.finished_at;
            copy.duration_ms = done.duration_ms;
            copy.output = done.output.clone();
            reused.push(copy);
            reused_names.push(s.name.clone());
        }

        let mut options: RunOptions =
            serde_json::from_value(source.options.clone()).unwrap_or_default();
        options.dry_run = false;
        options.rerun_of = Some(run);
        options.reused_steps = reused_names;
        let submission = Submission {
            tenant: tenant.clone(),
            workflow: source.workflow.clone(),
            input: source.input.clone(),
            options,
            idempotency_key: None,
            fingerprint: None,
            correlation_id: source.correlation_id.clone(),
        };
        let scheduling = Scheduling {
            reused,
            // A rerun is the same work again: it keeps its source's place in line.
            priority: Priority::new(source.priority.into()).unwrap_or_default(),
            ..Scheduling::default()
        };
        self.submit_scheduled(submission, wait, scheduling).await
    }
}
