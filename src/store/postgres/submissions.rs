//! Submissions of runs that start at once, written together: under concurrency
//! the runs that clients submit at the same moment are inserted by one statement
//! and one transaction, through the same kind of queue as the step commits (see
//! `group_commit`). A lone submission is written with the statement it always had.
//!
//! Only the plainest submission joins a group: a run that starts at once on this
//! replica, with no idempotency key, concurrency key, attached service call,
//! attempt history, or parent step whose lease fences it. Each of those needs a
//! lookup, a lock or a transaction of its own, and keeps its own statement.

use sqlx::{PgPool, Row};

use super::attempts::AttemptColumns;
use super::columns::{EventColumns, StepColumns};
use super::commits::bind_steps;
use super::group_commit::{GroupPart, WriteQueue};
use super::runs::{
    EVENT_ALIASES, EVENT_ARRAYS, STEP_ARRAYS, STEP_COLUMNS, bind_events, event_arrays,
    insert_event_rows_sql, insert_run_row, step_arrays,
};
use crate::store::{InsertRun, NewRun, RunId, RunStatus, StoreResult, TenantId, fence};

/// The submissions' queue.
pub(super) type GroupSubmit = WriteQueue<SubmissionPart>;

/// A submission a group can carry (see [`SubmissionPart::of`]).
pub(super) struct SubmissionPart {
    run: NewRun,
}

/// What a submission that starts at once answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Submitted {
    /// The run was stored, leased to this replica.
    Created,
    /// Its workflow is paused: nothing was written.
    Paused,
}

impl Submitted {
    /// The answer of [`crate::store::RunStore::insert_run`].
    pub fn into_insert(self) -> InsertRun {
        match self {
            Self::Created => InsertRun::Created,
            Self::Paused => InsertRun::Paused,
        }
    }
}

impl SubmissionPart {
    /// `run`'s submission as a group can carry it, or `None` when it needs a
    /// statement of its own.
    pub fn of(run: &NewRun) -> Option<Self> {
        let (owner, _) = run.lease.as_ref()?;
        let plain = run.status == RunStatus::Running
            && run.idempotency_key.is_none()
            && run.request_hash.is_none()
            && run.concurrency.is_none()
            && run.service_call.is_none()
            && run.bound_now().is_none()
            && fence::current().is_none()
            && AttemptColumns::new(&run.steps, owner).is_empty();
        plain.then(|| Self { run: run.clone() })
    }

    fn owner(&self) -> &str {
        self.run
            .lease
            .as_ref()
            .map_or("", |(owner, _)| owner.as_str())
    }
}

impl GroupPart for SubmissionPart {
    type Outcome = Submitted;

    fn run_key(&self) -> (&TenantId, RunId) {
        (&self.run.tenant_id, self.run.run_id)
    }

    fn has_events(&self) -> bool {
        !self.run.events.is_empty()
    }

    fn wrote(outcome: &Submitted) -> bool {
        *outcome == Submitted::Created
    }

    /// A run written after its submitter stopped waiting (a request that timed
    /// out, a client that went away) would be leased to this replica with no
    /// executor behind it, its lease renewed as long as the replica lives.
    fn written_when_abandoned(&self) -> bool {
        false
    }

    async fn write_alone(pool: &PgPool, part: &Self) -> StoreResult<Submitted> {
        let row = insert_run_row(pool, &part.run).await?;
        Ok(if row.try_get::<i64, _>("created")? == 1 {
            Submitted::Created
        } else {
            Submitted::Paused
        })
    }

    async fn write_group(
        pool: &PgPool,
        parts: &[Self],
    ) -> StoreResult<Vec<StoreResult<Submitted>>> {
        write_group(pool, parts).await
    }
}

/// The statement of a group: the runs' arrays (`$1`-`$14`), each step's tenant and
/// run before the steps' arrays (`$15`-`$30`), and the events' arrays followed by
/// each one's tenant and run (`$31`-`$42`). It answers the runs it inserted.
static GROUP_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(group_sql);

/// Builds [`GROUP_SQL`]: once per process, not per group.
fn group_sql() -> String {
    let step_params: [String; STEP_ARRAYS] = std::array::from_fn(|i| format!("${}", 17 + i));
    let first_event = 17 + STEP_ARRAYS;
    let mut event_params: Vec<String> = (first_event..first_event + EVENT_ARRAYS)
        .map(|i| format!("${i}"))
        .collect();
    let event_owners = first_event + EVENT_ARRAYS;
    event_params.push(format!("${event_owners}::text[]"));
    event_params.push(format!("${}::uuid[]", event_owners + 1));
    let events = insert_event_rows_sql(
        "e.tn",
        &format!(
            "{} as e({EVENT_ALIASES}, tn, cr)",
            event_arrays(&event_params)
        ),
        "exists (select 1 from r where r.tenant_id = e.tn and r.run_id = e.cr)",
    );
    format!(
        "with n as (
            select * from unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::text[],
                                 $6::jsonb[], $7::jsonb[], $8::text[], $9::text[],
                                 $10::timestamptz[], $11::timestamptz[], $12::text[],
                                 $13::timestamptz[], $14::smallint[])
                as n(tenant_id, run_id, workflow, workflow_version, status, input, options,
                     correlation_id, trace_parent, created_at, ready_at, owner, lease_until,
                     priority)
        ), r as (
            -- As a lone submission writes it (see `insert_run_row`): leased to this
            -- replica with its first lease, no turn (it never waits in the queue),
            -- and left out when its workflow is paused.
            insert into runs (tenant_id, run_id, workflow, workflow_version, status, input,
                              options, correlation_id, trace_parent, created_at, started_at,
                              ready_at, lease_owner, lease_epoch, lease_expires_at, priority,
                              turn)
            select n.tenant_id, n.run_id, n.workflow, n.workflow_version, n.status, n.input,
                   n.options, n.correlation_id, n.trace_parent, n.created_at, n.created_at,
                   n.ready_at, n.owner, 1, n.lease_until, n.priority, 0
            from n
            where not exists (select 1 from paused_workflows p
                              where p.tenant_id = n.tenant_id and p.workflow = n.workflow)
            returning tenant_id, run_id
        ), s as (
            insert into step_runs (tenant_id, run_id, {STEP_COLUMNS})
            select u.* from unnest($15::text[], $16::uuid[], {steps})
                as u(tenant_id, run_id, {STEP_COLUMNS})
            where exists (select 1 from r where r.tenant_id = u.tenant_id
                          and r.run_id = u.run_id)
        ), e as ({events})
        select tenant_id, run_id from r",
        steps = step_arrays(&step_params),
    )
}

/// Inserts the runs of `parts` in one statement, answering each: created, or
/// paused when its workflow is.
async fn write_group(
    pool: &PgPool,
    parts: &[SubmissionPart],
) -> StoreResult<Vec<StoreResult<Submitted>>> {
    let mut runs = RunColumns::default();
    let mut steps = StepColumns::default();
    let (mut step_tenants, mut step_runs) = (Vec::new(), Vec::new());
    let mut events = EventColumns::default();
    let (mut event_tenants, mut event_runs) = (Vec::new(), Vec::new());
    let mut offset = 0;
    for part in parts {
        let run = &part.run;
        runs.push(run);
        let tenant = run.tenant_id.as_str();
        let own_steps = StepColumns::new(run.stored_steps(), part.owner());
        step_tenants.extend(own_steps.names.iter().map(|_| tenant.to_string()));
        step_runs.extend(own_steps.names.iter().map(|_| run.run_id.0));
        steps.extend_from(&own_steps);
        let own_events = EventColumns::by_commit(&run.events);
        event_tenants.extend(own_events.ids.iter().map(|_| tenant.to_string()));
        event_runs.extend(own_events.ids.iter().map(|_| run.run_id.0));
        events.extend_from(&own_events, offset);
        offset += run.events.len();
    }
    let q = sqlx::query(GROUP_SQL.as_str())
        .bind(&runs.tenants)
        .bind(&runs.runs)
        .bind(&runs.workflows)
        .bind(&runs.versions)
        .bind(&runs.statuses)
        .bind(&runs.inputs)
        .bind(&runs.options)
        .bind(&runs.correlation_ids)
        .bind(&runs.trace_parents)
        .bind(&runs.created_at)
        .bind(&runs.ready_at)
        .bind(&runs.owners)
        .bind(&runs.lease_until)
        .bind(&runs.priorities)
        .bind(&step_tenants)
        .bind(&step_runs);
    let q = bind_events(bind_steps(q, &steps), &events)
        .bind(&event_tenants)
        .bind(&event_runs);
    let rows = q.fetch_all(pool).await?;
    let mut created = std::collections::HashSet::with_capacity(rows.len());
    for row in rows {
        created.insert((
            row.try_get::<String, _>("tenant_id")?,
            row.try_get::<uuid::Uuid, _>("run_id")?,
        ));
    }
    Ok(parts
        .iter()
        .map(|p| {
            let key = (p.run.tenant_id.as_str().to_string(), p.run.run_id.0);
            Ok(if created.contains(&key) {
                Submitted::Created
            } else {
                Submitted::Paused
            })
        })
        .collect())
}

/// The runs of a group's submissions, as parallel arrays.
#[derive(Default)]
struct RunColumns {
    tenants: Vec<String>,
    runs: Vec<uuid::Uuid>,
    workflows: Vec<String>,
    versions: Vec<i32>,
    statuses: Vec<String>,
    inputs: Vec<serde_json::Value>,
    options: Vec<serde_json::Value>,
    correlation_ids: Vec<Option<String>>,
    trace_parents: Vec<Option<String>>,
    created_at: Vec<chrono::DateTime<chrono::Utc>>,
    ready_at: Vec<Option<chrono::DateTime<chrono::Utc>>>,
    owners: Vec<String>,
    lease_until: Vec<Option<chrono::DateTime<chrono::Utc>>>,
    priorities: Vec<i16>,
}

impl RunColumns {
    fn push(&mut self, run: &NewRun) {
        let (owner, until) = match &run.lease {
            Some((owner, until)) => (owner.clone(), Some(*until)),
            None => (String::new(), None),
        };
        self.tenants.push(run.tenant_id.as_str().to_string());
        self.runs.push(run.run_id.0);
        self.workflows.push(run.workflow.clone());
        self.versions.push(run.workflow_version);
        self.statuses.push(run.status.as_str().to_string());
        self.inputs.push(run.input.clone());
        self.options.push(run.options.clone());
        self.correlation_ids.push(run.correlation_id.clone());
        self.trace_parents.push(run.trace_parent.clone());
        self.created_at.push(run.created_at);
        self.ready_at.push(run.ready_at);
        self.owners.push(owner);
        self.lease_until.push(until);
        self.priorities.push(run.priority);
    }
}
