//! Event triggers and waits on SQLite: the shared statements (see
//! `shared_sql::triggers`), the rest one statement per item on the single writer.

use super::SqliteStore;
use crate::store::Notice;

crate::store::shared_sql::trigger_store!(
    SqliteStore, writer: writer, reader: reader,
    input_at: "cast(json_extract(input, $3) as text)",
    in_json_2: "select value from json_each($2)",
    in_json_5: "select value from json_each($5)"
);

/// A path into a run's input, as `json_extract` takes it.
fn input_path(path: &[&str]) -> String {
    let mut p = String::from("$");
    for part in path {
        p.push('.');
        p.push('"');
        p.push_str(&part.replace('"', ""));
        p.push('"');
    }
    p
}

impl SqliteStore {
    /// Remembers client event ids; true for each one not seen before.
    async fn remember_ids(
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

    /// Hands a received event to a waiting step and readies its run.
    async fn resolve(
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

    /// The positions of the given events that have one.
    async fn positions(&self, tenant: &TenantId, ids: &[Uuid]) -> StoreResult<Vec<i64>> {
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
}
