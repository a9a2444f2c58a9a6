//! Event triggers and waits, written once for both SQL backends. What differs per
//! backend: how JSON is read (a path into a run's input, an array bound as one
//! parameter), and the three operations each does its own way (remembering many
//! event ids at once, resolving a waiter together with its run, finding many events'
//! positions), which the backend provides as `remember_ids`, `resolve` and
//! `positions`.

/// Implements `TriggerStore` for a backend: writes on the `writer` pool, reads on the
/// `reader` pool. `input_at` reads the text at the path `$3` (as `input_path` in the
/// invoking module binds it) of a run's input; `in_json_2` and `in_json_5` list the
/// values of the JSON array bound as `$2` and `$5`.
macro_rules! trigger_store {
    (
        $store:ty, writer: $writer:ident, reader: $reader:ident,
        input_at: $input_at:literal, in_json_2: $in_json_2:literal,
        in_json_5: $in_json_5:literal
    ) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use serde_json::Value;
        use sqlx::Row;
        use sqlx::types::Json;
        use uuid::Uuid;

        use $crate::store::{RunId, RunStatus, StoreResult, TenantId, TriggerStore, Waiter};

        #[async_trait]
        impl TriggerStore for $store {
            async fn remember_event_ids(
                &self,
                tenant: &TenantId,
                ids: &[(String, Uuid)],
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<bool>> {
                self.remember_ids(tenant, ids, now).await
            }

            async fn resolve_waiter(
                &self,
                tenant: &TenantId,
                run: RunId,
                step: &str,
                received: &Value,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                self.resolve(tenant, run, step, received, now).await
            }

            async fn event_positions(&self, tenant: &TenantId, ids: &[Uuid]) -> StoreResult<Vec<i64>> {
                self.positions(tenant, ids).await
            }

            async fn forget_event_ids(&self, before: DateTime<Utc>) -> StoreResult<u64> {
                let done = sqlx::query("delete from event_ids where received_at < $1")
                    .bind(before)
                    .execute(&self.$writer)
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
                .fetch_all(&self.$reader)
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
                Ok(sqlx::query_scalar(&format!(
                    "select run_id from runs
                     where tenant_id = $1 and workflow = $2 and {} = $4
                       and status in ({}) and ($6 is null or created_at > $6)",
                    $input_at, $in_json_5
                ))
                .bind(tenant)
                .bind(workflow)
                .bind(input_path(path))
                .bind(value)
                .bind(Json(&statuses))
                .bind(since)
                .fetch_all(&self.$reader)
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
                .execute(&self.$writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn runs_by_keys(
                &self,
                tenant: &TenantId,
                keys: &[String],
            ) -> StoreResult<Vec<(RunId, String, String)>> {
                Ok(sqlx::query_as(&format!(
                    "select run_id, workflow, idempotency_key from runs
                     where tenant_id = $1 and idempotency_key in ({})",
                    $in_json_2
                ))
                .bind(tenant)
                .bind(Json(keys))
                .fetch_all(&self.$reader)
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
                .fetch_optional(&self.$writer)
                .await?)
            }

            async fn lease_position(&self, name: &str) -> StoreResult<i64> {
                let p: Option<i64> = sqlx::query_scalar("select position from leases where name = $1")
                    .bind(name)
                    .fetch_optional(&self.$reader)
                    .await?;
                Ok(p.unwrap_or(0))
            }

            async fn advance_lease(&self, name: &str, owner: &str, position: i64) -> StoreResult<bool> {
                let done = sqlx::query(
                    // The cursor only moves forward.
                    "update leases set position = case when position > $3 then position else $3 end
                     where name = $1 and owner = $2",
                )
                .bind(name)
                .bind(owner)
                .bind(position)
                .execute(&self.$writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn release_lease(
                &self,
                name: &str,
                owner: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "update leases set expires_at = $3 where name = $1 and owner = $2",
                )
                .bind(name)
                .bind(owner)
                .bind(now - chrono::Duration::milliseconds(1))
                .execute(&self.$writer)
                .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use trigger_store;
