//! Runs and steps, written once for both SQL backends: reading a run and its steps,
//! listing and counting runs, the queue's figures, renewing leases, and the row
//! changes of cancelling and re-queuing a run. What each backend does its own way
//! is [`RunWrites`]: inserting a run, claiming, committing progress and appending
//! events (PostgreSQL folds each into one statement, SQLite runs them one by one on
//! its single writer), and how a backend tells the other replicas (NOTIFY, or
//! in-process).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::store::{
    CommitOutcome, InsertRun, LeaseRef, NewEvent, NewRun, Notice, RunId, RunStatus, RunUpdate,
    StepWrite, StoreResult, TenantId,
};

/// Columns of `RunRow`, in order.
pub(crate) const RUN_COLUMNS: &str = "tenant_id, run_id, workflow, workflow_version, status, \
     input, options, idempotency_key, correlation_id, error, created_at, started_at, \
     finished_at, ready_at, lease_owner, lease_epoch, lease_expires_at, cancel_requested, \
     pause_requested, trace_parent, priority";

/// Extends the leases of the runs replica `$1` executes to `$2`.
pub(crate) const RENEW_LEASES: &str = "update runs set lease_expires_at = $2, ready_at = $2
     where lease_owner = $1 and status = 'running'";

/// The `RunStore` methods a backend writes its own way, under the same names and
/// with the same meaning (see `RunStore`); [`run_store`] calls them.
#[async_trait]
pub(crate) trait RunWrites {
    /// See `RunStore::insert_run`.
    async fn insert_run(&self, run: &NewRun) -> StoreResult<InsertRun>;

    /// See `RunStore::claim_runs`.
    async fn claim_runs(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<crate::store::RunRow>>;

    /// See `RunStore::commit_progress`.
    async fn commit_progress(
        &self,
        lease: &LeaseRef,
        run: &RunUpdate,
        steps: &[StepWrite],
        events: &[NewEvent],
        notices: &[Notice],
    ) -> StoreResult<CommitOutcome>;

    /// See `RunStore::renew_leases`.
    async fn renew_leases(&self, owner: &str, lease_until: DateTime<Utc>) -> StoreResult<u64>;

    /// See `RunStore::release_leases`.
    async fn release_leases(&self, owner: &str, now: DateTime<Utc>) -> StoreResult<u64>;

    /// See `RunStore::request_cancel`; the rows change through `cancel_in`.
    async fn request_cancel(
        &self,
        tenant: &TenantId,
        run: RunId,
        now: DateTime<Utc>,
        events: &[NewEvent],
    ) -> StoreResult<Option<RunStatus>>;

    /// See `RunStore::requeue_run`; the rows change through `requeue_in`.
    async fn requeue_run(
        &self,
        tenant: &TenantId,
        run: RunId,
        now: DateTime<Utc>,
        events: &[NewEvent],
    ) -> StoreResult<bool>;
}

/// The notice that tells a cancelled run's waiters it ended, or a running run's
/// holder that a cancel was asked for.
pub(crate) fn cancel_notice(tenant: &TenantId, run: RunId, status: RunStatus) -> Notice {
    match status {
        RunStatus::Cancelled => Notice::RunFinished {
            tenant: tenant.to_string(),
            run: run.0,
        },
        _ => Notice::CancelRequested {
            tenant: tenant.to_string(),
            run: run.0,
        },
    }
}

/// Implements `RunStore` for a backend: the shared statements on its `writer` and
/// `reader` pools, the rest through its [`RunWrites`]. `db` is the backend's database
/// type; `statuses` selects the status names of a JSON array in `$9`, in the
/// backend's dialect. The invoking module gets `count_due` (the figures the queue's
/// bounds apply to), `cancel_in` and `requeue_in` (a cancel's and a re-queue's row
/// changes, inside the caller's transaction).
macro_rules! run_store {
    (
        $store:ty, writer: $writer:ident, reader: $reader:ident, db: $db:ty,
        statuses: $statuses:literal
    ) => {
        /// Runs queued and due at `now`: all tenants', and `tenant`'s. A run due at
        /// its submission counts whatever `now` is, so a replica whose clock lags
        /// another's still counts the runs the other just admitted.
        async fn count_due<'e, E>(
            db: E,
            tenant: &$crate::store::TenantId,
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::StoreResult<(i64, i64)>
        where
            E: sqlx::Executor<'e, Database = $db>,
        {
            Ok(sqlx::query_as(
                "select count(*), count(case when tenant_id = $1 then 1 end) from runs
                 where status = 'queued' and (ready_at <= $2 or ready_at <= created_at)",
            )
            .bind(tenant)
            .bind(now)
            .fetch_one(db)
            .await?)
        }

        /// Cancels a run no replica holds (queued, sleeping, waiting) at once: its
        /// unfinished steps are skipped and its open attempts closed (a step left
        /// `running` by a replica that stopped had its attempt open). A running run
        /// is flagged for its holder. Returns the run's status afterwards.
        async fn cancel_in(
            tx: &mut sqlx::Transaction<'_, $db>,
            tenant: &$crate::store::TenantId,
            run: $crate::store::RunId,
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::StoreResult<Option<$crate::store::RunStatus>> {
            let status: Option<String> = sqlx::query_scalar(
                "update runs set
                    cancel_requested = (status = 'running') or cancel_requested,
                    finished_at = case when status in ('queued', 'sleeping', 'waiting')
                                       then $3 else finished_at end,
                    ready_at = case when status in ('queued', 'sleeping', 'waiting')
                                    then null else ready_at end,
                    status = case when status in ('queued', 'sleeping', 'waiting')
                                  then 'cancelled' else status end
                 where tenant_id = $1 and run_id = $2
                 returning status",
            )
            .bind(tenant)
            .bind(run)
            .bind(now)
            .fetch_optional(&mut **tx)
            .await?;
            let Some(status) = status else {
                return Ok(None);
            };
            let status: $crate::store::RunStatus = status
                .parse()
                .map_err($crate::store::StoreError::Corrupt)?;
            if status == $crate::store::RunStatus::Cancelled {
                sqlx::query(
                    "update step_runs set status = 'skipped', skip_reason = 'run cancelled',
                        wake_at = null
                     where tenant_id = $1 and run_id = $2
                       and status in ('pending', 'running', 'sleeping')",
                )
                .bind(tenant)
                .bind(run)
                .execute(&mut **tx)
                .await?;
                sqlx::query(
                    "update step_attempts set ended_at = $3, outcome = 'cancelled'
                     where tenant_id = $1 and run_id = $2 and ended_at is null",
                )
                .bind(tenant)
                .bind(run)
                .bind(now)
                .execute(&mut **tx)
                .await?;
                // The steps' latest attempts, kept on their rows: JSON, closed here
                // rather than in each backend's JSON dialect.
                let latest: Vec<(String, sqlx::types::Json<$crate::store::CurrentAttempt>)> =
                    sqlx::query_as($crate::store::shared_sql::attempts::LATEST_ATTEMPTS)
                    .bind(tenant)
                    .bind(run)
                    .fetch_all(&mut **tx)
                    .await?;
                for (step, mut attempt) in latest {
                    if attempt.0.ended_at.is_some() {
                        continue;
                    }
                    attempt.0.ended_at = Some(now);
                    attempt.0.outcome =
                        Some($crate::store::AttemptOutcome::Cancelled.as_str().to_string());
                    sqlx::query(
                        "update step_runs set attempt = $4
                         where tenant_id = $1 and run_id = $2 and step_name = $3",
                    )
                    .bind(tenant)
                    .bind(run)
                    .bind(step)
                    .bind(attempt)
                    .execute(&mut **tx)
                    .await?;
                }
            }
            Ok(Some(status))
        }

        /// Puts a failed or cancelled run back in the queue, due at `now`, its
        /// failed, skipped and unfinished steps pending again and its completed ones
        /// kept. False (nothing changed) when the run is in no such state.
        async fn requeue_in(
            tx: &mut sqlx::Transaction<'_, $db>,
            tenant: &$crate::store::TenantId,
            run: $crate::store::RunId,
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::store::StoreResult<bool> {
            let done = sqlx::query(
                "update runs set status = 'queued', ready_at = $3, finished_at = null,
                    error = null, cancel_requested = false, lease_owner = null,
                    lease_expires_at = null
                 where tenant_id = $1 and run_id = $2 and status in ('failed', 'cancelled')",
            )
            .bind(tenant)
            .bind(run)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            sqlx::query(
                "update step_runs set status = 'pending', attempts = 0, started_at = null,
                    finished_at = null, duration_ms = null, error = null, messages = null,
                    skip_reason = null, wake_at = null, wait = null
                 where tenant_id = $1 and run_id = $2 and status <> 'completed'",
            )
            .bind(tenant)
            .bind(run)
            .execute(&mut **tx)
            .await?;
            Ok(true)
        }

        #[async_trait::async_trait]
        impl $crate::store::RunStore for $store {
            async fn insert_run(
                &self,
                run: &$crate::store::NewRun,
            ) -> $crate::store::StoreResult<$crate::store::InsertRun> {
                $crate::store::shared_sql::runs::RunWrites::insert_run(self, run).await
            }

            async fn claim_runs(
                &self,
                owner: &str,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::RunRow>> {
                $crate::store::shared_sql::runs::RunWrites::claim_runs(
                    self,
                    owner,
                    now,
                    lease_until,
                    limit,
                )
                .await
            }

            async fn commit_progress(
                &self,
                lease: &$crate::store::LeaseRef,
                run: &$crate::store::RunUpdate,
                steps: &[$crate::store::StepWrite],
                events: &[$crate::store::NewEvent],
                notices: &[$crate::store::Notice],
            ) -> $crate::store::StoreResult<$crate::store::CommitOutcome> {
                $crate::store::shared_sql::runs::RunWrites::commit_progress(
                    self, lease, run, steps, events, notices,
                )
                .await
            }

            async fn renew_leases(
                &self,
                owner: &str,
                lease_until: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<u64> {
                $crate::store::shared_sql::runs::RunWrites::renew_leases(self, owner, lease_until)
                    .await
            }

            async fn release_leases(
                &self,
                owner: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<u64> {
                $crate::store::shared_sql::runs::RunWrites::release_leases(self, owner, now).await
            }

            async fn get_run(
                &self,
                tenant: &$crate::store::TenantId,
                run: $crate::store::RunId,
            ) -> $crate::store::StoreResult<Option<$crate::store::RunRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {} from runs where tenant_id = $1 and run_id = $2",
                    $crate::store::shared_sql::runs::RUN_COLUMNS
                ))
                .bind(tenant)
                .bind(run)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn get_steps(
                &self,
                tenant: &$crate::store::TenantId,
                run: $crate::store::RunId,
            ) -> $crate::store::StoreResult<Vec<$crate::store::StepRow>> {
                Ok(sqlx::query_as(
                    "select step_name, position, status, attempts, started_at, finished_at,
                            duration_ms, output, error, messages, skip_reason, wake_at, wait,
                            attempt
                     from step_runs where tenant_id = $1 and run_id = $2 order by position",
                )
                .bind(tenant)
                .bind(run)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn list_runs(
                &self,
                tenant: &$crate::store::TenantId,
                filter: &$crate::store::RunFilter,
            ) -> $crate::store::StoreResult<Vec<$crate::store::RunRow>> {
                let listed = $crate::store::runs::LISTED_STATUS;
                Ok(sqlx::query_as(&format!(
                    "select {} from runs
                     where tenant_id = $1
                       and ($2 is null or workflow = $2)
                       and ($3 is null or {listed} = $3)
                       and ($4 is null or run_id < $4)
                       and ($6 is null or correlation_id = $6)
                       and ($7 is null or created_at >= $7)
                       and ($8 is null or created_at < $8)
                       and ($9 is null or {listed} in ({}))
                       and ($10 is null or priority = $10)
                     order by run_id desc
                     limit $5",
                    $crate::store::shared_sql::runs::RUN_COLUMNS,
                    $statuses
                ))
                .bind(tenant)
                .bind(&filter.workflow)
                .bind(filter.status.map(|s| s.as_str()))
                .bind(filter.before)
                .bind(filter.limit)
                .bind(&filter.correlation_id)
                .bind(filter.created_from)
                .bind(filter.created_until)
                .bind((!filter.statuses.is_empty()).then(|| {
                    serde_json::Value::from(
                        filter
                            .statuses
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>(),
                    )
                    .to_string()
                }))
                .bind(filter.priority)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn active_run_counts(
                &self,
                tenant: &$crate::store::TenantId,
            ) -> $crate::store::StoreResult<Vec<($crate::store::RunStatus, i64)>> {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "select status, count(*) from runs
                     where tenant_id = $1 and status in ('queued', 'running', 'sleeping', 'waiting')
                     group by status",
                )
                .bind(tenant)
                .fetch_all(&self.$reader)
                .await?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(status, n)| Some((status.parse().ok()?, n)))
                    .collect())
            }

            async fn count_queued(
                &self,
                tenant: &$crate::store::TenantId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<(i64, i64)> {
                count_due(&self.$reader, tenant, now).await
            }

            async fn queue_stats(
                &self,
            ) -> $crate::store::StoreResult<(i64, Option<chrono::DateTime<chrono::Utc>>)> {
                Ok(sqlx::query_as(
                    "select count(*), min(created_at) from runs where status = 'queued'",
                )
                .fetch_one(&self.$reader)
                .await?)
            }

            async fn due_runs(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    // What a claim would take: held runs (paused, or of a paused
                    // workflow) wait.
                    "select count(*) from runs
                     where status in ('queued', 'running', 'sleeping', 'waiting')
                       and ready_at <= $1 and not pause_requested
                       and not (status = 'queued' and exists (
                           select 1 from paused_workflows p
                           where p.tenant_id = runs.tenant_id and p.workflow = runs.workflow))",
                )
                .bind(now)
                .fetch_one(&self.$reader)
                .await?)
            }

            async fn request_cancel(
                &self,
                tenant: &$crate::store::TenantId,
                run: $crate::store::RunId,
                now: chrono::DateTime<chrono::Utc>,
                events: &[$crate::store::NewEvent],
            ) -> $crate::store::StoreResult<Option<$crate::store::RunStatus>> {
                $crate::store::shared_sql::runs::RunWrites::request_cancel(
                    self, tenant, run, now, events,
                )
                .await
            }

            async fn requeue_run(
                &self,
                tenant: &$crate::store::TenantId,
                run: $crate::store::RunId,
                now: chrono::DateTime<chrono::Utc>,
                events: &[$crate::store::NewEvent],
            ) -> $crate::store::StoreResult<bool> {
                $crate::store::shared_sql::runs::RunWrites::requeue_run(
                    self, tenant, run, now, events,
                )
                .await
            }
        }
    };
}

pub(crate) use run_store;
