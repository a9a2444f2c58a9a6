//! Reading the attempt history, written once for both SQL backends (the writes
//! differ: PostgreSQL folds them into the commit statement, SQLite applies them in
//! the commit's transaction).

/// Implements `AttemptStore` for a backend, reading on its `reader` pool.
macro_rules! attempt_store {
    ($store:ty, reader: $reader:ident) => {
        #[async_trait::async_trait]
        impl $crate::store::AttemptStore for $store {
            async fn step_attempts(
                &self,
                tenant: &$crate::store::TenantId,
                run: $crate::store::RunId,
            ) -> $crate::store::StoreResult<Vec<$crate::store::StepAttemptRow>> {
                Ok(sqlx::query_as(
                    "select step_name, attempt, started_at, ended_at, outcome, error, replica
                     from step_attempts where tenant_id = $1 and run_id = $2
                     order by step_name, attempt_id",
                )
                .bind(tenant)
                .bind(run)
                .fetch_all(&self.$reader)
                .await?)
            }
        }
    };
}

pub(crate) use attempt_store;
