//! Executes one run held under a lease: plans, starts ready steps as tasks, commits
//! each outcome (with the skips and starts it causes) in one fenced write before
//! anything depending on it starts, and ends by finishing, parking or abandoning
//! the run.
//!
//! The executor is the only writer of its run while it holds the lease. If a commit
//! finds the lease gone, another replica owns the run now: the executor stops its
//! steps and writes nothing more.

use opentelemetry::trace::FutureExt as _;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::FutureExt;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::Inner;
use super::attempts;
use super::definition::WorkflowDefinition;
use super::events::RunEvents;
use super::lease_watch::LeaseWatch;
use super::options::RunOptions;
use super::plan::{self, PassContext, Verdict};
use super::step::{StepContext, StepError, StepOutcome, Wake};
use super::view::RunView;
use crate::store::{
    AttemptMark, AttemptOutcome, LeaseRef, NewEvent, Notice, RunRow, RunStatus, RunUpdate,
    StepStatus, StepWrite, StoreError,
};

/// The result of one attempt, as its task reports it.
struct AttemptReport {
    index: usize,
    result: Result<StepOutcome, StepError>,
    elapsed: Duration,
}

/// A run being executed by this replica.
pub(super) struct Executor {
    inner: Arc<Inner>,
    def: Arc<WorkflowDefinition>,
    run: RunRow,
    options: RunOptions,
    lease: LeaseRef,
    /// How long the lease holds, as far as this replica knows.
    watch: LeaseWatch,
    steps: Vec<StepWrite>,
    in_flight: Vec<bool>,
    tasks: JoinSet<AttemptReport>,
    dirty: BTreeSet<usize>,
    events: Vec<NewEvent>,
    labels: RunEvents,
    /// Fires when the run is cancelled; every step's token is a child of it.
    cancel: CancellationToken,
    cancelled: bool,
}

enum Stop {
    /// The run is final, parked or handed back; nothing more to do here.
    Done,
    /// The lease was lost or the store failed for too long: write nothing more.
    Abandoned,
}

impl Executor {
    pub(super) fn new(
        inner: Arc<Inner>,
        def: Arc<WorkflowDefinition>,
        run: RunRow,
        steps: Vec<StepWrite>,
        cancel: CancellationToken,
    ) -> Self {
        let options: RunOptions = serde_json::from_value(run.options.0.clone()).unwrap_or_default();
        let lease = LeaseRef {
            tenant_id: run.tenant_id.clone(),
            run_id: run.run_id,
            owner: inner.owner.clone(),
            epoch: run.lease_epoch,
        };
        let labels = RunEvents {
            run_id: run.run_id,
            workflow: run.workflow.clone(),
            correlation_id: run.correlation_id.clone(),
        };
        let n = steps.len();
        let watch = LeaseWatch::new(
            run.lease_expires_at,
            inner.renewed.clone(),
            inner.clock.clone(),
        );
        Self {
            watch,
            inner,
            def,
            cancelled: run.cancel_requested,
            run,
            options,
            lease,
            steps,
            in_flight: vec![false; n],
            tasks: JoinSet::new(),
            dirty: BTreeSet::new(),
            events: Vec::new(),
            labels,
            cancel,
        }
    }

    /// Drives the run until it is final, parked, handed back or lost. `started` are
    /// steps whose start the submission already committed.
    pub(super) async fn drive(mut self, started: Vec<usize>) {
        for i in started {
            self.spawn(i);
        }
        let stop = self.run_loop().await;
        if matches!(stop, Stop::Abandoned) {
            self.cancel.cancel();
            self.tasks.abort_all();
            tracing::warn!(run.id = %self.run.run_id, "run abandoned: lease lost, store unreachable or attempt lost");
        }
        self.inner.forget_active(self.run.run_id);
        self.inner.idle.moved();
    }

    async fn run_loop(&mut self) -> Stop {
        loop {
            if self.cancel.is_cancelled() {
                self.cancelled = true;
            }
            let now = self.inner.clock.now();
            let stopping = self.inner.shutdown.is_cancelled();
            // A pausing run starts nothing new either; it parks once idle.
            let pausing = self.inner.is_pausing(self.run.run_id);
            let draining = stopping || pausing;
            let pass = plan::advance(
                &self.def,
                &self.options,
                &mut self.steps,
                PassContext {
                    now,
                    in_flight: &self.in_flight,
                    cancelled: self.cancelled,
                    draining,
                    max_attempts: self.inner.default_retry.max_attempts,
                },
            );
            for &i in &pass.changed {
                self.dirty.insert(i);
                self.record_transition(i, now);
            }
            match pass.verdict {
                Verdict::Final { status, error } => {
                    return self.finish(status, error, now).await;
                }
                Verdict::Idle { status, ready_at } => {
                    if pausing && !stopping {
                        return self.hold(status, now).await;
                    }
                    if draining {
                        // Hand the run back: its outcomes so far are committed and the
                        // lease is released with every other at the end of the drain.
                        return match self.commit_running(now).await {
                            Ok(()) => Stop::Done,
                            Err(stop) => stop,
                        };
                    }
                    let soon = ready_at.is_some_and(|t| {
                        (t - now).to_std().unwrap_or(Duration::ZERO)
                            <= self.inner.settings.park_after
                    });
                    // A run waiting for an event always parks: events are delivered
                    // to parked runs only.
                    if !soon || status == RunStatus::Waiting {
                        return self.park(status, ready_at, now).await;
                    }
                    if let Err(stop) = self.commit_running(now).await {
                        return stop;
                    }
                    let until = ready_at.unwrap_or(now);
                    self.idle_until(until).await;
                    continue;
                }
                Verdict::Continue => {
                    if let Err(stop) = self.commit_running(now).await {
                        return stop;
                    }
                    for i in pass.start {
                        self.spawn(i);
                    }
                    if self.tasks.is_empty() && !self.in_flight.iter().any(|f| *f) {
                        // Nothing runs and nothing can start, yet the plan goes on:
                        // waiting here would never end and looping would spin.
                        tracing::error!(run.id = %self.run.run_id, "plan made no progress; run left to its lease");
                        return Stop::Abandoned;
                    }
                }
            }
            if let Err(stop) = self.await_progress().await {
                return stop;
            }
        }
    }

    /// Waits for at least one attempt to end (then collects any others that ended
    /// too, so their outcomes share one commit), or for cancellation.
    async fn await_progress(&mut self) -> Result<(), Stop> {
        if self.tasks.is_empty() {
            if self.in_flight.iter().any(|f| *f) {
                // An attempt task ended without a report: the runtime dropped it
                // (shutting down) or it was aborted. Its outcome is unknown, so the
                // run is left to its lease: whoever claims it next runs the step again
                // as a new attempt. Looping on here would spin without ever yielding.
                return Err(Stop::Abandoned);
            }
            return Ok(());
        }
        tokio::select! {
            joined = self.tasks.join_next() => {
                if let Some(joined) = joined {
                    self.absorb(joined);
                }
            }
            _ = self.cancel.cancelled(), if !self.cancelled => {
                self.cancelled = true;
                self.settle_cancelled_steps().await;
                return Ok(());
            }
        }
        while let Some(joined) = self.tasks.try_join_next() {
            self.absorb(joined);
        }
        Ok(())
    }

    /// After cancellation, steps get a short grace to notice their token, then are
    /// aborted.
    async fn settle_cancelled_steps(&mut self) {
        let grace = Duration::from_secs(2);
        let deadline = tokio::time::Instant::now() + grace;
        while !self.tasks.is_empty() {
            match tokio::time::timeout_at(deadline, self.tasks.join_next()).await {
                Ok(Some(joined)) => self.absorb(joined),
                Ok(None) => break,
                Err(_) => {
                    self.tasks.abort_all();
                    while let Some(joined) = self.tasks.join_next().await {
                        if let Ok(report) = joined {
                            self.apply(report);
                        }
                    }
                    for f in self.in_flight.iter_mut() {
                        *f = false;
                    }
                }
            }
        }
    }

    fn absorb(&mut self, joined: Result<AttemptReport, tokio::task::JoinError>) {
        // Handlers run inside catch_unwind, so a join error means the task was
        // aborted; its step is no longer executing.
        if let Ok(report) = joined {
            self.apply(report);
        }
    }

    async fn idle_until(&mut self, until: DateTime<Utc>) {
        let now = self.inner.clock.now();
        let wait = (until - now).to_std().unwrap_or(Duration::ZERO);
        self.inner.idle.timer_set(self.run.run_id, until);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            // A moved clock or a notice may make something due earlier.
            _ = self.inner.tick.notified() => {}
            _ = self.cancel.cancelled(), if !self.cancelled => { self.cancelled = true; }
            _ = self.inner.shutdown.cancelled() => {}
        }
        self.inner.idle.timer_done(self.run.run_id);
    }

    fn spawn(&mut self, index: usize) {
        let step = &self.def.steps[index];
        let state = &self.steps[index];
        let lost_attempt = super::lost::reconciled_attempt(state);
        let wake = state.wait.as_ref().and_then(|w| {
            let saved = w.get("state").cloned().unwrap_or(Value::Null);
            match w.get("kind").and_then(Value::as_str) {
                Some("timer") => Some(Wake::Timer {
                    at: state.wake_at.unwrap_or_else(|| self.inner.clock.now()),
                    state: saved,
                }),
                Some("event") => Some(match w.get("received") {
                    Some(event) => Wake::Event {
                        event: event.clone(),
                        state: saved,
                    },
                    None => Wake::TimedOut { state: saved },
                }),
                _ => None,
            }
        });
        let deps: HashMap<String, Value> = step
            .deps
            .iter()
            .map(|&d| {
                (
                    self.steps[d].name.clone(),
                    self.steps[d].output.clone().unwrap_or(Value::Null),
                )
            })
            .collect();
        let ctx = StepContext {
            run_id: self.run.run_id,
            tenant: self.run.tenant_id.clone(),
            workflow: Arc::from(self.run.workflow.as_str()),
            step: Arc::from(step.name.as_str()),
            attempt: state.attempts.max(1) as u32,
            input: Arc::new(self.run.input.0.clone()),
            options: self.options.step_options(&step.name),
            deps: Arc::new(deps),
            correlation_id: self.run.correlation_id.clone(),
            idempotency_key: format!("{}:{}", self.run.run_id, step.name),
            cancel: self.cancel.child_token(),
            wake,
            lost_attempt,
            lease: self.watch.clone(),
            recording: Arc::default(),
            clock: self.inner.clock.clone(),
            engine: super::Engine {
                inner: self.inner.clone(),
            },
        };
        let timeout = step
            .policy
            .timeout
            .unwrap_or(self.inner.settings.attempt_timeout);
        let handler = step.handler.clone();
        let span = super::attempt_span::start(
            self.inner.tracer.as_ref(),
            self.run.trace_parent.as_deref(),
            &self.run.run_id.to_string(),
            &self.run.workflow,
            &step.name,
            ctx.attempt,
        );
        // Every write the attempt makes is fenced by the run's lease, like the
        // executor's own commits: a holder that lost the run writes nothing.
        let lease = self.lease.clone();
        let recording = ctx.recording.clone();
        self.in_flight[index] = true;
        self.tasks.spawn(async move {
            let started = Instant::now();
            // The attempt's span is the active context while it runs, so the
            // provider calls it makes carry it.
            let work =
                crate::store::fence::scope(lease, handler.run(ctx)).with_context(span.clone());
            let attempt = std::panic::AssertUnwindSafe(work).catch_unwind();
            tokio::pin!(attempt);
            let mut deadline = tokio::time::Instant::now() + timeout;
            let result = loop {
                match tokio::time::timeout_at(deadline, &mut attempt).await {
                    Ok(Ok(result)) => break result,
                    Ok(Err(_panic)) => {
                        break Err(StepError::permanent("the step's code panicked"));
                    }
                    // A step recording what its side effect did (the database being
                    // unreachable) is not cut: cutting it would repeat the side
                    // effect. The recording itself ends when the lease would lapse.
                    Err(_) if recording.load(std::sync::atomic::Ordering::Relaxed) => {
                        deadline += Duration::from_millis(200);
                    }
                    Err(_) => {
                        break Err(StepError::retryable(format!(
                            "attempt timed out after {}",
                            humantime::format_duration(timeout)
                        ))
                        .with_details(json!({"timeout": true})));
                    }
                }
            };
            super::attempt_span::end(&span, &result);
            AttemptReport {
                index,
                result,
                elapsed: started.elapsed(),
            }
        });
    }

    /// Folds an attempt's result into the step's state.
    fn apply(&mut self, report: AttemptReport) {
        let i = report.index;
        self.in_flight[i] = false;
        self.dirty.insert(i);
        let now = self.inner.clock.now();
        let elapsed_ms = report.elapsed.as_millis() as i64;
        let policy = &self.def.steps[i].policy;
        let retry = policy
            .retry
            .clone()
            .unwrap_or_else(|| self.inner.default_retry.clone());
        let workflow_source = format!("workflow:{}", self.run.workflow);
        let s = &mut self.steps[i];
        // A reconciliation of a lost last attempt settles the step for good: it is
        // neither retried nor deferred.
        let reconciled = super::lost::reconciling(s);
        if reconciled {
            s.wait = None;
        }
        s.duration_ms = Some(s.duration_ms.unwrap_or(0) + elapsed_ms);
        let metrics = &self.inner.metrics;
        metrics.observe(
            "careflow_step_duration_seconds",
            "Execution time of step attempts.",
            &[("workflow", &self.run.workflow), ("step", &s.name)],
            report.elapsed.as_secs_f64(),
        );
        match report.result {
            Ok(StepOutcome::Done(out)) => {
                s.status = StepStatus::Completed;
                s.finished_at = Some(now);
                s.output = Some(out.output);
                s.messages = out.messages.to_value();
                s.error = None;
                s.wake_at = None;
                s.wait = None;
                if !reconciled {
                    attempts::ended(s, now, AttemptOutcome::Completed, None);
                }
                let data =
                    json!({"step": s.name, "attempt": s.attempts, "durationMs": s.duration_ms});
                self.events
                    .push(self.labels.engine("step.completed", now, data));
                for e in out.events {
                    let ev = self
                        .labels
                        .event(&e.event_type, &workflow_source, now, e.data);
                    self.events.push(ev);
                }
            }
            Ok(StepOutcome::SleepUntil { until, state }) => {
                s.status = StepStatus::Sleeping;
                s.wake_at = Some(until);
                s.wait = Some(json!({"kind": "timer", "at": until, "state": state}));
                let data = json!({"step": s.name, "until": until});
                self.events
                    .push(self.labels.engine("step.sleeping", now, data));
            }
            Ok(StepOutcome::WaitForEvent {
                event,
                matching,
                timeout,
                state,
            }) => {
                let until = now + chrono::Duration::from_std(timeout).unwrap_or_default();
                s.status = StepStatus::Sleeping;
                s.wake_at = Some(until);
                s.wait = Some(json!({
                    "kind": "event",
                    "event": event,
                    "match": matching,
                    "since": now,
                    "state": state,
                }));
                let data = json!({"step": s.name, "event": event, "timeoutAt": until});
                self.events
                    .push(self.labels.engine("step.waiting", now, data));
            }
            Err(e) => {
                let timed_out = e.details.get("timeout").is_some();
                if timed_out {
                    metrics.count(
                        "careflow_step_timeouts_total",
                        "Step attempts that hit their deadline.",
                        &[("workflow", &self.run.workflow), ("step", &s.name)],
                        1.0,
                    );
                }
                let error = json!({
                    "message": e.message,
                    "kind": e.kind,
                    "attempt": s.attempts,
                    "details": e.details,
                });
                s.messages = e.messages.to_value().or(s.messages.take());
                s.error = Some(error.clone());
                let deferred = e.deferred && !self.cancelled && !reconciled;
                if deferred {
                    attempts::given_back(s);
                } else if !reconciled {
                    let outcome = if timed_out {
                        AttemptOutcome::TimedOut
                    } else if self.cancelled {
                        AttemptOutcome::Cancelled
                    } else {
                        AttemptOutcome::Failed
                    };
                    attempts::ended(s, now, outcome, Some(error.clone()));
                }
                let attempts = s.attempts.max(1) as u32;
                if deferred {
                    // Nothing was attempted: the attempt is given back.
                    s.attempts -= 1;
                    let delay = e.retry_after.unwrap_or(Duration::from_secs(1));
                    let at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                    s.status = StepStatus::Pending;
                    s.wake_at = Some(at);
                    let data = json!({"step": s.name, "reason": e.message, "retryAt": at});
                    self.events
                        .push(self.labels.engine("step.deferred", now, data));
                } else if e.is_retryable()
                    && attempts < retry.max_attempts
                    && !self.cancelled
                    && !reconciled
                {
                    let delay = retry
                        .backoff(attempts)
                        .max(e.retry_after.unwrap_or_default());
                    let at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                    s.status = StepStatus::Pending;
                    s.wake_at = Some(at);
                    metrics.count(
                        "careflow_step_retries_total",
                        "Step attempts that failed and will be retried.",
                        &[("workflow", &self.run.workflow), ("step", &s.name)],
                        1.0,
                    );
                    let data =
                        json!({"step": s.name, "attempt": attempts, "error": error, "retryAt": at});
                    self.events
                        .push(self.labels.engine("step.retrying", now, data));
                } else {
                    s.status = StepStatus::Failed;
                    s.finished_at = Some(now);
                    s.wake_at = None;
                    let data = json!({"step": s.name, "attempt": attempts, "error": error});
                    self.events
                        .push(self.labels.engine("step.failed", now, data));
                }
            }
        }
    }

    /// Events for transitions the planner made (starts and skips).
    fn record_transition(&mut self, i: usize, now: DateTime<Utc>) {
        let s = &self.steps[i];
        let event = match s.status {
            StepStatus::Running => Some((
                "step.started",
                json!({"step": s.name, "attempt": s.attempts}),
            )),
            StepStatus::Skipped => Some((
                "step.skipped",
                json!({"step": s.name, "reason": s.skip_reason}),
            )),
            // Only a lost last attempt fails in planning.
            StepStatus::Failed => Some((
                "step.failed",
                json!({"step": s.name, "attempt": s.attempts, "error": s.error}),
            )),
            _ => None,
        };
        if let Some((t, data)) = event {
            self.events.push(self.labels.engine(t, now, data));
        }
    }

    /// The lease end to write: the one already held while more than half of it
    /// remains, else a fresh one. Writing the same value keeps the run row's indexed
    /// columns unchanged, so PostgreSQL can update it in place (a heap-only update)
    /// instead of adding index entries at every step; the heartbeat renews leases
    /// too.
    fn lease_until(&mut self, now: DateTime<Utc>) -> DateTime<Utc> {
        let ttl = chrono::Duration::from_std(self.inner.settings.lease_ttl).unwrap_or_default();
        match self.run.lease_expires_at {
            Some(held) if held - now > ttl / 2 => held,
            _ => {
                let fresh = now + ttl;
                self.run.lease_expires_at = Some(fresh);
                fresh
            }
        }
    }

    /// Commits pending changes while keeping the run (and renewing its lease).
    async fn commit_running(&mut self, now: DateTime<Utc>) -> Result<(), Stop> {
        if self.dirty.is_empty() && self.events.is_empty() {
            return Ok(());
        }
        let until = self.lease_until(now);
        let update = RunUpdate {
            status: RunStatus::Running,
            ready_at: Some(until),
            lease_until: Some(until),
            finished_at: None,
            error: None,
        };
        self.commit(update, Vec::new()).await
    }

    async fn park(
        &mut self,
        status: RunStatus,
        ready_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Stop {
        self.events.push(self.labels.engine(
            &format!("run.{status}"),
            now,
            json!({"wakesAt": ready_at}),
        ));
        let update = RunUpdate {
            status,
            ready_at,
            lease_until: None,
            finished_at: None,
            error: None,
        };
        match self.commit(update, Vec::new()).await {
            Ok(()) => {
                self.run.status = status;
                self.run.ready_at = ready_at;
                Stop::Done
            }
            Err(stop) => stop,
        }
    }

    /// Parks a paused run, due at once: the stored pause keeps it unclaimed, and
    /// once resumed the next claim re-parks whatever timer or wait is not due yet.
    async fn hold(&mut self, status: RunStatus, now: DateTime<Utc>) -> Stop {
        self.events
            .push(self.labels.engine("run.paused", now, json!({})));
        let update = RunUpdate {
            status,
            ready_at: Some(now),
            lease_until: None,
            finished_at: None,
            error: None,
        };
        match self.commit(update, Vec::new()).await {
            Ok(()) => {
                self.run.status = status;
                self.run.ready_at = Some(now);
                Stop::Done
            }
            Err(stop) => stop,
        }
    }

    async fn finish(
        &mut self,
        status: RunStatus,
        error: Option<Value>,
        now: DateTime<Utc>,
    ) -> Stop {
        let duration_ms = self.run.started_at.map(|s| (now - s).num_milliseconds());
        self.events.push(self.labels.engine(
            &format!("run.{status}"),
            now,
            json!({"durationMs": duration_ms, "error": error}),
        ));
        let update = RunUpdate {
            status,
            ready_at: None,
            lease_until: None,
            finished_at: Some(now),
            error: error.clone(),
        };
        let notice = Notice::RunFinished {
            tenant: self.run.tenant_id.to_string(),
            run: self.run.run_id.0,
        };
        if let Err(stop) = self.commit(update, vec![notice]).await {
            return stop;
        }
        self.run.status = status;
        self.run.finished_at = Some(now);
        self.run.error = error.map(sqlx::types::Json);
        self.run.ready_at = None;
        self.inner.metrics.count(
            "careflow_runs_total",
            "Runs that reached a final state.",
            &[
                ("workflow", &self.run.workflow),
                ("status", status.as_str()),
            ],
            1.0,
        );
        let view = Arc::new(RunView::new(&self.run, &self.steps));
        self.inner.waiters.wake(self.run.run_id, Some(view));
        Stop::Done
    }

    /// One fenced write of the run's state, the changed steps and the new events.
    /// While the database is unreachable the write is retried for as long as the
    /// lease holds (no other replica can take the run meanwhile, so a blip repeats
    /// no step); a lost lease, a lapsed one or a write no retry mends is final.
    async fn commit(&mut self, update: RunUpdate, notices: Vec<Notice>) -> Result<(), Stop> {
        let mut steps: Vec<StepWrite> = self.dirty.iter().map(|&i| self.steps[i].clone()).collect();
        // Outputs, errors and events may carry what a provider answered: made
        // storable here, whatever the step did, so no answer wedges the run.
        steps.iter_mut().for_each(storable_step);
        for e in &mut self.events {
            crate::storable::json(&mut e.data);
        }
        let mut update = update;
        if let Some(error) = update.error.as_mut() {
            crate::storable::json(error);
        }
        let store = &self.inner.store;
        let (lease, events) = (&self.lease, &self.events);
        let result = self
            .watch
            .retry("committing a run's progress", || {
                store.commit_progress(lease, &update, &steps, events, &notices)
            })
            .await;
        match result {
            Ok(outcome) => {
                // The marks are in the history now; the next commit carries new ones.
                let owner = self.lease.owner.clone();
                for &i in &self.dirty {
                    self.steps[i].settle_attempts(&owner);
                }
                self.dirty.clear();
                self.events.clear();
                if let Some(until) = update.lease_until {
                    self.watch.extend(until);
                }
                if outcome.pause_requested {
                    self.inner.pause_local(self.run.run_id, true);
                }
                if outcome.cancel_requested && !self.cancelled {
                    self.cancel.cancel();
                }
                Ok(())
            }
            Err(StoreError::LeaseLost) => Err(Stop::Abandoned),
            Err(e) => {
                tracing::error!(run.id = %self.run.run_id, error = %e, "committing the run's progress failed for good; leaving the run to its lease");
                Err(Stop::Abandoned)
            }
        }
    }
}

/// A step's state with every value made storable (no NUL anywhere).
fn storable_step(s: &mut StepWrite) {
    let latest_error = s.attempt.as_mut().and_then(|a| a.error.as_mut());
    for value in [&mut s.output, &mut s.error, &mut s.messages, &mut s.wait]
        .into_iter()
        .flatten()
        .chain(latest_error)
    {
        crate::storable::json(value);
    }
    for mark in &mut s.attempt_marks {
        if let AttemptMark::Ended {
            error: Some(error), ..
        } = mark
        {
            crate::storable::json(error);
        }
    }
    if let Some(reason) = s.skip_reason.take() {
        s.skip_reason = Some(crate::storable::string(reason));
    }
}
