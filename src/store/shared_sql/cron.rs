//! The storage of cron schedules, written once for both SQL backends. Only the
//! claim differs: PostgreSQL skips rows another ticker has locked, SQLite has one
//! writer and needs no lock.

/// Columns of `CronScheduleRow`.
pub(crate) const CRON_COLUMNS: &str = "tenant_id, schedule_id, name, target_kind, target_name, \
     payload, expression, time_zone, overlap, catch_up, paused, next_tick_at, last_tick_at, \
     last_run_id, last_outcome, created_at, updated_at";

/// Implements the cron schedule store for a backend: writes on the `writer` pool,
/// reads on the `reader` pool; `lock` ends the claim's inner select.
macro_rules! cron_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident, lock: $lock:literal) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use uuid::Uuid;

        use $crate::store::shared_sql::cron::CRON_COLUMNS;
        use $crate::store::{CronScheduleRow, CronStore, StoreResult, TenantId, TickDone};

        #[async_trait]
        impl CronStore for $store {
            async fn insert_cron_schedule(&self, r: &CronScheduleRow) -> StoreResult<()> {
                sqlx::query(
                    "insert into cron_schedules (tenant_id, schedule_id, name, target_kind,
                         target_name, payload, expression, time_zone, overlap, catch_up, paused,
                         next_tick_at, created_at, updated_at)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(&r.tenant_id)
                .bind(r.schedule_id)
                .bind(&r.name)
                .bind(&r.target_kind)
                .bind(&r.target_name)
                .bind(&r.payload)
                .bind(&r.expression)
                .bind(&r.time_zone)
                .bind(&r.overlap)
                .bind(&r.catch_up)
                .bind(r.paused)
                .bind(r.next_tick_at)
                .bind(r.created_at)
                .bind(r.updated_at)
                .execute(&self.$writer)
                .await?;
                Ok(())
            }

            async fn get_cron_schedule(
                &self,
                tenant: &TenantId,
                id: Uuid,
            ) -> StoreResult<Option<CronScheduleRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {CRON_COLUMNS} from cron_schedules
                     where tenant_id = $1 and schedule_id = $2"
                ))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn list_cron_schedules(
                &self,
                tenant: &TenantId,
            ) -> StoreResult<Vec<CronScheduleRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {CRON_COLUMNS} from cron_schedules where tenant_id = $1
                     order by name"
                ))
                .bind(tenant)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn update_cron_schedule(&self, r: &CronScheduleRow) -> StoreResult<bool> {
                let done = sqlx::query(
                    "update cron_schedules set name = $3, target_kind = $4, target_name = $5,
                         payload = $6, expression = $7, time_zone = $8, overlap = $9,
                         catch_up = $10, paused = $11, next_tick_at = $12, updated_at = $13,
                         lease_owner = null, lease_expires_at = null
                     where tenant_id = $1 and schedule_id = $2",
                )
                .bind(&r.tenant_id)
                .bind(r.schedule_id)
                .bind(&r.name)
                .bind(&r.target_kind)
                .bind(&r.target_name)
                .bind(&r.payload)
                .bind(&r.expression)
                .bind(&r.time_zone)
                .bind(&r.overlap)
                .bind(&r.catch_up)
                .bind(r.paused)
                .bind(r.next_tick_at)
                .bind(r.updated_at)
                .execute(&self.$writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_cron_schedule(&self, tenant: &TenantId, id: Uuid) -> StoreResult<bool> {
                let done = sqlx::query(
                    "delete from cron_schedules where tenant_id = $1 and schedule_id = $2",
                )
                .bind(tenant)
                .bind(id)
                .execute(&self.$writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn claim_due_cron_schedules(
                &self,
                owner: &str,
                now: DateTime<Utc>,
                until: DateTime<Utc>,
                limit: i64,
            ) -> StoreResult<Vec<CronScheduleRow>> {
                // The outer guard repeats the inner one: a row another ticker
                // claimed between the two is left alone.
                let sql = format!(
                    "update cron_schedules set lease_owner = $1, lease_expires_at = $3
                     where (tenant_id, schedule_id) in (
                         select tenant_id, schedule_id from cron_schedules
                         where not paused and next_tick_at <= $2
                           and (lease_expires_at is null or lease_expires_at <= $2)
                         order by next_tick_at
                         limit $4 {lock}
                     )
                       and not paused and next_tick_at <= $2
                       and (lease_expires_at is null or lease_expires_at <= $2)
                     returning {CRON_COLUMNS}",
                    lock = $lock,
                );
                Ok(sqlx::query_as(&sql)
                    .bind(owner)
                    .bind(now)
                    .bind(until)
                    .bind(limit)
                    .fetch_all(&self.$writer)
                    .await?)
            }

            async fn finish_cron_tick(
                &self,
                tenant: &TenantId,
                id: Uuid,
                owner: &str,
                done: &TickDone,
            ) -> StoreResult<bool> {
                let updated = sqlx::query(
                    "update cron_schedules set next_tick_at = $5, last_tick_at = $6,
                         last_run_id = coalesce($7, last_run_id), last_outcome = $8,
                         lease_owner = null, lease_expires_at = null
                     where tenant_id = $1 and schedule_id = $2 and lease_owner = $3
                       and next_tick_at = $4 and not paused",
                )
                .bind(tenant)
                .bind(id)
                .bind(owner)
                .bind(done.expected_next)
                .bind(done.next_tick_at)
                .bind(done.tick)
                .bind(done.run_id)
                .bind(&done.outcome)
                .execute(&self.$writer)
                .await?;
                Ok(updated.rows_affected() == 1)
            }

            async fn release_cron_schedule(
                &self,
                tenant: &TenantId,
                id: Uuid,
                owner: &str,
            ) -> StoreResult<()> {
                sqlx::query(
                    "update cron_schedules set lease_owner = null, lease_expires_at = null
                     where tenant_id = $1 and schedule_id = $2 and lease_owner = $3",
                )
                .bind(tenant)
                .bind(id)
                .bind(owner)
                .execute(&self.$writer)
                .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use cron_store;
