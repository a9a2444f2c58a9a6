//! The storage of pauses, written once for both SQL backends; each backend says
//! how it tells the other replicas (`announce`).

/// `1` when tenant `$1` paused workflow `$2`.
pub(crate) const IS_PAUSED: &str =
    "select 1 from paused_workflows where tenant_id = $1 and workflow = $2";

/// Implements the pause store for a backend: writes on the `writer` pool, reads on
/// the `reader` pool, notices through the backend's `announce` method.
macro_rules! pause_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};

        use $crate::store::{
            Notice, PauseStore, RunId, RunStatus, StoreError, StoreResult, TenantId,
        };

        #[async_trait]
        impl PauseStore for $store {
            async fn request_pause(
                &self,
                tenant: &TenantId,
                run: RunId,
            ) -> StoreResult<Option<RunStatus>> {
                let status: Option<String> = sqlx::query_scalar(
                    "update runs set pause_requested = true
                     where tenant_id = $1 and run_id = $2
                       and status in ('queued', 'running', 'sleeping', 'waiting')
                     returning status",
                )
                .bind(tenant)
                .bind(run)
                .fetch_optional(&self.$writer)
                .await?;
                let Some(status) = status else {
                    return Ok(None);
                };
                let status: RunStatus = status.parse().map_err(StoreError::Corrupt)?;
                if status == RunStatus::Running {
                    self.announce_pause(Notice::PauseRequested {
                        tenant: tenant.to_string(),
                        run: run.0,
                    })
                    .await?;
                }
                Ok(Some(status))
            }

            async fn resume_run(&self, tenant: &TenantId, run: RunId) -> StoreResult<bool> {
                let done = sqlx::query(
                    "update runs set pause_requested = false
                     where tenant_id = $1 and run_id = $2",
                )
                .bind(tenant)
                .bind(run)
                .execute(&self.$writer)
                .await?;
                if done.rows_affected() == 1 {
                    self.announce_pause(Notice::RunsReady).await?;
                }
                Ok(done.rows_affected() == 1)
            }

            async fn set_workflow_paused(
                &self,
                tenant: &TenantId,
                workflow: &str,
                paused: bool,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                if paused {
                    sqlx::query(
                        "insert into paused_workflows (tenant_id, workflow, paused_at)
                         values ($1, $2, $3) on conflict do nothing",
                    )
                    .bind(tenant)
                    .bind(workflow)
                    .bind(now)
                    .execute(&self.$writer)
                    .await?;
                } else {
                    sqlx::query(
                        "delete from paused_workflows where tenant_id = $1 and workflow = $2",
                    )
                    .bind(tenant)
                    .bind(workflow)
                    .execute(&self.$writer)
                    .await?;
                    self.announce_pause(Notice::RunsReady).await?;
                }
                Ok(())
            }

            async fn paused_workflows(&self, tenant: &TenantId) -> StoreResult<Vec<String>> {
                Ok(sqlx::query_scalar(
                    "select workflow from paused_workflows where tenant_id = $1 order by workflow",
                )
                .bind(tenant)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn is_workflow_paused(
                &self,
                tenant: &TenantId,
                workflow: &str,
            ) -> StoreResult<bool> {
                let found: Option<i32> =
                    sqlx::query_scalar($crate::store::shared_sql::pause::IS_PAUSED)
                        .bind(tenant)
                        .bind(workflow)
                        .fetch_optional(&self.$reader)
                        .await?;
                Ok(found.is_some())
            }
        }
    };
}

pub(crate) use pause_store;
