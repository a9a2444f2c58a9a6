//! Event triggers and waits in SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use sqlx::types::Json;
use uuid::Uuid;

use super::SqliteStore;
use crate::store::{Notice, RunId, RunStatus, StoreResult, TenantId, TriggerStore, Waiter};

fn json_path(path: &[&str]) -> String {
    let mut p = String::from("$");
    for part in path {
        p.push('.');
        p.push('"');
        p.push_str(&part.replace('"', ""));
        p.push('"');
    }
    p
}

#[async_trait]
impl TriggerStore for SqliteStore {
    async fn remember_event_ids(
        &self,
        tenant: &TenantId,
        ids: &[(String, Uuid)],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<bool>> {
        let mut tx = self.writer.begin().await?;
        let mut out = Vec::with_capacity(ids.len());
        for (client, id) in ids {
            let done = sqlx::query(
                "insert into event_ids (tenant_id, client_id, event_id, received_at)
                 values ($1, $2, $3, $4) on conflict do nothing",
            )
            .bind(tenant)
            .bind(client)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            out.push(done.rows_affected() == 1);
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn forget_event_ids(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("delete from event_ids where received_at < $1")
            .bind(before)
            .execute(&self.writer)
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
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let wait: Json<Value> = r.try_get("wait")?;
                Ok(Waiter {
                    run_id: r.try_get("run_id")?,
                    step_name: r.try_get("step_name")?,
                    wait: wait.0,
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
        let mut tx = self.writer.begin().await?;
        let parked: Option<i64> = sqlx::query_scalar(
            "select 1 from runs
             where tenant_id = $1 and run_id = $2 and status in ('waiting', 'sleeping')",
        )
        .bind(tenant)
        .bind(run)
        .fetch_optional(&mut *tx)
        .await?;
        if parked.is_none() {
            return Ok(false);
        }
        let done = sqlx::query(
            "update step_runs set wait = json_set(wait, '$.received', json($4)), wake_at = $5
             where tenant_id = $1 and run_id = $2 and step_name = $3 and status = 'sleeping'
               and json_extract(wait, '$.kind') = 'event'
               and json_type(wait, '$.received') is null",
        )
        .bind(tenant)
        .bind(run)
        .bind(step)
        .bind(Json(received))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("update runs set ready_at = $3 where tenant_id = $1 and run_id = $2")
            .bind(tenant)
            .bind(run)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.announce([Notice::RunsReady]);
        Ok(true)
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
        let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        Ok(sqlx::query_scalar(
            "select run_id from runs
             where tenant_id = $1 and workflow = $2
               and cast(json_extract(input, $3) as text) = $4
               and status in (select value from json_each($5))
               and ($6 is null or created_at > $6)",
        )
        .bind(tenant)
        .bind(workflow)
        .bind(json_path(path))
        .bind(value)
        .bind(Json(&statuses))
        .bind(since)
        .fetch_all(&self.reader)
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
        .bind(Json(input))
        .bind(ready_at)
        .execute(&self.writer)
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
             where tenant_id = $1 and idempotency_key in (select value from json_each($2))",
        )
        .bind(tenant)
        .bind(Json(keys))
        .fetch_all(&self.reader)
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
        .fetch_optional(&self.writer)
        .await?)
    }

    async fn event_positions(&self, tenant: &TenantId, ids: &[Uuid]) -> StoreResult<Vec<i64>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let p: Option<i64> = sqlx::query_scalar(
                "select position from events where tenant_id = $1 and event_id = $2",
            )
            .bind(tenant)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
            out.extend(p);
        }
        Ok(out)
    }

    async fn lease_position(&self, name: &str) -> StoreResult<i64> {
        let p: Option<i64> = sqlx::query_scalar("select position from leases where name = $1")
            .bind(name)
            .fetch_optional(&self.reader)
            .await?;
        Ok(p.unwrap_or(0))
    }

    async fn advance_lease(&self, name: &str, owner: &str, position: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "update leases set position = max(position, $3) where name = $1 and owner = $2",
        )
        .bind(name)
        .bind(owner)
        .bind(position)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
