//! A version's life after its import: publishing a draft (the version published
//! before for the same period becomes superseded) and refreshing its assignments
//! and coverage as a run of `schedule-assignments-refresh`. Neither applies while
//! the import that creates the version still runs.

use std::time::Duration;

use serde_json::Value;
use uuid::Uuid;

use super::{ImportInput, REFRESH_WORKFLOW};
use crate::domain::schedule::import_status;
use crate::engine::{Engine, EngineError, RunOptions, Submission, Submitted};
use crate::store::{ImportState, Published, RunId, StoreError, TenantId, VersionRow};

/// Why a version change was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    /// The tenant has no such version.
    #[error("the schedule version is unknown")]
    NotFound,
    /// The version is in a state the change does not apply to; the text says why.
    #[error("{0}")]
    Conflict(String),
    /// The engine refused (a full queue, a stopping replica, ...).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that cannot happen did: a bug.
    #[error("{0}")]
    Unexpected(&'static str),
}

/// The tenant's version `id`.
async fn version(engine: &Engine, tenant: &TenantId, id: Uuid) -> Result<VersionRow, VersionError> {
    engine
        .store()
        .get_version(tenant, id)
        .await?
        .ok_or(VersionError::NotFound)
}

/// Refused while the import that creates `v` still runs (its assignments and
/// coverage are not in yet). `stale_after` is how long an import may go without
/// news before it no longer counts as running.
async fn import_finished(
    engine: &Engine,
    tenant: &TenantId,
    v: &VersionRow,
    stale_after: Duration,
) -> Result<(), VersionError> {
    let store = engine.store();
    let status = import_status::current(
        store.as_ref(),
        tenant,
        v.hospital_id,
        engine.clock().now(),
        stale_after,
    )
    .await?;
    match status {
        Some(s) if s.status == ImportState::InProgress && s.import_id == v.upload_id => {
            Err(VersionError::Conflict(
                "The import of this version is still in progress; wait for it to finish.".into(),
            ))
        }
        _ => Ok(()),
    }
}

/// Publishes draft `id` by `subject`; answers the published version and the
/// versions it superseded. Refused when it is not a draft, its import still runs,
/// or a published version of another period shares days with it.
pub async fn publish_version(
    engine: &Engine,
    tenant: &TenantId,
    id: Uuid,
    subject: &str,
    stale_after: Duration,
) -> Result<(VersionRow, Vec<Uuid>), VersionError> {
    let v = version(engine, tenant, id).await?;
    import_finished(engine, tenant, &v, stale_after).await?;
    let now = engine.clock().now();
    let outcome = engine
        .store()
        .publish_version(tenant, v.version_id, subject, now)
        .await;
    let superseded = match outcome {
        Ok(Published::Published { superseded }) => superseded,
        Ok(Published::NotFound) => return Err(VersionError::NotFound),
        Ok(Published::NotDraft(status)) => {
            return Err(VersionError::Conflict(format!(
                "Only a draft can be published; this version is {status}."
            )));
        }
        Ok(Published::Overlaps(other)) => {
            return Err(VersionError::Conflict(format!(
                "Published version {other} of this hospital covers some of the same days over another period; one published version per hospital and period."
            )));
        }
        // Another version of the same period was published at the same moment.
        Err(StoreError::Conflict(_)) => {
            return Err(VersionError::Conflict(
                "Another version of this period was published at the same time; read the hospital's versions and try again.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(version.id = %v.version_id, superseded = superseded.len(), "schedule version published");
    let published = version(engine, tenant, id).await?;
    Ok((published, superseded))
}

/// Starts a run fetching version `id`'s assignments again and recalculating its
/// coverage; answers the version and the run. Refused while its import still runs.
pub async fn refresh_assignments(
    engine: &Engine,
    tenant: &TenantId,
    id: Uuid,
    stale_after: Duration,
) -> Result<(VersionRow, RunId), VersionError> {
    let v = version(engine, tenant, id).await?;
    import_finished(engine, tenant, &v, stale_after).await?;
    let input = ImportInput {
        upload_id: v.upload_id,
        hospital_id: v.hospital_id,
        period_start: None,
        period_end: None,
        version_id: Some(v.version_id),
    };
    let submission = Submission {
        tenant: tenant.clone(),
        workflow: REFRESH_WORKFLOW.to_string(),
        input: serde_json::to_value(&input).unwrap_or(Value::Null),
        options: RunOptions::default(),
        idempotency_key: None,
        correlation_id: Some(v.upload_id.to_string()),
        fingerprint: None,
    };
    let Submitted::Run { run_id, .. } = engine.submit(submission, Duration::ZERO).await? else {
        return Err(VersionError::Unexpected(
            "an assignment refresh became a dry run",
        ));
    };
    Ok((v, run_id))
}
