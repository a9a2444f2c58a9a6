//! A run's step commits in PostgreSQL: each one fenced statement, written alone or
//! with the commits of other runs that reach the store at the same moment (see
//! `group_commit`).

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};

use super::PgStore;
use super::attempts::AttemptColumns;
use super::columns::{EventColumns, StepColumns};
use super::group_commit::GroupPart;
use super::runs::{
    EVENT_ARRAYS, STEP_ARRAYS, bind_events, insert_events_sql, notice_payloads, write_steps_ctes,
};
use crate::store::{
    CommitOutcome, LeaseRef, NewEvent, Notice, RunId, RunUpdate, StepWrite, StoreError,
    StoreResult, TenantId,
};

impl PgStore {
    /// [`crate::store::RunStore::commit_progress`]: a step's outcome and what follows
    /// from it, fenced by the run's lease.
    pub(super) async fn commit(
        &self,
        lease: &LeaseRef,
        run: &RunUpdate,
        steps: &[StepWrite],
        events: &[NewEvent],
        notices: &[Notice],
    ) -> StoreResult<CommitOutcome> {
        let attempts = AttemptColumns::new(steps, &lease.owner);
        if attempts.is_empty() {
            // The common commits, a step's outcome with the next step's start and a
            // run's last one, are written with whatever other runs commit at the
            // same moment.
            return self
                .group
                .write(CommitPart::new(lease, run, steps, events, notices))
                .await;
        }
        let step_columns = (!steps.is_empty()).then(|| StepColumns::new(steps, &lease.owner));
        let event_columns = (!events.is_empty()).then(|| EventColumns::by_commit(events));
        // Events are announced in-process only: this replica's event pump tells the
        // other replicas once they are readable, once per batch rather than per commit.
        let payloads = notice_payloads(notices);
        let done = resent(|| {
            commit_once(
                &self.pool,
                lease,
                run,
                step_columns.as_ref(),
                event_columns.as_ref(),
                &payloads,
                &attempts,
            )
        })
        .await;
        if done.is_ok() && !events.is_empty() {
            self.announce_local(Notice::EventsAppended);
        }
        done
    }
}

/// One run's commit as the columns its statement binds: what a group commit
/// gathers (see `group_commit`). Commits that write the attempt history are
/// written alone and never become parts.
pub(super) struct CommitPart {
    lease: LeaseRef,
    run: RunUpdate,
    steps: StepColumns,
    events: EventColumns,
    /// The events the commit carries; a row may hold several (see
    /// [`EventColumns::by_commit`]).
    event_count: usize,
    /// The notices sent when the commit holds, as payloads.
    notices: Vec<String>,
}

impl CommitPart {
    /// The commit of `steps`, `events` and `notices` by the holder of `lease`.
    pub fn new(
        lease: &LeaseRef,
        run: &RunUpdate,
        steps: &[StepWrite],
        events: &[NewEvent],
        notices: &[Notice],
    ) -> Self {
        Self {
            lease: lease.clone(),
            run: run.clone(),
            steps: StepColumns::new(steps, &lease.owner),
            events: EventColumns::by_commit(events),
            event_count: events.len(),
            notices: notice_payloads(notices),
        }
    }
}

impl GroupPart for CommitPart {
    type Outcome = CommitOutcome;

    fn run_key(&self) -> (&TenantId, RunId) {
        (&self.lease.tenant_id, self.lease.run_id)
    }

    fn has_events(&self) -> bool {
        self.event_count > 0
    }

    async fn write_alone(pool: &PgPool, part: &Self) -> StoreResult<CommitOutcome> {
        write_alone(pool, part).await
    }

    async fn write_group(
        pool: &PgPool,
        parts: &[Self],
    ) -> StoreResult<Vec<StoreResult<CommitOutcome>>> {
        write_group(pool, parts).await
    }
}

/// Writes one commit alone: the statement [`commit_once`] without attempt history.
pub(super) async fn write_alone(pool: &PgPool, part: &CommitPart) -> StoreResult<CommitOutcome> {
    let steps = (!part.steps.names.is_empty()).then_some(&part.steps);
    let events = part.has_events().then_some(&part.events);
    let no_attempts = AttemptColumns::default();
    resent(|| {
        commit_once(
            pool,
            &part.lease,
            &part.run,
            steps,
            events,
            &part.notices,
            &no_attempts,
        )
    })
    .await
}

/// Runs a commit, and once more if it met step rows it did not see.
///
/// A commit re-sent while the first was still running (a lost reply) waits for the
/// fence's lock with a snapshot taken before the first committed: it does not see
/// the step rows the first inserted, and inserting them again conflicts. The first
/// wrote the commit whole; written again with a fresh snapshot, its inserts are
/// updates.
pub(super) async fn resent<F, Fut>(mut commit: F) -> StoreResult<CommitOutcome>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StoreResult<CommitOutcome>>,
{
    match commit().await {
        Err(StoreError::Conflict(c)) if c == "step_runs_pkey" => commit().await,
        done => done,
    }
}

/// One try of [`crate::store::RunStore::commit_progress`]: one fenced statement.
pub(super) async fn commit_once(
    pool: &PgPool,
    lease: &LeaseRef,
    run: &RunUpdate,
    steps: Option<&StepColumns>,
    events: Option<&EventColumns>,
    payloads: &[String],
    attempts: &AttemptColumns,
) -> StoreResult<CommitOutcome> {
    // The fence row lock is taken first, so a takeover cannot commit between the
    // lease check and the writes; the other CTEs write only if the fence matched.
    // Only the parts this commit needs are in the statement (a step's outcome
    // seldom sends notices or gives an attempt back): each part costs the server
    // work at every execution, even when it has nothing to do.
    let guard = "exists (select 1 from fence)";
    let mut ctes = vec![
        "fence as (
            update runs set status = $5, ready_at = $6,
                lease_owner = case when $7::timestamptz is null then null else lease_owner end,
                lease_expires_at = $7, finished_at = $8, error = $9
            where tenant_id = $1 and run_id = $2 and lease_owner = $3 and lease_epoch = $4
            returning cancel_requested, pause_requested
        )"
        .to_string(),
    ];
    let mut next = 10;
    if steps.is_some() {
        ctes.push(write_steps_ctes(next, guard));
        next += STEP_ARRAYS;
    }
    if events.is_some() {
        ctes.push(format!("e as ({})", insert_events_sql(next, guard)));
        next += EVENT_ARRAYS;
    }
    let notify = !payloads.is_empty();
    if notify {
        ctes.push(format!(
            "n as (select pg_notify('{}', x) from unnest(${next}::text[]) as x where {guard})",
            Notice::CHANNEL
        ));
        next += 1;
    }
    ctes.extend(attempts.ctes(&mut next, guard));
    // A plain `select` CTE runs only when referenced: the notices are counted.
    let sql = format!(
        "with {} select f.cancel_requested, f.pause_requested{} from fence f",
        ctes.join(", "),
        if notify {
            ", (select count(*) from n) as notices"
        } else {
            ""
        }
    );
    let mut q = sqlx::query(&sql)
        .bind(&lease.tenant_id)
        .bind(lease.run_id)
        .bind(&lease.owner)
        .bind(lease.epoch)
        .bind(run.status.as_str())
        .bind(run.ready_at)
        .bind(run.lease_until)
        .bind(run.finished_at)
        .bind(&run.error);
    if let Some(s) = steps {
        q = bind_steps(q, s);
    }
    if let Some(e) = events {
        q = bind_events(q, e);
    }
    if notify {
        q = q.bind(payloads);
    }
    let row = attempts.bind(q).fetch_optional(pool).await?;
    match row {
        Some(row) => Ok(CommitOutcome {
            cancel_requested: row.try_get("cancel_requested")?,
            pause_requested: row.try_get("pause_requested")?,
        }),
        None => Err(StoreError::LeaseLost),
    }
}

pub(super) fn bind_steps<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    s: &'q StepColumns,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    q.bind(&s.names)
        .bind(&s.positions)
        .bind(&s.statuses)
        .bind(&s.attempts)
        .bind(&s.started_at)
        .bind(&s.finished_at)
        .bind(&s.duration_ms)
        .bind(&s.outputs)
        .bind(&s.errors)
        .bind(&s.messages)
        .bind(&s.skip_reasons)
        .bind(&s.wake_at)
        .bind(&s.waits)
        .bind(&s.latest_attempts)
}

/// Writes the commits of a group (see `group_commit`), in the arrays of
/// `commit_group` (migrations 0145 and 0146).
const GROUP_SQL: &str = "select tenant_id, run_id, cancel_requested, pause_requested
     from commit_group($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                       $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28,
                       $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41)";

/// Writes a group of commits of distinct runs in one statement, answering each:
/// its outcome, or [`StoreError::LeaseLost`] when its fence did not match. An
/// error of the statement answers for the whole group.
pub(super) async fn write_group(
    pool: &PgPool,
    parts: &[CommitPart],
) -> StoreResult<Vec<StoreResult<CommitOutcome>>> {
    let mut commits = CommitColumns::default();
    let mut steps = StepColumns::default();
    let (mut step_tenants, mut step_runs) = (Vec::new(), Vec::new());
    let mut events = EventColumns::default();
    let (mut event_tenants, mut event_runs) = (Vec::new(), Vec::new());
    let (mut notice_tenants, mut notice_runs, mut payloads) = (Vec::new(), Vec::new(), Vec::new());
    let mut offset = 0;
    for part in parts {
        commits.push(&part.lease, &part.run);
        let tenant = part.lease.tenant_id.as_str();
        steps.extend_from(&part.steps);
        step_tenants.extend(part.steps.names.iter().map(|_| tenant.to_string()));
        step_runs.extend(part.steps.names.iter().map(|_| part.lease.run_id.0));
        events.extend_from(&part.events, offset);
        event_tenants.extend(part.events.ids.iter().map(|_| tenant.to_string()));
        event_runs.extend(part.events.ids.iter().map(|_| part.lease.run_id.0));
        offset += part.event_count;
        for payload in &part.notices {
            notice_tenants.push(tenant.to_string());
            notice_runs.push(part.lease.run_id.0);
            payloads.push(payload.as_str());
        }
    }
    // The statement is a function (migration 0145) for the settings its plan is
    // made with: key lookups only, whatever the tables' size.
    let q = sqlx::query(GROUP_SQL)
        .bind(&commits.tenants)
        .bind(&commits.runs)
        .bind(&commits.owners)
        .bind(&commits.epochs)
        .bind(&commits.statuses)
        .bind(&commits.ready_at)
        .bind(&commits.lease_until)
        .bind(&commits.finished_at)
        .bind(&commits.errors)
        .bind(&step_tenants)
        .bind(&step_runs);
    let q = bind_events(bind_steps(q, &steps), &events)
        .bind(&event_tenants)
        .bind(&event_runs)
        .bind(Notice::CHANNEL)
        .bind(&notice_tenants)
        .bind(&notice_runs)
        .bind(&payloads);
    let rows = q.fetch_all(pool).await?;
    let mut fenced = std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        let key: (String, uuid::Uuid) = (row.try_get("tenant_id")?, row.try_get("run_id")?);
        let outcome = CommitOutcome {
            cancel_requested: row.try_get("cancel_requested")?,
            pause_requested: row.try_get("pause_requested")?,
        };
        fenced.insert(key, outcome);
    }
    Ok(parts
        .iter()
        .map(|p| {
            let key = (p.lease.tenant_id.as_str().to_string(), p.lease.run_id.0);
            fenced.remove(&key).ok_or(StoreError::LeaseLost)
        })
        .collect())
}

/// The fences and run updates of a group's commits, as parallel arrays.
#[derive(Default)]
struct CommitColumns {
    tenants: Vec<String>,
    runs: Vec<uuid::Uuid>,
    owners: Vec<String>,
    epochs: Vec<i64>,
    statuses: Vec<String>,
    ready_at: Vec<Option<DateTime<Utc>>>,
    lease_until: Vec<Option<DateTime<Utc>>>,
    finished_at: Vec<Option<DateTime<Utc>>>,
    errors: Vec<Option<serde_json::Value>>,
}

impl CommitColumns {
    fn push(&mut self, lease: &LeaseRef, run: &RunUpdate) {
        self.tenants.push(lease.tenant_id.as_str().to_string());
        self.runs.push(lease.run_id.0);
        self.owners.push(lease.owner.clone());
        self.epochs.push(lease.epoch);
        self.statuses.push(run.status.as_str().to_string());
        self.ready_at.push(run.ready_at);
        self.lease_until.push(run.lease_until);
        self.finished_at.push(run.finished_at);
        self.errors.push(run.error.clone());
    }
}
