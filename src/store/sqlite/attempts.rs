//! The attempt history in SQLite: what the marks of a commit write to the history
//! table (see [`replay`]), inside the caller's transaction. The steps' latest
//! attempts are written with their step rows.

use sqlx::types::Json;
use sqlx::{Sqlite, Transaction};

use super::SqliteStore;
use crate::store::attempts::replay;
use crate::store::{RunId, StepWrite, StoreResult, TenantId};

/// Writes the history rows the attempt marks of `steps`, committed by `replica`,
/// call for: attempts a newer one superseded, and ends and give-backs of attempts
/// the step row does not hold.
pub(super) async fn apply_marks(
    tx: &mut Transaction<'_, Sqlite>,
    tenant: &TenantId,
    run: RunId,
    replica: &str,
    steps: &[StepWrite],
) -> StoreResult<()> {
    for s in steps.iter().filter(|s| !s.attempt_marks.is_empty()) {
        let writes = replay(s, replica);
        for a in writes.archived {
            // A commit sent again after its reply was lost may have moved it
            // already: its id comes from the mark, so the copy is the same.
            sqlx::query(
                "insert into step_attempts (tenant_id, run_id, step_name, attempt_id, attempt,
                                            started_at, ended_at, outcome, error, replica)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 on conflict do nothing",
            )
            .bind(tenant)
            .bind(run)
            .bind(&s.name)
            .bind(a.id)
            .bind(a.attempt)
            .bind(a.started_at)
            .bind(a.ended_at)
            .bind(a.outcome)
            .bind(a.error.map(Json))
            .bind(a.replica)
            .execute(&mut **tx)
            .await?;
        }
        for (attempt, at, outcome, error) in writes.table_ends {
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
            .bind(error.map(Json))
            .execute(&mut **tx)
            .await?;
        }
        for attempt in writes.table_backs {
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
    Ok(())
}

crate::store::shared_sql::attempt_store!(SqliteStore, reader: reader);
