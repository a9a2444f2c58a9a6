//! Reading the attempt history, written once for both SQL backends (the writes
//! differ: PostgreSQL folds them into the commit statement, SQLite applies them in
//! the commit's transaction).

/// The latest attempt of each of run `$2`'s steps that has one (tenant `$1`), as
/// `(step_name, attempt)`: the JSON kept on the step row.
pub(crate) const LATEST_ATTEMPTS: &str = "select step_name, attempt from step_runs
     where tenant_id = $1 and run_id = $2 and attempt is not null";

/// Implements `AttemptStore` for a backend, reading on its `reader` pool: the
/// attempts a newer one superseded (the `step_attempts` table) with each step's
/// latest one (its row's `attempt`), by step and then in start order.
macro_rules! attempt_store {
    ($store:ty, reader: $reader:ident) => {
        #[async_trait::async_trait]
        impl $crate::store::AttemptStore for $store {
            async fn step_attempts(
                &self,
                tenant: &$crate::store::TenantId,
                run: $crate::store::RunId,
            ) -> $crate::store::StoreResult<Vec<$crate::store::StepAttemptRow>> {
                // The step rows first: a commit that starts a newer attempt between
                // the two reads moves the one read here into the table, where the
                // second read finds it again (and the copy read second, which
                // carries any end recorded with the move, is kept); read the other
                // way round, that attempt would be in neither.
                let latest: Vec<(String, sqlx::types::Json<$crate::store::CurrentAttempt>)> =
                    sqlx::query_as($crate::store::shared_sql::attempts::LATEST_ATTEMPTS)
                        .bind(tenant)
                        .bind(run)
                        .fetch_all(&self.$reader)
                        .await?;
                let mut rows: Vec<$crate::store::StepAttemptRow> = sqlx::query_as(
                    "select step_name, attempt_id, attempt, started_at, ended_at, outcome,
                            error, replica
                     from step_attempts where tenant_id = $1 and run_id = $2",
                )
                .bind(tenant)
                .bind(run)
                .fetch_all(&self.$reader)
                .await?;
                for (step, a) in latest {
                    if !rows.iter().any(|r| r.attempt_id == a.0.id) {
                        rows.push(a.0.into_row(&step));
                    }
                }
                rows.sort_by(|a, b| {
                    (&a.step_name, a.attempt_id).cmp(&(&b.step_name, b.attempt_id))
                });
                Ok(rows)
            }
        }
    };
}

pub(crate) use attempt_store;
