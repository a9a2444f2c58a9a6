//! Runs, steps and events in PostgreSQL: the shared statements (see
//! `shared_sql::runs`), and what PostgreSQL writes its own way.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{FromRow, Row};

use super::PgStore;
use super::attempts::AttemptColumns;
use super::columns::{EventColumns, StepColumns};
use super::service_calls::insert_call_in;
use super::submissions::{SubmissionPart, Submitted};
use crate::store::claim_order::{CLAIM_ORDER, fresh_sql, timed_sql, turn_sql};
use crate::store::shared_sql::runs::{RENEW_LEASES, RUN_COLUMNS, RunWrites, cancel_notice};
use crate::store::{
    CommitOutcome, InsertRun, InsertServiceCall, LeaseRef, NewEvent, NewRun, Notice, RunId, RunRow,
    RunStatus, RunUpdate, StepWrite, StoreError, StoreResult, TenantId, fence,
};

/// Inserts the event rows given as arrays `$e1..$e10` (see [`EventColumns`]) for
/// tenant `$1` when `guard` holds, returning their positions.
///
/// Each row gets its position here, in the same write (see migration 0140): the first
/// position of this transaction's id (`event_tx_position`), plus the number of events
/// the transaction inserted before (found by one probe of the position index, usually
/// empty), plus where the row's own event falls in the statement; a row's earlier
/// events (migration 0143) take the positions just below. Readers stop below the
/// oldest transaction still running, so numbering by transaction id leaves them no
/// gap. A transaction holds 4096 positions; one more fails the statement (the cast of
/// the message to a number) rather than taking the next transaction's.
pub(super) fn insert_events_sql(first: usize, guard: &str) -> String {
    let p: Vec<String> = (first..first + EVENT_ARRAYS)
        .map(|i| format!("${i}"))
        .collect();
    insert_event_rows_sql(
        "$1",
        &format!("{} as e({EVENT_ALIASES})", event_arrays(&p)),
        guard,
    )
}

/// The event arrays named by `p` (see [`EventColumns`]), typed, as `unnest`'s
/// arguments.
pub(super) fn event_arrays(p: &[String]) -> String {
    format!(
        "unnest({}::uuid[], {}::text[], {}::text[], {}::uuid[], {}::text[], {}::text[],
                {}::jsonb[], {}::timestamptz[], {}::jsonb[], {}::int[]",
        p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]
    ) + &p[10..].iter().map(|a| format!(", {a}")).collect::<String>()
        + ")"
}

/// The names [`insert_event_rows_sql`] reads the event arrays' rows `e` by.
pub(super) const EVENT_ALIASES: &str = "id, t, c, r, w, s, d, at, earlier, off";

/// Inserts the rows `e` of `rows` (an `unnest` with at least [`EVENT_ALIASES`]) of
/// tenant `tenant` where `guard` holds, numbered as [`insert_events_sql`] says.
pub(super) fn insert_event_rows_sql(tenant: &str, rows: &str, guard: &str) -> String {
    format!(
        "insert into events (position, tenant_id, event_id, event_type, correlation_id, run_id,
                             workflow, source, data, created_at, earlier)
         select f.next + e.off
                + coalesce((case when f.next + e.off >= f.lo + 4096
                                 then 'more than 4096 events in one transaction: ' || e.off
                            end)::bigint, 0),
                {tenant}, e.id, e.t, e.c, e.r, e.w, e.s, e.d, e.at, e.earlier
         from (select l.lo, coalesce((select max(position) + 1 from events
                                      where position >= l.lo and position < l.lo + 4096),
                                     l.lo) as next
               from (select event_tx_position(pg_current_xact_id()) as lo) l) f,
              {rows}
         where {guard}
         returning position"
    )
}

/// How many arrays [`insert_events_sql`] takes.
pub(super) const EVENT_ARRAYS: usize = 10;

pub(super) fn bind_events<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    e: &'q EventColumns,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    q.bind(&e.ids)
        .bind(&e.types)
        .bind(&e.correlation_ids)
        .bind(&e.run_ids)
        .bind(&e.workflows)
        .bind(&e.sources)
        .bind(&e.data)
        .bind(&e.created_at)
        .bind(&e.earlier)
        .bind(&e.offsets)
}

/// The columns of a step row after its tenant and run, in the order of
/// [`steps_unnest`]'s arrays.
pub(super) const STEP_COLUMNS: &str = "step_name, position, status, attempts, started_at, finished_at, \
                            duration_ms, output, error, messages, skip_reason, wake_at, wait, \
                            attempt";

/// The steps given as the arrays named by `p` (see [`StepColumns`]), as rows `u`
/// with the columns [`STEP_COLUMNS`].
fn steps_unnest(p: &[String; STEP_ARRAYS]) -> String {
    format!("unnest({}) as u({STEP_COLUMNS})", step_arrays(p))
}

/// The step arrays named by `p` (see [`StepColumns`]), typed, in the order of
/// [`STEP_COLUMNS`].
pub(super) fn step_arrays(p: &[String; STEP_ARRAYS]) -> String {
    format!(
        "{}::text[], {}::int[], {}::text[], {}::int[], {}::timestamptz[],
         {}::timestamptz[], {}::bigint[], {}::jsonb[], {}::jsonb[], {}::jsonb[],
         {}::text[], {}::timestamptz[], {}::jsonb[], {}::jsonb[]",
        p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13]
    )
}

/// Two common table expressions writing the steps given as arrays `$first..` (see
/// [`StepColumns`]) of run `$2` of tenant `$1` when `guard` holds: `s` updates the
/// steps that have a row, `s_new` inserts the others (pending until now, see
/// `NewRun::stored_steps`). The fence's lock keeps any other holder of the run out;
/// the same commit sent twice can still meet its own rows (see `commit_progress`).
pub(super) fn write_steps_ctes(first: usize, guard: &str) -> String {
    let p: [String; STEP_ARRAYS] = std::array::from_fn(|i| format!("${}", first + i));
    let u = steps_unnest(&p);
    format!(
        "s as (
            update step_runs t set status = u.status, attempts = u.attempts,
                started_at = u.started_at, finished_at = u.finished_at,
                duration_ms = u.duration_ms, output = u.output, error = u.error,
                messages = u.messages, skip_reason = u.skip_reason, wake_at = u.wake_at,
                wait = u.wait, attempt = u.attempt
            from {u}
            where t.tenant_id = $1 and t.run_id = $2 and t.step_name = u.step_name and {guard}
            returning t.step_name
        ), s_new as (
            insert into step_runs (tenant_id, run_id, {STEP_COLUMNS})
            select $1, $2, u.* from {u}
            where {guard} and u.step_name not in (select step_name from s)
        )"
    )
}

/// The arrays [`write_steps_ctes`] takes.
pub(super) const STEP_ARRAYS: usize = 14;

/// True when the workflow of run `$3` of tenant `$1` is paused.
const PAUSED: &str =
    "exists (select 1 from paused_workflows where tenant_id = $1 and workflow = $3)";

/// True when a submission's row says the run was not written because its workflow
/// is paused (only asked of runs that were to start at once).
fn paused_in(row: &sqlx::postgres::PgRow, leased: bool) -> StoreResult<bool> {
    Ok(leased && row.try_get::<bool, _>("paused")?)
}

pub(super) fn notice_payloads(notices: &[Notice]) -> Vec<String> {
    notices.iter().map(Notice::to_payload).collect()
}

/// Serializes claims of runs with concurrency keys across replicas, so two claimers
/// cannot both start the last free slot of a key.
const KEYED_CLAIM_LOCK: i64 = 0x6366_6b65_7965_6400;

/// Serializes the count-and-insert of runs entering the queue across replicas.
const ADMISSION_LOCK: i64 = 0x6366_6164_6d69_7400;

crate::store::shared_sql::run_store!(
    PgStore, writer: pool, reader: pool, db: sqlx::Postgres,
    statuses: "select jsonb_array_elements_text($9::jsonb)"
);

impl PgStore {
    /// Claims due runs that carry a concurrency key, never exceeding a key's limit.
    async fn claim_keyed(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        room: i64,
    ) -> StoreResult<Vec<RunRow>> {
        // Looked up outside any transaction: most claims find no keyed run due.
        let candidates: Vec<(TenantId, RunId, String, i32)> = sqlx::query_as(
            "select tenant_id, run_id, concurrency_key, coalesce(concurrency_limit, 1) from runs
             where status in ('queued', 'running', 'sleeping', 'waiting') and ready_at <= $1
               and concurrency_key is not null and not pause_requested
               and not (status = 'queued' and exists (
                   select 1 from paused_workflows p
                   where p.tenant_id = runs.tenant_id and p.workflow = runs.workflow))
             order by ready_at limit 200",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("select pg_advisory_xact_lock($1)")
            .bind(KEYED_CLAIM_LOCK)
            .execute(&mut *tx)
            .await?;
        let keys: Vec<String> = candidates.iter().map(|c| c.2.clone()).collect();
        // Runs executing now, per key; a run whose lease expired is not executing
        // (it is a candidate itself).
        let running: Vec<(TenantId, String, i64)> = sqlx::query_as(
            "select tenant_id, concurrency_key, count(*) from runs
             where status = 'running' and concurrency_key = any($1) and lease_expires_at > $2
             group by tenant_id, concurrency_key",
        )
        .bind(&keys)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let chosen = crate::store::keyed::choose(&candidates, &running, room);
        let mut claimed = Vec::new();
        for (tenant, run) in chosen {
            let row: Option<RunRow> = sqlx::query_as(&format!(
                "update runs set status = 'running', lease_owner = $3,
                    lease_epoch = lease_epoch + 1, lease_expires_at = $5, ready_at = $5,
                    started_at = coalesce(started_at, $4)
                 where tenant_id = $1 and run_id = $2 and ready_at <= $4
                   and status in ('queued', 'running', 'sleeping', 'waiting')
                 returning {RUN_COLUMNS}"
            ))
            .bind(&tenant)
            .bind(run)
            .bind(owner)
            .bind(now)
            .bind(lease_until)
            .fetch_optional(&mut *tx)
            .await?;
            claimed.extend(row);
        }
        tx.commit().await?;
        Ok(claimed)
    }
}

/// Inserts a submitted run with its stored steps and events in one statement (the
/// run is left out when it was to start at once and its workflow is paused), and
/// returns its row: `created` (0 or 1), and `paused` for a run that was to start
/// at once.
pub(super) async fn insert_run_row<'e, E: sqlx::PgExecutor<'e>>(
    exec: E,
    run: &NewRun,
) -> StoreResult<sqlx::postgres::PgRow> {
    let events = EventColumns::by_commit(&run.events);
    let mut notices = Vec::new();
    if run.status == RunStatus::Queued {
        notices.push(Notice::RunsReady);
    }
    // A run that starts at once is not written when its workflow is paused: the
    // submission then writes it queued (`InsertRun::Paused`). Checked in the
    // insert's own statement, which saves a round trip on every submission.
    let leased = run.lease.is_some();
    // Only a run that starts at once (leased) starts attempts.
    let replica = run.lease.as_ref().map_or("", |(owner, _)| owner.as_str());
    let steps = StepColumns::new(run.stored_steps(), replica);
    // The attempts' arrays come last, numbered from `$45`: only the kinds present.
    let attempts = AttemptColumns::new(&run.steps, replica);
    let attempt_ctes = attempts.ctes(&mut 45, "exists (select 1 from r)");
    let sql = format!(
            "with r as (
                insert into runs (tenant_id, run_id, workflow, workflow_version, status, input,
                                  options, idempotency_key, correlation_id, created_at,
                                  started_at, ready_at, lease_owner, lease_epoch,
                                  lease_expires_at, concurrency_key, concurrency_limit,
                                  request_hash, trace_parent, priority, turn)
                select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                       case when $12::text is null then null else $10 end, $11, $12,
                       case when $12::text is null then 0 else 1 end, $13, $38, $39, $40, $41,
                       $42, {turn}
                {unless_paused}
                {on_conflict}
                returning run_id
            ), s as (
                insert into step_runs (tenant_id, run_id, {STEP_COLUMNS})
                select $1, $2, u.* from {steps}
                where exists (select 1 from r)
                returning 1
            ), e as ({events}), n as (
                select pg_notify('{channel}', x) from unnest($37::text[]) as x
                where exists (select 1 from r)
            ){attempts}
            select (select count(*) from r) as created, (select count(*) from n) as notices{paused}",
            steps = steps_unnest(&std::array::from_fn(|i| match i {
                // The latest attempts came last to the statement.
                13 => "$44".to_string(),
                _ => format!("${}", 14 + i),
            })),
            events = insert_events_sql(27, "exists (select 1 from r)"),
            unless_paused = if leased { format!("where not {PAUSED}") } else { String::new() },
            // Only a keyed run can meet an earlier one; a keyless insert skips the
            // speculative insertion an arbiter costs (a WAL record and a token).
            on_conflict = if run.idempotency_key.is_some() {
                "on conflict (tenant_id, workflow, idempotency_key)
                    where idempotency_key is not null do nothing"
            } else {
                ""
            },
            paused = if leased { format!(", {PAUSED} as paused") } else { String::new() },
            channel = Notice::CHANNEL,
            attempts = attempt_ctes
                .iter()
                .map(|c| format!(", {c}"))
                .collect::<String>(),
            turn = turn_sql("greatest", "$1", "$5", "$10", "$11", "$42", "$43"),
        );
    let (owner, lease_until) = match &run.lease {
        Some((o, until)) => (Some(o.clone()), Some(*until)),
        None => (None, None),
    };
    let q = sqlx::query(&sql)
        .bind(&run.tenant_id)
        .bind(run.run_id)
        .bind(&run.workflow)
        .bind(run.workflow_version)
        .bind(run.status.as_str())
        .bind(&run.input)
        .bind(&run.options)
        .bind(&run.idempotency_key)
        .bind(&run.correlation_id)
        .bind(run.created_at)
        .bind(run.ready_at)
        .bind(owner)
        .bind(lease_until)
        .bind(steps.names)
        .bind(steps.positions)
        .bind(steps.statuses)
        .bind(steps.attempts)
        .bind(steps.started_at)
        .bind(steps.finished_at)
        .bind(steps.duration_ms)
        .bind(steps.outputs)
        .bind(steps.errors)
        .bind(steps.messages)
        .bind(steps.skip_reasons)
        .bind(steps.wake_at)
        .bind(steps.waits);
    let (key, limit) = match &run.concurrency {
        Some((k, l)) => (Some(k.clone()), Some(*l)),
        None => (None, None),
    };
    let q = bind_events(q, &events)
        .bind(notice_payloads(&notices))
        .bind(key)
        .bind(limit)
        .bind(&run.request_hash);
    let q = attempts.bind(
        q.bind(&run.trace_parent)
            .bind(run.priority)
            .bind(run.created_at.timestamp_micros())
            .bind(steps.latest_attempts),
    );
    Ok(q.fetch_one(exec).await?)
}

#[async_trait]
impl RunWrites for PgStore {
    async fn insert_run(&self, run: &NewRun) -> StoreResult<InsertRun> {
        let leased = run.lease.is_some();
        if let Some(part) = SubmissionPart::of(run) {
            return self
                .submissions
                .write(part)
                .await
                .map(Submitted::into_insert);
        }
        let bound = run.bound_now();
        // A child run started by a step is fenced by that step's lease, a run that
        // enters the queue is counted against its bounds, and an attached service
        // call is written with its run: each in one transaction. Any other
        // submission stays one round trip.
        let row = if fence::current().is_none() && bound.is_none() && run.service_call.is_none() {
            insert_run_row(&self.pool, run).await?
        } else {
            let mut tx = self.begin_write().await?;
            if let Some(attached) = &run.service_call
                && let InsertServiceCall::Duplicate(existing) =
                    insert_call_in(&mut tx, &attached.call, &attached.event).await?
            {
                return Ok(InsertRun::ServiceCallExists(existing));
            }
            if bound.is_some() {
                // Held to the commit: replicas count and insert one at a time, so
                // together they never pass the bounds.
                sqlx::query("select pg_advisory_xact_lock($1)")
                    .bind(ADMISSION_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            let row = insert_run_row(&mut *tx, run).await?;
            if paused_in(&row, leased)? {
                tx.rollback().await?;
                return Ok(InsertRun::Paused);
            }
            if let Some(bound) = bound
                && row.try_get::<i64, _>("created")? == 1
            {
                let (all, tenant) = count_due(&mut *tx, &run.tenant_id, run.created_at).await?;
                if let Some(full) = bound.passed(all, tenant) {
                    tx.rollback().await?;
                    return Ok(InsertRun::Refused(full));
                }
            }
            tx.commit().await?;
            row
        };
        let created: i64 = row.try_get("created")?;
        if created == 0 && paused_in(&row, leased)? {
            return Ok(InsertRun::Paused);
        }
        if created == 1 {
            if !run.events.is_empty() {
                self.announce_local(Notice::EventsAppended);
            }
            return Ok(InsertRun::Created);
        }
        let existing = sqlx::query(&format!(
            "select {RUN_COLUMNS}, request_hash from runs
             where tenant_id = $1 and workflow = $2 and idempotency_key = $3"
        ))
        .bind(&run.tenant_id)
        .bind(&run.workflow)
        .bind(&run.idempotency_key)
        .fetch_optional(&self.pool)
        .await?;
        let existing =
            existing.ok_or_else(|| StoreError::Conflict("run id already exists".into()))?;
        Ok(InsertRun::Duplicate(
            Box::new(RunRow::from_row(&existing)?),
            existing.try_get("request_hash")?,
        ))
    }

    async fn claim_runs(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<RunRow>> {
        let returning = RUN_COLUMNS
            .split(", ")
            .map(|c| format!("r.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        // SKIP LOCKED: replicas claiming at once never wait for, nor take, each
        // other's rows; the epoch increment fences whoever held the run before.
        // Each candidate branch locks at most `limit` rows; those the order leaves
        // out are released when the statement ends.
        let sql = format!(
            "with timed as ({timed} for update skip locked),
            fresh as ({fresh} for update skip locked),
            due as (
                select tenant_id, run_id from (
                    select * from timed union all select * from fresh
                ) c
                order by {CLAIM_ORDER}
                limit $4
            )
            update runs r set status = 'running', lease_owner = $1,
                lease_epoch = r.lease_epoch + 1, lease_expires_at = $3, ready_at = $3,
                started_at = coalesce(r.started_at, $2)
            from due where r.tenant_id = due.tenant_id and r.run_id = due.run_id
            returning {returning}",
            timed = timed_sql("tenant_id, run_id", "$2", "$4"),
            fresh = fresh_sql("tenant_id, run_id", "$2", "$4"),
        );
        let mut claimed: Vec<RunRow> = sqlx::query_as(&sql)
            .bind(owner)
            .bind(now)
            .bind(lease_until)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let room = limit - claimed.len() as i64;
        if room > 0 {
            claimed.extend(self.claim_keyed(owner, now, lease_until, room).await?);
        }
        Ok(claimed)
    }

    async fn commit_progress(
        &self,
        lease: &LeaseRef,
        run: &RunUpdate,
        steps: &[StepWrite],
        events: &[NewEvent],
        notices: &[Notice],
    ) -> StoreResult<CommitOutcome> {
        self.commit(lease, run, steps, events, notices).await
    }

    async fn renew_leases(&self, owner: &str, lease_until: DateTime<Utc>) -> StoreResult<u64> {
        let _no_group = self.committers.exclusive().await;
        let done = sqlx::query(RENEW_LEASES)
            .bind(owner)
            .bind(lease_until)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn release_leases(&self, owner: &str, now: DateTime<Utc>) -> StoreResult<u64> {
        let _no_group = self.committers.exclusive().await;
        let sql = format!(
            "with r as (
                update runs set lease_owner = null, lease_expires_at = null, ready_at = $2
                where lease_owner = $1 and status = 'running'
                returning 1
            ), n as (select pg_notify('{}', $3) where exists (select 1 from r))
            select (select count(*) from r) as released, (select count(*) from n) as notices",
            Notice::CHANNEL
        );
        let row = sqlx::query(&sql)
            .bind(owner)
            .bind(now)
            .bind(Notice::RunsReady.to_payload())
            .fetch_one(&self.pool)
            .await?;
        let released: i64 = row.try_get("released")?;
        Ok(released as u64)
    }

    async fn request_cancel(
        &self,
        tenant: &TenantId,
        run: RunId,
        now: DateTime<Utc>,
        events: &[NewEvent],
    ) -> StoreResult<Option<RunStatus>> {
        let mut tx = self.pool.begin().await?;
        let Some(status) = cancel_in(&mut tx, tenant, run, now).await? else {
            return Ok(None);
        };
        let notice = cancel_notice(tenant, run, status);
        if status == RunStatus::Cancelled && !events.is_empty() {
            let sql = insert_events_sql(2, "true");
            let q = sqlx::query(&sql).bind(tenant);
            bind_events(q, &EventColumns::new(events))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("select pg_notify($1, $2)")
            .bind(Notice::CHANNEL)
            .bind(notice.to_payload())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.announce_local(Notice::EventsAppended);
        Ok(Some(status))
    }

    async fn requeue_run(
        &self,
        tenant: &TenantId,
        run: RunId,
        now: DateTime<Utc>,
        events: &[NewEvent],
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        if !requeue_in(&mut tx, tenant, run, now).await? {
            return Ok(false);
        }
        if !events.is_empty() {
            let sql = insert_events_sql(2, "true");
            bind_events(sqlx::query(&sql).bind(tenant), &EventColumns::new(events))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("select pg_notify($1, $2)")
            .bind(Notice::CHANNEL)
            .bind(Notice::RunsReady.to_payload())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.announce_local(Notice::EventsAppended);
        Ok(true)
    }
}
