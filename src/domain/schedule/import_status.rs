//! One import per hospital at a time: claiming the hospital's import slot, and
//! reading its status, both reconciled with the engine's record of the import's run.
//!
//! The import phases set the status themselves (phase 1 `FAILED` when it cannot
//! create a version, phase 3 `COMPLETED`). A run can still end without a phase saying
//! so (cancelled, or a replica died between the status write and the run's end), so a
//! status that says `IN_PROGRESS` while its run is final is corrected from the run
//! (`CANCELLED` for a cancelled run), and a claim whose run was never submitted
//! expires after `stale_after`. Every way a run starts takes the slot: the upload
//! route before it submits, a retry before it requeues, and the import's first phase
//! for its own run (so a run submitted through the generic endpoint cannot run beside
//! another import either).

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::{
    ImportClaim, ImportState, ImportStatusRow, RunId, RunStatus, Store, StoreResult, TenantId,
};

/// Claims the hospital's import slot for `import` (and its `run`, once known),
/// ending a stale holder first. Claiming again for the import in progress succeeds.
pub async fn claim(
    store: &dyn Store,
    tenant: &TenantId,
    hospital: Uuid,
    import: Uuid,
    run: Option<RunId>,
    now: DateTime<Utc>,
    stale_after: Duration,
) -> StoreResult<ImportClaim> {
    // Two rounds: the second claim follows the reconciliation of a stale holder.
    let mut claim = store
        .claim_import(tenant, hospital, import, run, now)
        .await?;
    if let ImportClaim::Busy(holder) = &claim
        && reconcile(store, tenant, holder, now, stale_after).await?
    {
        claim = store
            .claim_import(tenant, hospital, import, run, now)
            .await?;
    }
    Ok(claim)
}

/// Why a hospital's import slot is taken, for a `409`'s detail.
pub fn busy_detail(holder: &ImportStatusRow) -> String {
    let run = holder
        .run_id
        .map(|r| format!(", run {r}"))
        .unwrap_or_default();
    format!(
        "Import {}{run} for this hospital is in progress since {}; wait for it to finish.",
        holder.import_id,
        holder.started_at.to_rfc3339(),
    )
}

/// The hospital's status as it really is; `None` when it never imported.
pub async fn current(
    store: &dyn Store,
    tenant: &TenantId,
    hospital: Uuid,
    now: DateTime<Utc>,
    stale_after: Duration,
) -> StoreResult<Option<ImportStatusRow>> {
    let Some(row) = store.get_import_status(tenant, hospital).await? else {
        return Ok(None);
    };
    if reconcile(store, tenant, &row, now, stale_after).await? {
        return store.get_import_status(tenant, hospital).await;
    }
    Ok(Some(row))
}

/// Ends an `IN_PROGRESS` import whose run is over or never started; true when it did.
async fn reconcile(
    store: &dyn Store,
    tenant: &TenantId,
    row: &ImportStatusRow,
    now: DateTime<Utc>,
    stale_after: Duration,
) -> StoreResult<bool> {
    if row.status != ImportState::InProgress {
        return Ok(false);
    }
    let expired =
        now - row.started_at > chrono::Duration::from_std(stale_after).unwrap_or_default();
    let (state, at) = match row.run_id {
        Some(run_id) => match store.get_run(tenant, run_id).await? {
            Some(run) if run.status.is_final() => {
                (final_state(run.status), run.finished_at.unwrap_or(now))
            }
            Some(_) => return Ok(false),
            None if expired => (ImportState::Failed, now),
            None => return Ok(false),
        },
        None if expired => (ImportState::Failed, now),
        None => return Ok(false),
    };
    let ended = store
        .finish_import(tenant, row.hospital_id, row.import_id, state, at)
        .await?;
    if ended {
        tracing::info!(
            import.id = %row.import_id,
            status = state.as_str(),
            "import status corrected from its run"
        );
    }
    // Someone else may have ended it meanwhile; either way it is no longer ours to wait for.
    Ok(true)
}

/// The import status a final run stands for: only a completed run created a version
/// and finished every phase; a cancelled one says so, whether or not its version
/// was created before the cancellation.
pub fn final_state(run: RunStatus) -> ImportState {
    match run {
        RunStatus::Completed => ImportState::Completed,
        RunStatus::Cancelled => ImportState::Cancelled,
        _ => ImportState::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_completed_run_is_a_completed_import() {
        assert_eq!(final_state(RunStatus::Completed), ImportState::Completed);
        assert_eq!(final_state(RunStatus::Failed), ImportState::Failed);
        assert_eq!(final_state(RunStatus::Cancelled), ImportState::Cancelled);
    }
}
