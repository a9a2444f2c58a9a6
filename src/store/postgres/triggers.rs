//! Event triggers and waits on PostgreSQL: the shared statements (see
//! `shared_sql::triggers`), many event ids remembered in one statement, and a waiter
//! resolved in one statement that locks its run first.

use super::PgStore;
use crate::store::Notice;

crate::store::shared_sql::trigger_store!(
    PgStore, writer: pool, reader: pool,
    input_at: "input #>> $3",
    in_json_2: "select jsonb_array_elements_text($2::jsonb)",
    in_json_5: "select jsonb_array_elements_text($5::jsonb)"
);

/// A path into a run's input, as `#>>` takes it.
fn input_path(path: &[&str]) -> Vec<String> {
    path.iter().map(|p| p.to_string()).collect()
}

impl PgStore {
    /// Remembers client event ids; true for each one not seen before.
    async fn remember_ids(
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

    /// Hands a received event to a waiting step and readies its run.
    async fn resolve(
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

    /// The positions of the given events that have one.
    async fn positions(&self, tenant: &TenantId, ids: &[Uuid]) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "select position from events
             where tenant_id = $1 and event_id = any($2) and position is not null",
        )
        .bind(tenant)
        .bind(ids)
        .fetch_all(&self.pool)
        .await?)
    }
}
