//! Retention and erasure: deleting finished runs with everything that hangs off
//! them (by the retention pruner, `DELETE /v1/runs/{id}` and purges), a patient's
//! care records, and the record of purges.
//!
//! What a run's erasure removes is the same whoever asks: its steps (with their
//! outputs and attempt counts), its events, and the domain records that are only
//! that run's record: the discharge case it took in (with its summaries, emails and
//! calls), the prior-authorization forms it made and the service call it carried
//! out. Records that outlive a run (care tasks, notifications, outreach, schedules)
//! are left to a purge by patient, or kept. An unfinished run is never erased, nor
//! one whose records another unfinished run still works on (a discharge email's
//! delivery run, a call's placement run).
//!
//! The statements common to both backends are written once here and stamped into
//! each by [`erase_run_rows`]; selecting runs differs (locking, JSON paths).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

use super::{RunId, RunStatus, StoreResult, TenantId};

/// How many records of each kind were erased, by kind (`runs`, `steps`, `events`,
/// `dischargeCases`, `tasks`, ...). Kinds with none are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Erased(pub BTreeMap<String, u64>);

impl Erased {
    /// Adds `n` records of `kind`.
    pub fn add(&mut self, kind: &str, n: u64) {
        if n > 0 {
            *self.0.entry(kind.to_owned()).or_default() += n;
        }
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Erased) {
        for (kind, n) in &other.0 {
            self.add(kind, *n);
        }
    }

    /// How many of `kind`.
    pub fn get(&self, kind: &str) -> u64 {
        self.0.get(kind).copied().unwrap_or(0)
    }
}

/// Why a run was not erased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The run is still queued, running, sleeping or waiting.
    Unfinished(RunStatus),
    /// The run is finished, but another run, not finished, still works on its
    /// records (a scheduled email's delivery, a call's placement).
    InUse(RunId),
}

/// The answer to erasing one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EraseRun {
    /// Erased, and the erasure recorded (with what went with the run).
    Erased(PurgeRow),
    /// Left as it was.
    Refused(Refusal),
}

/// What a purge selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurgeSelector {
    /// Runs with this correlation id, and events carrying it.
    CorrelationId(String),
    /// Everything about this patient: runs whose trigger event or step output names
    /// it as `patientId`, events naming it, and the care records (tasks,
    /// notifications, outreach plans and attempts, interactions, reply candidates).
    PatientReference(String),
}

/// A run a purge selected but could not erase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRun {
    /// The run.
    pub run_id: RunId,
    /// Why.
    pub refusal: Refusal,
}

/// The answer to a purge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurgeOutcome {
    /// Everything selected was erased and the purge recorded.
    Done(PurgeRow),
    /// Some selected runs are not finished (or their records are in use): nothing
    /// was erased or recorded.
    Refused(Vec<RefusedRun>),
}

/// Who asked for a purge and how it is to be recorded.
#[derive(Debug, Clone)]
pub struct NewPurge {
    /// The tenant of the credential.
    pub tenant_id: TenantId,
    /// The purge's id.
    pub purge_id: uuid::Uuid,
    /// When it was asked.
    pub at: DateTime<Utc>,
    /// `apikey:<key id>` or the JWT's subject.
    pub credential: String,
    /// `apiKey` or `jwt`.
    pub credential_kind: String,
    /// `run`, `correlationId` or `patientReference`.
    pub selector_kind: String,
    /// A hash of the selected value, never the value.
    pub selector_hash: String,
}

/// A recorded purge.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PurgeRow {
    /// The tenant of the credential.
    pub tenant_id: TenantId,
    /// The purge's id.
    pub purge_id: uuid::Uuid,
    /// When it was done.
    pub created_at: DateTime<Utc>,
    /// `apikey:<key id>` or the JWT's subject.
    pub credential: String,
    /// `apiKey` or `jwt`.
    pub credential_kind: String,
    /// `run`, `correlationId` or `patientReference`.
    pub selector_kind: String,
    /// A hash of the selected value.
    pub selector_hash: String,
    /// What was erased, by kind.
    pub erased: Json<Value>,
}

/// Which tenants a retention pass covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PruneScope {
    /// One tenant with a retention of its own.
    Tenant(TenantId),
    /// Every tenant except these (which have their own).
    AllExcept(Vec<TenantId>),
}

/// Where a retention pass has got to: the last run it looked at, oldest first.
/// Runs it had to leave (their records in use) are behind the cursor, so a pass
/// always moves on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneCursor {
    /// When the last run looked at finished.
    pub finished_at: DateTime<Utc>,
    /// Its id.
    pub run_id: RunId,
}

/// One batch of a retention pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneBatch {
    /// Runs looked at.
    pub examined: u64,
    /// What was erased.
    pub erased: Erased,
    /// Where the next batch starts; `None` when the batch was the last.
    pub next: Option<PruneCursor>,
}

/// Storage of retention and erasure.
#[async_trait]
pub trait RetentionStore {
    /// Erases one run of the record's tenant and what hangs off it, and records the
    /// erasure, in one transaction. `None` when the tenant has no such run.
    async fn erase_run(&self, run: RunId, record: &NewPurge) -> StoreResult<Option<EraseRun>>;

    /// Erases up to `batch` finished runs of `scope` that finished before `before`,
    /// after `cursor`, oldest first, in one transaction. Replicas doing the same at
    /// once take different runs (PostgreSQL skips runs another holds).
    async fn prune_runs(
        &self,
        scope: &PruneScope,
        before: DateTime<Utc>,
        cursor: Option<PruneCursor>,
        batch: i64,
    ) -> StoreResult<PruneBatch>;

    /// Erases everything `selector` selects and records the purge, in one
    /// transaction; or, when a selected run is not finished, nothing.
    async fn purge(&self, selector: &PurgeSelector, record: &NewPurge)
    -> StoreResult<PurgeOutcome>;

    /// A tenant's purges, newest first, before `before` (a purge id) when given.
    async fn list_purges(
        &self,
        tenant: &TenantId,
        before: Option<uuid::Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<PurgeRow>>;
}

/// Statuses of a run that is done for good.
pub(crate) const FINISHED: &str = "('completed', 'failed', 'cancelled')";

/// The first unfinished run (with `$1` tenant, `$2` run) working on the records of
/// run `$2`: a discharge email's delivery or a call's placement.
pub(crate) const RECORDS_IN_USE: &str = "select run_id from runs
     where tenant_id = $1 and status in ('queued', 'running', 'sleeping', 'waiting')
       and run_id in (
           select delivery_run_id from discharge_emails
            where tenant_id = $1 and case_id in
                  (select case_id from discharge_cases where tenant_id = $1 and run_id = $2)
           union
           select placement_run_id from discharge_calls
            where tenant_id = $1 and case_id in
                  (select case_id from discharge_cases where tenant_id = $1 and run_id = $2))
     limit 1";

/// The records of run `$2` of tenant `$1`, deleted in this order (children first)
/// before its events; each with the kind it is counted as.
pub(crate) const RUN_RECORDS: &[(&str, &str)] = &[
    (
        "dischargeCalls",
        "delete from discharge_calls where tenant_id = $1 and case_id in
             (select case_id from discharge_cases where tenant_id = $1 and run_id = $2)",
    ),
    (
        "dischargeEmails",
        "delete from discharge_emails where tenant_id = $1 and case_id in
             (select case_id from discharge_cases where tenant_id = $1 and run_id = $2)",
    ),
    (
        "dischargeSummaries",
        "delete from discharge_summaries where tenant_id = $1 and case_id in
             (select case_id from discharge_cases where tenant_id = $1 and run_id = $2)",
    ),
    (
        "dischargeCases",
        "delete from discharge_cases where tenant_id = $1 and run_id = $2",
    ),
    (
        "encounterForms",
        "delete from encounter_forms where tenant_id = $1 and run_id = $2",
    ),
    (
        "encounterRuns",
        "delete from encounter_runs where tenant_id = $1 and run_id = $2",
    ),
    (
        "serviceCalls",
        "delete from service_calls where tenant_id = $1 and run_id = $2",
    ),
];

/// The attempt history of run `$2` of tenant `$1`, deleted before its steps.
pub(crate) const RUN_ATTEMPTS: &str =
    "delete from step_attempts where tenant_id = $1 and run_id = $2";

/// The run `$2` of tenant `$1` itself, after its records and events.
pub(crate) const RUN_ITSELF: &[(&str, &str)] = &[
    (
        "steps",
        "delete from step_runs where tenant_id = $1 and run_id = $2",
    ),
    (
        "runs",
        "delete from runs where tenant_id = $1 and run_id = $2
           and status in ('completed', 'failed', 'cancelled')",
    ),
];

/// A patient's care records (`$1` tenant, `$2` patient id), children first.
pub(crate) const PATIENT_RECORDS: &[(&str, &str)] = &[
    (
        "notifications",
        "delete from notifications where tenant_id = $1 and (
             patient_id = $2
             or task_id in (select task_id from tasks where tenant_id = $1 and patient_id = $2)
             or attempt_id in (
                 select attempt_id from outreach_attempts where tenant_id = $1 and plan_id in
                     (select plan_id from outreach_plans where tenant_id = $1 and patient_id = $2)))",
    ),
    (
        "outreachAttempts",
        "delete from outreach_attempts where tenant_id = $1 and plan_id in
             (select plan_id from outreach_plans where tenant_id = $1 and patient_id = $2)",
    ),
    (
        "replyCandidates",
        "delete from unrouted_reply_candidates where tenant_id = $1 and patient_id = $2",
    ),
    (
        "interactions",
        "delete from interactions where tenant_id = $1 and patient_id = $2",
    ),
    (
        "tasks",
        "delete from tasks where tenant_id = $1 and patient_id = $2",
    ),
    (
        "outreachPlans",
        "delete from outreach_plans where tenant_id = $1 and patient_id = $2",
    ),
];

/// Runs each `(kind, sql)` of `$statements` with `$1` = `$tenant`, `$2` = `$key` on
/// the transaction `$tx`, adding what each deleted to `$erased` (an [`Erased`]).
macro_rules! erase_rows {
    ($tx:expr, $statements:expr, $tenant:expr, $key:expr, $erased:expr) => {
        for (kind, sql) in $statements {
            let done = sqlx::query(sql)
                .bind($tenant)
                .bind($key)
                .execute(&mut *$tx)
                .await?;
            $erased.add(kind, done.rows_affected());
        }
    };
}

/// Erases run `$run` of `$tenant` (known to be finished, its records not in use) on
/// the transaction `$tx`: its records, its events (deleted by `$events_sql` with `$1`
/// tenant, `$2` run, returning their positions) and the run with its steps. Adds to
/// `$erased`.
macro_rules! erase_run_rows {
    ($tx:expr, $tenant:expr, $run:expr, $events_sql:expr, $erased:expr) => {{
        $crate::store::retention::erase_rows!(
            $tx,
            $crate::store::retention::RUN_RECORDS,
            $tenant,
            $run,
            $erased
        );
        let gone: Vec<Option<i64>> = sqlx::query_scalar($events_sql)
            .bind($tenant)
            .bind($run)
            .fetch_all(&mut *$tx)
            .await?;
        $erased.add("events", gone.len() as u64);
        // The attempt history goes with the steps, uncounted (PostgreSQL keeps no
        // foreign key that would delete it with the run).
        sqlx::query($crate::store::retention::RUN_ATTEMPTS)
            .bind($tenant)
            .bind($run)
            .execute(&mut *$tx)
            .await?;
        $crate::store::retention::erase_rows!(
            $tx,
            $crate::store::retention::RUN_ITSELF,
            $tenant,
            $run,
            $erased
        );
    }};
}

pub(crate) use {erase_rows, erase_run_rows};

/// The columns of [`PurgeRow`].
pub(crate) const PURGE_COLUMNS: &str = "tenant_id, purge_id, created_at, credential, \
     credential_kind, selector_kind, selector_hash, erased";

/// Inserts the purge record `$record` with `$erased` on `$tx` and returns the row.
macro_rules! insert_purge {
    ($tx:expr, $record:expr, $erased:expr) => {{
        let r: &$crate::store::NewPurge = $record;
        let row: $crate::store::PurgeRow = sqlx::query_as(&format!(
            "insert into purges ({})
             values ($1, $2, $3, $4, $5, $6, $7, $8)
             returning {}",
            $crate::store::retention::PURGE_COLUMNS,
            $crate::store::retention::PURGE_COLUMNS
        ))
        .bind(&r.tenant_id)
        .bind(r.purge_id)
        .bind(r.at)
        .bind(&r.credential)
        .bind(&r.credential_kind)
        .bind(&r.selector_kind)
        .bind(&r.selector_hash)
        .bind(sqlx::types::Json($erased))
        .fetch_one(&mut *$tx)
        .await?;
        row
    }};
}

pub(crate) use insert_purge;
