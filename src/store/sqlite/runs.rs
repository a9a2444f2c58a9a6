//! Runs, steps and events in SQLite: the shared statements (see `shared_sql::runs`),
//! and what SQLite writes its own way. Each write is one transaction on the single
//! writer connection, so the lease check and the writes cannot interleave with
//! another writer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, Row, Sqlite, Transaction};

use super::SqliteStore;
use super::attempts;
use super::service_calls::insert_call_in;
use crate::store::claim_order::{CLAIM_ORDER, fresh_sql, timed_sql, turn_sql};
use crate::store::shared_sql::runs::{RENEW_LEASES, RUN_COLUMNS, RunWrites, cancel_notice};
use crate::store::{
    CommitOutcome, InsertRun, InsertServiceCall, LeaseRef, NewEvent, NewRun, Notice, RunId, RunRow,
    RunStatus, RunUpdate, StepWrite, StoreError, StoreResult, TenantId,
};

async fn insert_events(
    tx: &mut Transaction<'_, Sqlite>,
    tenant: &TenantId,
    events: &[NewEvent],
) -> StoreResult<()> {
    for e in events {
        sqlx::query(
            "insert into events (tenant_id, event_id, event_type, correlation_id, run_id,
                                 workflow, source, data, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(tenant)
        .bind(e.event_id)
        .bind(&e.event_type)
        .bind(&e.correlation_id)
        .bind(e.run_id)
        .bind(&e.workflow)
        .bind(&e.source)
        .bind(Json(&e.data))
        .bind(e.created_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Writes a step as `replica` submits or commits it (its latest attempt after its
/// marks): inserted when it has no row yet (a pending step gets its row from its
/// first write), updated otherwise.
async fn write_step(
    tx: &mut Transaction<'_, Sqlite>,
    tenant: &TenantId,
    run: RunId,
    replica: &str,
    s: &StepWrite,
) -> StoreResult<()> {
    sqlx::query(
        "insert into step_runs (tenant_id, run_id, step_name, position, status, attempts,
                                started_at, finished_at, duration_ms, output, error, messages,
                                skip_reason, wake_at, wait, attempt)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         on conflict (tenant_id, run_id, step_name) do update set
            status = excluded.status, attempts = excluded.attempts,
            started_at = excluded.started_at, finished_at = excluded.finished_at,
            duration_ms = excluded.duration_ms, output = excluded.output,
            error = excluded.error, messages = excluded.messages,
            skip_reason = excluded.skip_reason, wake_at = excluded.wake_at,
            wait = excluded.wait, attempt = excluded.attempt",
    )
    .bind(tenant)
    .bind(run)
    .bind(&s.name)
    .bind(s.position)
    .bind(s.status.as_str())
    .bind(s.attempts)
    .bind(s.started_at)
    .bind(s.finished_at)
    .bind(s.duration_ms)
    .bind(s.output.as_ref().map(Json))
    .bind(s.error.as_ref().map(Json))
    .bind(s.messages.as_ref().map(Json))
    .bind(&s.skip_reason)
    .bind(s.wake_at)
    .bind(s.wait.as_ref().map(Json))
    .bind(s.attempt_after_marks(replica).map(Json))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

crate::store::shared_sql::run_store!(
    SqliteStore, writer: writer, reader: reader, db: sqlx::Sqlite,
    statuses: "select value from json_each($9)"
);

#[async_trait]
impl RunWrites for SqliteStore {
    async fn insert_run(&self, run: &NewRun) -> StoreResult<InsertRun> {
        // A child run started by a step is fenced by that step's lease.
        let mut tx = self.begin_write().await?;
        if let Some(attached) = &run.service_call
            && let InsertServiceCall::Duplicate(existing) =
                insert_call_in(&mut tx, &attached.call, &attached.event).await?
        {
            return Ok(InsertRun::ServiceCallExists(existing));
        }
        if let Some(key) = &run.idempotency_key {
            let existing = sqlx::query(&format!(
                "select {RUN_COLUMNS}, request_hash from runs
                 where tenant_id = $1 and workflow = $2 and idempotency_key = $3"
            ))
            .bind(&run.tenant_id)
            .bind(&run.workflow)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(existing) = existing {
                return Ok(InsertRun::Duplicate(
                    Box::new(RunRow::from_row(&existing)?),
                    existing.try_get("request_hash")?,
                ));
            }
        }
        // A run that starts at once is not written when its workflow is paused: the
        // submission then writes it queued.
        if run.lease.is_some() {
            let paused: Option<i32> =
                sqlx::query_scalar(crate::store::shared_sql::pause::IS_PAUSED)
                    .bind(&run.tenant_id)
                    .bind(&run.workflow)
                    .fetch_optional(&mut *tx)
                    .await?;
            if paused.is_some() {
                return Ok(InsertRun::Paused);
            }
        }
        let (owner, lease_until) = match &run.lease {
            Some((o, until)) => (Some(o.clone()), Some(*until)),
            None => (None, None),
        };
        sqlx::query(&format!(
            "insert into runs (tenant_id, run_id, workflow, workflow_version, status, input,
                               options, idempotency_key, correlation_id, created_at, started_at,
                               ready_at, lease_owner, lease_epoch, lease_expires_at,
                               concurrency_key, concurrency_limit, request_hash, trace_parent,
                               priority, turn)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                     case when $12 is null then null else $10 end, $11, $12,
                     case when $12 is null then 0 else 1 end, $13, $14, $15, $16, $17,
                     $18, {turn})",
            turn = turn_sql("max", "$1", "$5", "$10", "$11", "$18", "$19"),
        ))
        .bind(&run.tenant_id)
        .bind(run.run_id)
        .bind(&run.workflow)
        .bind(run.workflow_version)
        .bind(run.status.as_str())
        .bind(Json(&run.input))
        .bind(Json(&run.options))
        .bind(&run.idempotency_key)
        .bind(&run.correlation_id)
        .bind(run.created_at)
        .bind(run.ready_at)
        .bind(owner)
        .bind(lease_until)
        .bind(run.concurrency.as_ref().map(|(k, _)| k.clone()))
        .bind(run.concurrency.as_ref().map(|(_, l)| *l))
        .bind(&run.request_hash)
        .bind(&run.trace_parent)
        .bind(run.priority)
        .bind(run.created_at.timestamp_micros())
        .execute(&mut *tx)
        .await?;
        // Only a run that starts at once (leased) starts attempts.
        let replica = run.lease.as_ref().map_or("", |(owner, _)| owner.as_str());
        for s in run.stored_steps() {
            write_step(&mut tx, &run.tenant_id, run.run_id, replica, s).await?;
        }
        attempts::apply_marks(&mut tx, &run.tenant_id, run.run_id, replica, &run.steps).await?;
        insert_events(&mut tx, &run.tenant_id, &run.events).await?;
        if let Some(bound) = run.bound_now() {
            // The single writer makes this count and the insert one step: no other
            // submission can enter the queue in between.
            let (all, tenant) = count_due(&mut *tx, &run.tenant_id, run.created_at).await?;
            if let Some(full) = bound.passed(all, tenant) {
                tx.rollback().await?;
                return Ok(InsertRun::Refused(full));
            }
        }
        tx.commit().await?;
        let mut notices = vec![Notice::EventsAppended];
        if run.status == RunStatus::Queued {
            notices.push(Notice::RunsReady);
        }
        self.announce(notices);
        Ok(InsertRun::Created)
    }

    async fn claim_runs(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<RunRow>> {
        // The single writer connection makes select-then-update atomic.
        let mut tx = self.writer.begin().await?;
        let mut claimed: Vec<RunRow> = sqlx::query_as(&format!(
            "update runs set status = 'running', lease_owner = $1,
                lease_epoch = lease_epoch + 1, lease_expires_at = $3, ready_at = $3,
                started_at = coalesce(started_at, $2)
             where rowid in (
                select rid from (
                    select * from ({timed}) union all select * from ({fresh})
                    order by {CLAIM_ORDER}
                    limit $4))
             returning {RUN_COLUMNS}",
            timed = timed_sql("rowid as rid", "$2", "$4"),
            fresh = fresh_sql("rowid as rid", "$2", "$4"),
        ))
        .bind(owner)
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let room = limit - claimed.len() as i64;
        if room > 0 {
            let candidates: Vec<(TenantId, RunId, String, i32)> = sqlx::query_as(
                "select tenant_id, run_id, concurrency_key, coalesce(concurrency_limit, 1)
                 from runs
                 where status in ('queued', 'running', 'sleeping', 'waiting') and ready_at <= $1
                   and concurrency_key is not null and not pause_requested
                   and not (status = 'queued' and exists (
                        select 1 from paused_workflows p
                        where p.tenant_id = runs.tenant_id and p.workflow = runs.workflow))
                 order by ready_at limit 200",
            )
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
            if !candidates.is_empty() {
                let running: Vec<(TenantId, String, i64)> = sqlx::query_as(
                    "select tenant_id, concurrency_key, count(*) from runs
                     where status = 'running' and concurrency_key is not null
                       and lease_expires_at > $1
                     group by tenant_id, concurrency_key",
                )
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
                for (tenant, run) in crate::store::keyed::choose(&candidates, &running, room) {
                    let row: Option<RunRow> = sqlx::query_as(&format!(
                        "update runs set status = 'running', lease_owner = $3,
                            lease_epoch = lease_epoch + 1, lease_expires_at = $5, ready_at = $5,
                            started_at = coalesce(started_at, $4)
                         where tenant_id = $1 and run_id = $2
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
            }
        }
        tx.commit().await?;
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
        let mut tx = self.writer.begin().await?;
        let fenced: Option<(bool, bool)> = sqlx::query_as(
            "update runs set status = $5, ready_at = $6,
                lease_owner = case when $7 is null then null else lease_owner end,
                lease_expires_at = $7, finished_at = $8, error = $9
             where tenant_id = $1 and run_id = $2 and lease_owner = $3 and lease_epoch = $4
             returning cancel_requested, pause_requested",
        )
        .bind(&lease.tenant_id)
        .bind(lease.run_id)
        .bind(&lease.owner)
        .bind(lease.epoch)
        .bind(run.status.as_str())
        .bind(run.ready_at)
        .bind(run.lease_until)
        .bind(run.finished_at)
        .bind(run.error.as_ref().map(Json))
        .fetch_optional(&mut *tx)
        .await?;
        let Some((cancel_requested, pause_requested)) = fenced else {
            return Err(StoreError::LeaseLost);
        };
        for s in steps {
            write_step(&mut tx, &lease.tenant_id, lease.run_id, &lease.owner, s).await?;
        }
        attempts::apply_marks(&mut tx, &lease.tenant_id, lease.run_id, &lease.owner, steps).await?;
        insert_events(&mut tx, &lease.tenant_id, events).await?;
        tx.commit().await?;
        let mut all = notices.to_vec();
        if !events.is_empty() {
            all.push(Notice::EventsAppended);
        }
        self.announce(all);
        Ok(CommitOutcome {
            cancel_requested,
            pause_requested,
        })
    }

    async fn renew_leases(&self, owner: &str, lease_until: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query(RENEW_LEASES)
            .bind(owner)
            .bind(lease_until)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    async fn release_leases(&self, owner: &str, now: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query(
            "update runs set lease_owner = null, lease_expires_at = null, ready_at = $2
             where lease_owner = $1 and status = 'running'",
        )
        .bind(owner)
        .bind(now)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() > 0 {
            self.announce([Notice::RunsReady]);
        }
        Ok(done.rows_affected())
    }

    async fn request_cancel(
        &self,
        tenant: &TenantId,
        run: RunId,
        now: DateTime<Utc>,
        events: &[NewEvent],
    ) -> StoreResult<Option<RunStatus>> {
        let mut tx = self.writer.begin().await?;
        let Some(status) = cancel_in(&mut tx, tenant, run, now).await? else {
            return Ok(None);
        };
        if status == RunStatus::Cancelled {
            insert_events(&mut tx, tenant, events).await?;
        }
        tx.commit().await?;
        self.announce([cancel_notice(tenant, run, status), Notice::EventsAppended]);
        Ok(Some(status))
    }

    async fn requeue_run(
        &self,
        tenant: &TenantId,
        run: RunId,
        now: DateTime<Utc>,
        events: &[NewEvent],
    ) -> StoreResult<bool> {
        let mut tx = self.writer.begin().await?;
        if !requeue_in(&mut tx, tenant, run, now).await? {
            return Ok(false);
        }
        insert_events(&mut tx, tenant, events).await?;
        tx.commit().await?;
        self.announce([Notice::RunsReady, Notice::EventsAppended]);
        Ok(true)
    }
}
