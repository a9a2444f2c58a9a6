//! Submitting runs and reading them back: submit (with idempotency, backpressure
//! and an optional wait), get, list, wait, cancel, retry.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::types::Json;

use super::definition::WorkflowDefinition;
use super::events::RunEvents;
use super::options::RunOptions;
use super::plan::{self, DryRunPlan, PassContext};
use super::priority::Priority;
use super::unwritten;
use super::view::RunView;
use super::{Engine, EngineError, EngineResult, worker};
use crate::domain::validation::Problems;
use crate::store::{
    AttachedServiceCall, InsertRun, NewRun, RunFilter, RunId, RunRow, RunStatus, ServiceCallRow,
    StepStatus, StepWrite, TenantId,
};

/// A request to run a workflow.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The caller's tenant.
    pub tenant: TenantId,
    /// Workflow name.
    pub workflow: String,
    /// Validated input.
    pub input: Value,
    /// Options (steps, parallel, stopOnError, dryRun).
    pub options: RunOptions,
    /// A repeat with the same key returns the first run.
    pub idempotency_key: Option<String>,
    /// Fingerprint of the client's request, stored with a client-given key: a
    /// repeat with the same key and another fingerprint is refused. `None` for keys
    /// careflow derives itself (a retried step may rebuild its input differently).
    pub fingerprint: Option<String>,
    /// Correlation id for the run's events.
    pub correlation_id: Option<String>,
}

/// Extra scheduling and admission for a submission.
#[derive(Debug, Clone, Default)]
pub struct Scheduling {
    /// Do not start before this time (the run waits in the queue).
    pub not_before: Option<DateTime<Utc>>,
    /// At most `limit` runs with this key execute at once (key, limit).
    pub concurrency: Option<(String, i32)>,
    /// The work was admitted earlier (the runs an accepted event starts): the
    /// queue's bounds are not applied again, since refusing now would lose it.
    pub preadmitted: bool,
    /// Steps that start out completed, copied from an earlier run (a rerun): each
    /// replaces the pending step at its position.
    pub reused: Vec<StepWrite>,
    /// Claims take higher priorities first.
    pub priority: Priority,
    /// The input is already in the form the workflow's input reader stores: the
    /// caller read it itself, together with the rest of its request, so its problems
    /// and the request's came in one answer. The reader does not run again. Only for
    /// an input the service read itself, never one a client sent as it is.
    pub input_read: bool,
}

/// What submitting a service call's run did.
#[derive(Debug, Clone)]
pub enum CallSubmitted {
    /// The call and its run were recorded together.
    Created(RunId),
    /// The call's idempotency key names an earlier call: that one. Nothing was
    /// written.
    Exists(Box<ServiceCallRow>),
}

/// What inserting a submission did, before it is answered.
enum Inserted {
    Submitted(Box<Submitted>),
    CallExists(Box<ServiceCallRow>),
}

/// What a submission did.
// One value per request, moved once and never kept in bulk: boxing the run view
// would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Submitted {
    /// A dry run: the plan, nothing written.
    DryRun(DryRunPlan),
    /// A run exists (new, or the one an idempotency key named).
    Run {
        /// Its id.
        run_id: RunId,
        /// False when an earlier submission with the same key created it.
        created: bool,
        /// The run, when it reached a final state within the wait.
        finished: Option<RunView>,
    },
}

impl Engine {
    /// Submits a run and waits up to `wait` for it to end.
    pub async fn submit(&self, sub: Submission, wait: Duration) -> EngineResult<Submitted> {
        self.submit_scheduled(sub, wait, Scheduling::default())
            .await
    }

    /// Submits a run with a start time or a concurrency key, and waits up to `wait`.
    pub async fn submit_scheduled(
        &self,
        sub: Submission,
        wait: Duration,
        scheduling: Scheduling,
    ) -> EngineResult<Submitted> {
        match self.insert(sub, wait, scheduling, None).await? {
            Inserted::Submitted(s) => Ok(*s),
            Inserted::CallExists(_) => Err(EngineError::InvalidState(
                "a run without a service call found one".into(),
            )),
        }
    }

    /// Records a service call and submits the run that performs it, in one
    /// transaction: when the queue refuses the run, the call is not recorded either.
    pub async fn submit_service_call(
        &self,
        sub: Submission,
        scheduling: Scheduling,
        call: AttachedServiceCall,
    ) -> EngineResult<CallSubmitted> {
        match self
            .insert(sub, Duration::ZERO, scheduling, Some(call))
            .await?
        {
            Inserted::Submitted(s) => match *s {
                Submitted::Run { run_id, .. } => Ok(CallSubmitted::Created(run_id)),
                Submitted::DryRun(_) => Err(EngineError::InvalidState(
                    "a service call's run was planned as a dry run".into(),
                )),
            },
            Inserted::CallExists(row) => Ok(CallSubmitted::Exists(row)),
        }
    }

    async fn insert(
        &self,
        sub: Submission,
        wait: Duration,
        scheduling: Scheduling,
        service_call: Option<AttachedServiceCall>,
    ) -> EngineResult<Inserted> {
        let inner = &self.inner;
        // A new run takes the workflow's current version and keeps it.
        let def = self
            .require_definition(&sub.tenant, &sub.workflow, None)
            .await?;
        let mut sub = sub;
        if let Some(read) = def.input_reader.as_ref().filter(|_| !scheduling.input_read) {
            sub.input = read(&sub.input).map_err(|p| {
                let mut located = Problems::new();
                located.extend_under("/input", p);
                EngineError::Invalid(located)
            })?;
        }
        if sub.options.dry_run {
            let plan = plan::dry_run(&def, &sub.options);
            return Ok(Inserted::Submitted(Box::new(Submitted::DryRun(plan))));
        }
        if inner.shutdown.is_cancelled() {
            return Err(EngineError::ShuttingDown);
        }

        let now = inner.clock.now();
        let run_id = RunId::new();
        let mut steps = initial_steps(&def, &scheduling.reused);
        // When the run waits in the queue.
        let queued_ready_at = scheduling.not_before.unwrap_or(now).max(now);
        // With a free slot the run executes here at once: it is inserted already
        // leased to this replica, with its first steps marked started, which saves
        // the claim's round trip and commit.
        let deferred = scheduling.not_before.is_some_and(|t| t > now);
        // Runs with a concurrency key always go through the queue, whose claim
        // enforces the key's limit.
        let permit = if deferred || scheduling.concurrency.is_some() {
            None
        } else {
            worker::try_slot(inner)
        };
        let labels = RunEvents {
            run_id,
            workflow: def.name.clone(),
            correlation_id: sub.correlation_id.clone(),
        };
        let mut events = vec![labels.engine("run.queued", now, json!({}))];
        let (status, lease, started) = if permit.is_some() {
            let until =
                now + chrono::Duration::from_std(inner.settings.lease_ttl).unwrap_or_default();
            let idle = vec![false; steps.len()];
            let pass = plan::advance(
                &def,
                &sub.options,
                &mut steps,
                PassContext {
                    now,
                    in_flight: &idle,
                    cancelled: false,
                    draining: false,
                    max_attempts: inner.default_retry.max_attempts,
                },
            );
            for &i in &pass.changed {
                let s = &steps[i];
                let (t, data) = if s.status == StepStatus::Running {
                    (
                        "step.started",
                        json!({"step": s.name, "attempt": s.attempts}),
                    )
                } else {
                    (
                        "step.skipped",
                        json!({"step": s.name, "reason": s.skip_reason}),
                    )
                };
                events.push(labels.engine(t, now, data));
            }
            (
                RunStatus::Running,
                Some((inner.owner.clone(), until)),
                pass.start,
            )
        } else {
            (RunStatus::Queued, None, Vec::new())
        };
        let new_run = NewRun {
            tenant_id: sub.tenant.clone(),
            run_id,
            workflow: def.name.clone(),
            workflow_version: def.version,
            status,
            input: sub.input,
            options: serde_json::to_value(&sub.options).unwrap_or(Value::Null),
            idempotency_key: sub.idempotency_key,
            request_hash: sub.fingerprint.clone(),
            correlation_id: sub.correlation_id,
            // The span active while submitting (a request's, or an attempt's that
            // starts a run): the run's attempts become its children.
            trace_parent: crate::telemetry::trace_context::current_traceparent(),
            created_at: now,
            ready_at: lease
                .as_ref()
                .map(|(_, until)| *until)
                .or(Some(queued_ready_at)),
            lease,
            concurrency: scheduling.concurrency,
            priority: scheduling.priority.get(),
            steps,
            events,
            queue_bound: (!scheduling.preadmitted).then(|| self.queue_bound()),
            service_call,
        };
        // Subscribe before the executor starts, so its wake-up cannot be missed.
        let rx = (!wait.is_zero()).then(|| inner.waiters.subscribe(run_id));
        let mut permit = permit;
        let mut new_run = new_run;
        let mut outcome = inner.store.insert_run(&new_run).await?;
        if matches!(outcome, InsertRun::Paused) && permit.is_some() {
            // A workflow the tenant paused takes new runs into the queue, where they
            // wait until it is resumed. The store says so in the insert itself: no
            // round trip of its own on every submission.
            permit = None;
            let pending = initial_steps(&def, &scheduling.reused);
            new_run = queued_instead(new_run, pending, queued_ready_at);
            outcome = inner.store.insert_run(&new_run).await?;
        }
        match outcome {
            InsertRun::Paused => Err(EngineError::InvalidState(
                "a queued run was refused as paused".into(),
            )),
            InsertRun::Refused(full) => {
                inner.metrics.count(
                    "careflow_submissions_rejected_total",
                    "Submissions refused because the queue (or the tenant's share) was full.",
                    &[("bound", full.label())],
                    1.0,
                );
                Err(EngineError::Backlogged {
                    retry_after: self.retry_after(),
                    full,
                })
            }
            InsertRun::ServiceCallExists(row) => Ok(Inserted::CallExists(row)),
            InsertRun::Duplicate(existing, stored) => {
                if let (Some(stored), Some(given)) = (stored, &sub.fingerprint)
                    && stored != *given
                {
                    return Err(EngineError::KeyReused {
                        run_id: existing.run_id,
                    });
                }
                let finished = if wait.is_zero() {
                    None
                } else {
                    self.wait(&sub.tenant, existing.run_id, wait)
                        .await?
                        .filter(|v| v.status.is_final())
                };
                Ok(Inserted::Submitted(Box::new(Submitted::Run {
                    run_id: existing.run_id,
                    created: false,
                    finished,
                })))
            }
            InsertRun::Created => {
                inner.metrics.count(
                    "careflow_runs_submitted_total",
                    "Runs submitted.",
                    &[("workflow", &def.name)],
                    1.0,
                );
                match permit {
                    Some(permit) => {
                        let row = row_of(&new_run, &inner.owner);
                        let mut steps = new_run.steps;
                        // The insert wrote the first attempts.
                        steps
                            .iter_mut()
                            .for_each(|s| s.settle_attempts(&inner.owner));
                        worker::spawn_executor(inner.clone(), def, row, steps, started, permit);
                    }
                    None => {
                        inner
                            .backlog
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                        inner.poke.notify_one()
                    }
                }
                let finished = match rx {
                    Some(rx) => self
                        .wait_with(rx, &sub.tenant, run_id, wait, true)
                        .await?
                        .filter(|v| v.status.is_final()),
                    None => None,
                };
                Ok(Inserted::Submitted(Box::new(Submitted::Run {
                    run_id,
                    created: true,
                    finished,
                })))
            }
        }
    }

    /// A run of the tenant with its steps.
    pub async fn get(&self, tenant: &TenantId, run: RunId) -> EngineResult<Option<RunView>> {
        let Some(row) = self.inner.store.get_run(tenant, run).await? else {
            return Ok(None);
        };
        let steps = self.steps_of(&row, &mut Definitions::new()).await?;
        Ok(Some(RunView::new(&row, &steps)))
    }

    /// A page of the tenant's runs, newest first (steps included).
    pub async fn list(&self, tenant: &TenantId, filter: &RunFilter) -> EngineResult<Vec<RunView>> {
        let rows = self.inner.store.list_runs(tenant, filter).await?;
        let mut definitions = Definitions::new();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let steps = self.steps_of(&row, &mut definitions).await?;
            out.push(RunView::new(&row, &steps));
        }
        Ok(out)
    }

    /// The run's steps as stored, completed from its definition (a pending step has
    /// no row, see `unwritten`); the definitions looked up are kept in `definitions`
    /// for the next run of a page.
    async fn steps_of(
        &self,
        row: &RunRow,
        definitions: &mut Definitions,
    ) -> EngineResult<Vec<StepWrite>> {
        let stored: Vec<StepWrite> = self
            .inner
            .store
            .get_steps(&row.tenant_id, row.run_id)
            .await?
            .iter()
            .map(StepWrite::from_row)
            .collect();
        if unwritten::all_written(row.status) {
            return Ok(stored);
        }
        let key = (row.workflow.clone(), row.workflow_version);
        let def = match definitions.get(&key) {
            Some(def) => def.clone(),
            None => {
                let def = self
                    .definition(&row.tenant_id, &row.workflow, Some(row.workflow_version))
                    .await?;
                definitions.insert(key, def.clone());
                def
            }
        };
        // A run of a workflow this build does not know keeps the steps it has.
        let Some(def) = def else {
            return Ok(stored);
        };
        let (mut steps, unnamed) = unwritten::complete(&def, row.status, stored);
        steps.extend(unnamed);
        Ok(steps)
    }

    /// Waits up to `wait` for a run to reach a final state; returns it as it is then
    /// (`None` when it does not exist in the tenant).
    pub async fn wait(
        &self,
        tenant: &TenantId,
        run: RunId,
        wait: Duration,
    ) -> EngineResult<Option<RunView>> {
        let rx = self.inner.waiters.subscribe(run);
        self.wait_with(rx, tenant, run, wait, false).await
    }

    async fn wait_with(
        &self,
        mut rx: tokio::sync::watch::Receiver<super::waiters::Wakeup>,
        tenant: &TenantId,
        run: RunId,
        wait: Duration,
        fresh: bool,
    ) -> EngineResult<Option<RunView>> {
        let deadline = tokio::time::Instant::now() + wait;
        // A run submitted a moment ago cannot be final yet: skip the first read.
        let mut skip_read = fresh;
        loop {
            if !skip_read {
                let view = self.get(tenant, run).await?;
                match &view {
                    None => return Ok(None),
                    Some(v) if v.status.is_final() => return Ok(view),
                    Some(_) if tokio::time::Instant::now() >= deadline => return Ok(view),
                    Some(_) => {}
                }
            }
            skip_read = false;
            tokio::select! {
                changed = rx.changed() => {
                    if changed.is_ok() {
                        let pushed = rx.borrow_and_update().clone();
                        if let Some(view) = pushed {
                            return Ok(Some(Arc::unwrap_or_clone(view)));
                        }
                    }
                    rx = self.inner.waiters.subscribe(run);
                }
                _ = tokio::time::sleep_until(deadline) => {
                    return self.get(tenant, run).await;
                }
                // A stopping replica answers its waiters at once: the client
                // follows the run elsewhere, and the shutdown is not held up.
                _ = self.inner.shutdown.cancelled() => {
                    return self.get(tenant, run).await;
                }
            }
        }
    }

    /// Cancels a run: at once when no replica holds it, else by signalling its
    /// holder, whose running steps see their cancellation token. Waits briefly for
    /// the run to settle and returns it.
    pub async fn cancel(&self, tenant: &TenantId, run: RunId) -> EngineResult<RunView> {
        self.request_cancellation(tenant, run).await?;
        self.wait(tenant, run, Duration::from_secs(5))
            .await?
            .ok_or(EngineError::NotFound)
    }

    /// Cancels a run (as [`Engine::cancel`]) without waiting for it to settle.
    pub(super) async fn request_cancellation(
        &self,
        tenant: &TenantId,
        run: RunId,
    ) -> EngineResult<()> {
        let inner = &self.inner;
        let current = self.get(tenant, run).await?.ok_or(EngineError::NotFound)?;
        if current.status.is_final() {
            return Err(EngineError::InvalidState(format!(
                "the run is already {}",
                current.status
            )));
        }
        let now = inner.clock.now();
        let labels = RunEvents {
            run_id: run,
            workflow: current.workflow.clone(),
            correlation_id: current.correlation_id.clone(),
        };
        let event = labels.engine(super::RUN_CANCELLED, now, json!({}));
        let status = inner
            .store
            .request_cancel(tenant, run, now, &[event])
            .await?
            .ok_or(EngineError::NotFound)?;
        if status == RunStatus::Running {
            inner.cancel_local(run);
        } else {
            inner.waiters.wake(run, None);
        }
        if status == RunStatus::Cancelled {
            // Settled now, so the caller reads records in step with the run; the
            // event router repeats it (and covers runs stopped by their executor).
            if let Err(e) = self.run_cancel_hook(tenant, run, &current.workflow).await {
                tracing::warn!(run.id = %run, error = %e, "the workflow's cancellation hook failed; the event router retries it");
            }
        }
        Ok(())
    }

    /// Runs a failed or cancelled run again from its unfinished steps, keeping what
    /// completed.
    pub async fn retry(&self, tenant: &TenantId, run: RunId) -> EngineResult<RunView> {
        let inner = &self.inner;
        let current = self.get(tenant, run).await?.ok_or(EngineError::NotFound)?;
        if !matches!(current.status, RunStatus::Failed | RunStatus::Cancelled) {
            return Err(EngineError::InvalidState(format!(
                "only failed or cancelled runs can be retried; this one is {}",
                current.status
            )));
        }
        // The workflow's own rules first: a refusal leaves the run as it is.
        if let Some(guard) = inner
            .registry
            .get(&current.workflow)
            .and_then(|def| def.restart_guard.clone())
        {
            guard.before_retry(tenant, &current).await?;
        }
        let now = inner.clock.now();
        let labels = RunEvents {
            run_id: run,
            workflow: current.workflow.clone(),
            correlation_id: current.correlation_id.clone(),
        };
        let event = labels.engine("run.retried", now, json!({}));
        if !inner.store.requeue_run(tenant, run, now, &[event]).await? {
            return Err(EngineError::InvalidState(format!(
                "only failed or cancelled runs can be retried; this one is {}",
                current.status
            )));
        }
        inner.poke.notify_one();
        self.get(tenant, run).await?.ok_or(EngineError::NotFound)
    }
}

/// Definitions by workflow and version, as looked up for one read (`None`: not known).
type Definitions = HashMap<(String, i32), Option<Arc<WorkflowDefinition>>>;

/// A new run's steps: pending, but for those `reused` (completed, copied from an
/// earlier run), each at its position.
fn initial_steps(def: &WorkflowDefinition, reused: &[StepWrite]) -> Vec<StepWrite> {
    let mut steps: Vec<StepWrite> = def
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepWrite::pending(&s.name, i as i32))
        .collect();
    for copy in reused {
        if let Some(slot) = usize::try_from(copy.position)
            .ok()
            .and_then(|i| steps.get_mut(i))
        {
            *slot = copy.clone();
        }
    }
    steps
}

/// `run`, which was to start at once, as a queued run instead: its steps `pending`,
/// no lease, only its first event (`run.queued`), ready at `ready_at`.
fn queued_instead(mut run: NewRun, pending: Vec<StepWrite>, ready_at: DateTime<Utc>) -> NewRun {
    run.status = RunStatus::Queued;
    run.lease = None;
    run.ready_at = Some(ready_at);
    run.steps = pending;
    run.events.truncate(1);
    run
}

/// The row a just-inserted, locally leased run has in the store.
fn row_of(run: &NewRun, owner: &str) -> RunRow {
    RunRow {
        tenant_id: run.tenant_id.clone(),
        run_id: run.run_id,
        workflow: run.workflow.clone(),
        workflow_version: run.workflow_version,
        status: run.status,
        input: Json(run.input.clone()),
        options: Json(run.options.clone()),
        idempotency_key: run.idempotency_key.clone(),
        correlation_id: run.correlation_id.clone(),
        error: None,
        created_at: run.created_at,
        started_at: Some(run.created_at),
        finished_at: None,
        ready_at: run.ready_at,
        lease_owner: Some(owner.to_string()),
        lease_epoch: 1,
        lease_expires_at: run.lease.as_ref().map(|(_, u)| *u),
        cancel_requested: false,
        pause_requested: false,
        trace_parent: run.trace_parent.clone(),
        priority: run.priority,
    }
}
