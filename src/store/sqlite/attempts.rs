//! The attempt history in SQLite: marks applied in order inside the caller's
//! transaction.

use sqlx::types::Json;
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

use super::SqliteStore;
use crate::store::{AttemptMark, RunId, StepWrite, StoreResult, TenantId};

/// Applies the attempt marks of `steps`, in order, for attempts run by `replica`.
pub(super) async fn apply_marks(
    tx: &mut Transaction<'_, Sqlite>,
    tenant: &TenantId,
    run: RunId,
    replica: &str,
    steps: &[StepWrite],
) -> StoreResult<()> {
    for s in steps {
        for mark in &s.attempt_marks {
            match mark {
                AttemptMark::Started { attempt, at } => {
                    sqlx::query(
                        "insert into step_attempts (tenant_id, run_id, step_name, attempt_id,
                                                    attempt, started_at, replica)
                         values ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(tenant)
                    .bind(run)
                    .bind(&s.name)
                    .bind(Uuid::now_v7())
                    .bind(attempt)
                    .bind(at)
                    .bind(replica)
                    .execute(&mut **tx)
                    .await?;
                }
                AttemptMark::Ended {
                    attempt,
                    at,
                    outcome,
                    error,
                } => {
                    sqlx::query(
                        "update step_attempts set ended_at = $5, outcome = $6, error = $7
                         where tenant_id = $1 and run_id = $2 and step_name = $3
                           and attempt = $4 and ended_at is null",
                    )
                    .bind(tenant)
                    .bind(run)
                    .bind(&s.name)
                    .bind(attempt)
                    .bind(at)
                    .bind(outcome.as_str())
                    .bind(error.as_ref().map(Json))
                    .execute(&mut **tx)
                    .await?;
                }
                AttemptMark::GivenBack { attempt } => {
                    sqlx::query(
                        "delete from step_attempts
                         where tenant_id = $1 and run_id = $2 and step_name = $3
                           and attempt = $4 and ended_at is null",
                    )
                    .bind(tenant)
                    .bind(run)
                    .bind(&s.name)
                    .bind(attempt)
                    .execute(&mut **tx)
                    .await?;
                }
            }
        }
    }
    Ok(())
}

crate::store::shared_sql::attempt_store!(SqliteStore, reader: reader);
