//! Runs, their steps and their events, as the engine stores them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::{
    AttemptMark, CurrentAttempt, NewServiceCall, Notice, RunId, RunStatus, ServiceCallRow,
    StepStatus, StoreResult, TenantId,
};

/// A stored run.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    /// Owner of the run.
    pub tenant_id: TenantId,
    /// The run's id.
    pub run_id: RunId,
    /// Workflow name.
    pub workflow: String,
    /// Workflow version the run was started with.
    pub workflow_version: i32,
    /// Current status.
    #[sqlx(try_from = "String")]
    pub status: RunStatus,
    /// The validated input.
    pub input: Json<Value>,
    /// The run options (steps, parallel, stopOnError, ...).
    pub options: Json<Value>,
    /// Idempotency key given at submission.
    pub idempotency_key: Option<String>,
    /// Correlation id for events.
    pub correlation_id: Option<String>,
    /// Why the run failed, if it did.
    pub error: Option<Json<Value>>,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// First claim time.
    pub started_at: Option<DateTime<Utc>>,
    /// Final state time.
    pub finished_at: Option<DateTime<Utc>>,
    /// When a replica should next look at it.
    pub ready_at: Option<DateTime<Utc>>,
    /// Replica holding it.
    pub lease_owner: Option<String>,
    /// Incremented at every claim; fences stale holders.
    pub lease_epoch: i64,
    /// End of the current lease.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Someone asked for cancellation while it ran.
    pub cancel_requested: bool,
    /// Someone asked to pause it: it is not claimed until resumed.
    pub pause_requested: bool,
    /// W3C `traceparent` of the span it was submitted under, so its attempts join
    /// that trace; `None` when span export was off. Queries that do not read the
    /// column leave it `None`.
    #[sqlx(default)]
    pub trace_parent: Option<String>,
    /// Claims take higher priorities first (1-9).
    pub priority: i16,
}

/// A stored step of a run.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StepRow {
    /// Step name.
    pub step_name: String,
    /// Position in the definition.
    pub position: i32,
    /// Status.
    #[sqlx(try_from = "String")]
    pub status: StepStatus,
    /// Attempts started so far.
    pub attempts: i32,
    /// Start of the latest attempt.
    pub started_at: Option<DateTime<Utc>>,
    /// End of the step.
    pub finished_at: Option<DateTime<Utc>>,
    /// Execution time of the step, in milliseconds.
    pub duration_ms: Option<i64>,
    /// Output of a completed step.
    pub output: Option<Json<Value>>,
    /// Error of a failed attempt or step.
    pub error: Option<Json<Value>>,
    /// Validation messages: `{errors, warnings, infos}`.
    pub messages: Option<Json<Value>>,
    /// Why it was skipped.
    pub skip_reason: Option<String>,
    /// When a sleeping step wakes (timer or wait timeout).
    pub wake_at: Option<DateTime<Utc>>,
    /// What a waiting step waits for, and what woke it.
    pub wait: Option<Json<Value>>,
    /// Its latest attempt (migration 0144); older ones are in `step_attempts`.
    pub attempt: Option<Json<CurrentAttempt>>,
}

/// The full new state of one step, written as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct StepWrite {
    /// Step name.
    pub name: String,
    /// Position in the definition.
    pub position: i32,
    /// Status.
    pub status: StepStatus,
    /// Attempts started so far.
    pub attempts: i32,
    /// Start of the latest attempt.
    pub started_at: Option<DateTime<Utc>>,
    /// End of the step.
    pub finished_at: Option<DateTime<Utc>>,
    /// Execution time in milliseconds.
    pub duration_ms: Option<i64>,
    /// Output.
    pub output: Option<Value>,
    /// Error.
    pub error: Option<Value>,
    /// Validation messages.
    pub messages: Option<Value>,
    /// Skip reason.
    pub skip_reason: Option<String>,
    /// Wake time of a parked step.
    pub wake_at: Option<DateTime<Utc>>,
    /// Wait description.
    pub wait: Option<Value>,
    /// Its latest attempt as last committed; the commit replaces it with what
    /// [`replay`](super::attempts::replay) of the marks gives.
    pub attempt: Option<CurrentAttempt>,
    /// What happened to the step's attempts since the last commit; written to the
    /// attempt history by the commit that carries them.
    pub attempt_marks: Vec<AttemptMark>,
}

impl StepWrite {
    /// A step that has not started.
    pub fn pending(name: &str, position: i32) -> Self {
        Self {
            name: name.to_string(),
            position,
            status: StepStatus::Pending,
            attempts: 0,
            started_at: None,
            finished_at: None,
            duration_ms: None,
            output: None,
            error: None,
            messages: None,
            skip_reason: None,
            wake_at: None,
            wait: None,
            attempt: None,
            attempt_marks: Vec::new(),
        }
    }

    /// The write that reproduces a stored row.
    pub fn from_row(row: &StepRow) -> Self {
        Self {
            name: row.step_name.clone(),
            position: row.position,
            status: row.status,
            attempts: row.attempts,
            started_at: row.started_at,
            finished_at: row.finished_at,
            duration_ms: row.duration_ms,
            output: row.output.as_ref().map(|j| j.0.clone()),
            error: row.error.as_ref().map(|j| j.0.clone()),
            messages: row.messages.as_ref().map(|j| j.0.clone()),
            skip_reason: row.skip_reason.clone(),
            wake_at: row.wake_at,
            wait: row.wait.as_ref().map(|j| j.0.clone()),
            attempt: row.attempt.as_ref().map(|j| j.0.clone()),
            attempt_marks: Vec::new(),
        }
    }

    /// The step's latest attempt once its marks are committed by `replica`.
    pub fn attempt_after_marks(&self, replica: &str) -> Option<CurrentAttempt> {
        super::attempts::replay(self, replica).current
    }

    /// Takes in a commit by `replica` that carried this step: its latest attempt is
    /// what the marks made it, and the marks are spent.
    pub fn settle_attempts(&mut self, replica: &str) {
        self.attempt = self.attempt_after_marks(replica);
        self.attempt_marks.clear();
    }
}

/// An event to append in the same transaction as the change it reports.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Unique id.
    pub event_id: Uuid,
    /// e.g. `run.completed`, `step.failed`, `PA_FORM_READY`.
    pub event_type: String,
    /// Correlates events of one business transaction.
    pub correlation_id: Option<String>,
    /// The run it concerns.
    pub run_id: Option<RunId>,
    /// The workflow of that run.
    pub workflow: Option<String>,
    /// Who produced it (`engine`, `workflow:discharge`, ...).
    pub source: String,
    /// Payload.
    pub data: Value,
    /// When it happened.
    pub created_at: DateTime<Utc>,
}

/// A stored event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    /// Position in commit order (the id clients resume from).
    pub position: i64,
    /// Owner.
    pub tenant_id: TenantId,
    /// Unique id.
    pub event_id: Uuid,
    /// Type.
    pub event_type: String,
    /// Correlation id.
    pub correlation_id: Option<String>,
    /// Run.
    pub run_id: Option<RunId>,
    /// Workflow.
    pub workflow: Option<String>,
    /// Producer.
    pub source: String,
    /// Payload.
    pub data: Json<Value>,
    /// Time.
    pub created_at: DateTime<Utc>,
}

/// A run to insert, with its steps and first events, in one transaction.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Owner.
    pub tenant_id: TenantId,
    /// Id.
    pub run_id: RunId,
    /// Workflow name.
    pub workflow: String,
    /// Workflow version.
    pub workflow_version: i32,
    /// `queued`, or `running` when the submitting replica executes it at once.
    pub status: RunStatus,
    /// Input.
    pub input: Value,
    /// Options.
    pub options: Value,
    /// Idempotency key.
    pub idempotency_key: Option<String>,
    /// Fingerprint of the request that gave the key, when a client gave it.
    pub request_hash: Option<String>,
    /// Correlation id.
    pub correlation_id: Option<String>,
    /// W3C `traceparent` of the span submitting it, if any.
    pub trace_parent: Option<String>,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// When it may be claimed (queued) or its lease ends (running).
    pub ready_at: Option<DateTime<Utc>>,
    /// The submitting replica's lease, when it executes the run itself.
    pub lease: Option<(String, DateTime<Utc>)>,
    /// At most this many runs with this key execute at once (key, limit).
    pub concurrency: Option<(String, i32)>,
    /// Claims take higher priorities first (1-9).
    pub priority: i16,
    /// Every step of the definition; the store writes those [`NewRun::stored_steps`]
    /// gives.
    pub steps: Vec<StepWrite>,
    /// Events to append.
    pub events: Vec<NewEvent>,
    /// The queue's bounds, for a run that enters the queue due now: it is counted
    /// and inserted atomically, and refused when either bound would be passed.
    /// `None` for work admitted earlier (the runs an accepted event starts).
    pub queue_bound: Option<QueueBound>,
    /// A service call recorded in the same transaction as the run that performs
    /// it, so a refused run leaves no call behind.
    pub service_call: Option<AttachedServiceCall>,
}

impl NewRun {
    /// The steps the submission writes: those not pending (started, skipped, or
    /// copied from an earlier run). A pending step gets its row from the first commit
    /// that writes it ([`RunStore::commit_progress`] inserts a step it does not
    /// find), which is one insert where a row written at submission costs an insert
    /// and an update; readers show a step without a row as pending.
    pub fn stored_steps(&self) -> impl Iterator<Item = &StepWrite> {
        self.steps
            .iter()
            .filter(|s| s.status != StepStatus::Pending)
    }

    /// True when the run enters the queue due at once: the runs that count as
    /// queued. A run due later (a deferred start) or executing at once does not.
    pub fn queued_now(&self) -> bool {
        self.status == RunStatus::Queued && self.ready_at.is_none_or(|t| t <= self.created_at)
    }

    /// The bound that applies to this run, when it counts as queued.
    pub fn bound_now(&self) -> Option<QueueBound> {
        self.queue_bound.filter(|_| self.queued_now())
    }
}

/// How many due, unclaimed runs the queue may hold: across every tenant, and for
/// one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueBound {
    /// All tenants together.
    pub max_queued: i64,
    /// One tenant.
    pub max_queued_per_tenant: i64,
}

impl QueueBound {
    /// Which bound, if any, a queue holding `all` runs, `tenant` of them the
    /// submitting tenant's (the new run included), passes.
    pub fn passed(&self, all: i64, tenant: i64) -> Option<QueueFull> {
        if tenant > self.max_queued_per_tenant {
            Some(QueueFull::Tenant)
        } else if all > self.max_queued {
            Some(QueueFull::Shared)
        } else {
            None
        }
    }
}

/// Which queue bound refused a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueFull {
    /// The queue shared by every tenant is full.
    Shared,
    /// The submitting tenant's share is full.
    Tenant,
}

impl QueueFull {
    /// The bound's name in metrics: `shared` or `tenant`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Shared => "shared",
            Self::Tenant => "tenant",
        }
    }
}

/// A service call to record with its run.
#[derive(Debug, Clone)]
pub struct AttachedServiceCall {
    /// The call, `Submitted`.
    pub call: NewServiceCall,
    /// Its `ServiceCallSubmitted` event.
    pub event: NewEvent,
}

/// What inserting a run did.
#[derive(Debug, Clone)]
pub enum InsertRun {
    /// The run was stored.
    Created,
    /// A run with the same idempotency key exists: this one, with the fingerprint
    /// of the request that created it (if one was stored).
    Duplicate(Box<RunRow>, Option<String>),
    /// A queue bound refused the run; nothing was written.
    Refused(QueueFull),
    /// The run was to start at once (it came with a lease) but its workflow is
    /// paused; nothing was written. Submit it queued instead.
    Paused,
    /// The attached service call's idempotency key names an earlier call: that
    /// one. Nothing was written.
    ServiceCallExists(Box<ServiceCallRow>),
}

/// A lease holder's identity, which fences its writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRef {
    /// Owner of the run.
    pub tenant_id: TenantId,
    /// The run.
    pub run_id: RunId,
    /// The holding replica.
    pub owner: String,
    /// The claim's epoch.
    pub epoch: i64,
}

/// The run's new state after a step of progress.
#[derive(Debug, Clone, PartialEq)]
pub struct RunUpdate {
    /// New status.
    pub status: RunStatus,
    /// Next time a replica should look (lease end while running, timer when parked).
    pub ready_at: Option<DateTime<Utc>>,
    /// Keep the lease until this time; `None` releases it (parked or final runs).
    pub lease_until: Option<DateTime<Utc>>,
    /// Final time, when final.
    pub finished_at: Option<DateTime<Utc>>,
    /// Error, when failed.
    pub error: Option<Value>,
}

/// What a fenced commit learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitOutcome {
    /// Cancellation was requested while the run was held.
    pub cancel_requested: bool,
    /// A pause was requested while the run was held.
    pub pause_requested: bool,
}

/// The status a run is listed under, in SQL both backends run: a queued or parked
/// run with a pause requested is held, so it is shown (and filtered) as `paused`.
pub(crate) const LISTED_STATUS: &str = "case when pause_requested and status in \
     ('queued', 'sleeping', 'waiting') then 'paused' else status end";

/// Listing filter for runs, newest first.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this workflow.
    pub workflow: Option<String>,
    /// Only this status.
    pub status: Option<RunStatus>,
    /// Only these statuses (empty: any).
    pub statuses: Vec<RunStatus>,
    /// Only runs older than this one (the cursor).
    pub before: Option<RunId>,
    /// Only runs with this correlation id.
    pub correlation_id: Option<String>,
    /// Only runs submitted at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Only runs submitted before this time.
    pub created_until: Option<DateTime<Utc>>,
    /// Only runs of this priority.
    pub priority: Option<i16>,
    /// Page size.
    pub limit: i64,
}

/// Storage of the engine's runs.
#[async_trait]
pub trait RunStore {
    /// Inserts a run with its steps (those [`NewRun::stored_steps`] gives) and
    /// events; a run with the same tenant, workflow and idempotency key is returned
    /// instead of inserting a second one.
    async fn insert_run(&self, run: &NewRun) -> StoreResult<InsertRun>;

    /// Claims up to `limit` runs that are due: queued, parked with a due timer, or
    /// running under an expired lease. Each claim increments the lease epoch.
    async fn claim_runs(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<RunRow>>;

    /// Writes a run's progress (its new state, touched steps, events, notices) in
    /// one transaction, fenced by the lease. A step without a row yet (pending until
    /// now) is inserted. `LeaseLost` when the fence fails.
    async fn commit_progress(
        &self,
        lease: &LeaseRef,
        run: &RunUpdate,
        steps: &[StepWrite],
        events: &[NewEvent],
        notices: &[Notice],
    ) -> StoreResult<CommitOutcome>;

    /// Extends every lease `owner` holds; returns how many.
    async fn renew_leases(&self, owner: &str, lease_until: DateTime<Utc>) -> StoreResult<u64>;

    /// Gives up every lease `owner` holds, making those runs claimable at `now`.
    async fn release_leases(&self, owner: &str, now: DateTime<Utc>) -> StoreResult<u64>;

    /// One run of a tenant.
    async fn get_run(&self, tenant: &TenantId, run: RunId) -> StoreResult<Option<RunRow>>;

    /// The steps of a run, in definition order.
    async fn get_steps(&self, tenant: &TenantId, run: RunId) -> StoreResult<Vec<StepRow>>;

    /// A tenant's runs, newest first.
    async fn list_runs(&self, tenant: &TenantId, filter: &RunFilter) -> StoreResult<Vec<RunRow>>;

    /// How many of a tenant's runs are in each unfinished status (queued, running,
    /// sleeping, waiting); statuses without runs are left out.
    async fn active_run_counts(&self, tenant: &TenantId) -> StoreResult<Vec<(RunStatus, i64)>>;

    /// Runs queued and due at `now` (all tenants, and `tenant`'s): the figures the
    /// queue's bounds apply to. Runs due later are parked, not queued.
    async fn count_queued(&self, tenant: &TenantId, now: DateTime<Utc>) -> StoreResult<(i64, i64)>;

    /// Queued runs (all tenants) and the submission time of the oldest, for metrics.
    async fn queue_stats(&self) -> StoreResult<(i64, Option<DateTime<Utc>>)>;

    /// Runs (all tenants) a claim at `now` would look at: queued and due, parked
    /// with a due timer, or running under an expired lease. Concurrency limits
    /// are not applied.
    async fn due_runs(&self, now: DateTime<Utc>) -> StoreResult<i64>;

    /// Cancels a run that no replica holds (queued, sleeping, waiting) at once, or
    /// flags a running one for its holder. Returns the run's status afterwards.
    async fn request_cancel(
        &self,
        tenant: &TenantId,
        run: RunId,
        now: DateTime<Utc>,
        events: &[NewEvent],
    ) -> StoreResult<Option<RunStatus>>;

    /// Re-queues a failed or cancelled run: its failed, skipped and unfinished steps
    /// become pending again, completed ones are kept. Returns false when the run is
    /// not in a retryable state.
    async fn requeue_run(
        &self,
        tenant: &TenantId,
        run: RunId,
        now: DateTime<Utc>,
        events: &[NewEvent],
    ) -> StoreResult<bool>;
}
