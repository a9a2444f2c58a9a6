//! Event triggers and waits in PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

use super::PgStore;
use crate::store::{Notice, RunId, RunStatus, StoreResult, TenantId, TriggerStore, Waiter};

#[async_trait]
impl TriggerStore for PgStore {
    async fn remember_event_ids(
        &self,
        tenant: &TenantId,
        ids: &[(String, Uuid)],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<bool>> {
        let clients: Vec<String> = ids.iter().map(|(c, _)| c.clone()).collect();
        let uuids: Vec<Uuid> = ids.iter().map(|(_, u)| *u).collect();
        let new: Vec<String> = sqlx::query_scalar(
            "insert into event_ids (tenant_id, client_id, event_id, received_at)
             select $1, c, u, $4 from unnest($2::text[], $3::uuid[]) as x(c, u)
             on conflict do nothing
             returning client_id",
        )
        .bind(tenant)
        .bind(&clients)
        .bind(&uuids)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(clients.iter().map(|c| new.contains(c)).collect())
    }

    async fn forget_event_ids(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("delete from event_ids where received_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn event_waiters(&self, tenant: &TenantId, event: &str) -> StoreResult<Vec<Waiter>> {
        let rows = sqlx::query(
            "select run_id, step_name, wait from step_runs
             where tenant_id = $1 and status = 'sleeping' and wait_event = $2",
        )
        .bind(tenant)
        .bind(event)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Waiter {
                    run_id: r.try_get("run_id")?,
                    step_name: r.try_get("step_name")?,
                    wait: r.try_get("wait")?,
                })
            })
            .collect()
    }

    async fn resolve_waiter(
        &self,
        tenant: &TenantId,
        run: RunId,
        step: &str,
        received: &Value,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        // The run row is locked first, so a replica claiming the run (its timeout
        // came due) and this delivery cannot both win.
        let sql = format!(
            "with r as (
                select run_id from runs
                where tenant_id = $1 and run_id = $2 and status in ('waiting', 'sleeping')
                for update
            ), s as (
                update step_runs set wait = wait || jsonb_build_object('received', $4::jsonb),
                    wake_at = $5
                where tenant_id = $1 and run_id = $2 and step_name = $3 and status = 'sleeping'
                  and wait ->> 'kind' = 'event' and not (wait ? 'received')
                  and exists (select 1 from r)
                returning 1
            ), u as (
                update runs set ready_at = $5
                where tenant_id = $1 and run_id = $2 and exists (select 1 from s)
                returning 1
            ), n as (select pg_notify('{}', $6) where exists (select 1 from u))
            select (select count(*) from s) as resolved, (select count(*) from n) as n",
            Notice::CHANNEL
        );
        let row = sqlx::query(&sql)
            .bind(tenant)
            .bind(run)
            .bind(step)
            .bind(received)
            .bind(now)
            .bind(Notice::RunsReady.to_payload())
            .fetch_one(&self.pool)
            .await?;
        let resolved: i64 = row.try_get("resolved")?;
        Ok(resolved > 0)
    }

    async fn runs_with_input(
        &self,
        tenant: &TenantId,
        workflow: &str,
        path: &[&str],
        value: &str,
        statuses: &[RunStatus],
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<RunId>> {
        let path: Vec<String> = path.iter().map(|p| p.to_string()).collect();
        let statuses: Vec<String> = statuses.iter().map(|s| s.as_str().to_string()).collect();
        Ok(sqlx::query_scalar(
            "select run_id from runs
             where tenant_id = $1 and workflow = $2 and input #>> $3 = $4
               and status = any($5) and ($6::timestamptz is null or created_at > $6)",
        )
        .bind(tenant)
        .bind(workflow)
        .bind(&path)
        .bind(value)
        .bind(&statuses)
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn reschedule_queued(
        &self,
        tenant: &TenantId,
        run: RunId,
        input: &Value,
        ready_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "update runs set input = $3, ready_at = $4
             where tenant_id = $1 and run_id = $2 and status = 'queued'",
        )
        .bind(tenant)
        .bind(run)
        .bind(input)
        .bind(ready_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn runs_by_keys(
        &self,
        tenant: &TenantId,
        keys: &[String],
    ) -> StoreResult<Vec<(RunId, String, String)>> {
        Ok(sqlx::query_as(
            "select run_id, workflow, idempotency_key from runs
             where tenant_id = $1 and idempotency_key = any($2)",
        )
        .bind(tenant)
        .bind(keys)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn hold_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "insert into leases (name, owner, expires_at) values ($1, $2, $4)
             on conflict (name) do update set owner = $2, expires_at = $4
             where leases.owner = $2 or leases.expires_at is null or leases.expires_at < $3
             returning position",
        )
        .bind(name)
        .bind(owner)
        .bind(now)
        .bind(until)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn event_positions(&self, tenant: &TenantId, ids: &[Uuid]) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "select position from events
             where tenant_id = $1 and event_id = any($2) and position is not null",
        )
        .bind(tenant)
        .bind(ids)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn lease_position(&self, name: &str) -> StoreResult<i64> {
        let p: Option<i64> = sqlx::query_scalar("select position from leases where name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(p.unwrap_or(0))
    }

    async fn advance_lease(&self, name: &str, owner: &str, position: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "update leases set position = greatest(position, $3) where name = $1 and owner = $2",
        )
        .bind(name)
        .bind(owner)
        .bind(position)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
