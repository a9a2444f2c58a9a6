//! Starting an import: one import per hospital at a time. The hospital's import slot
//! is claimed in the store before anything else is written, so a second import while
//! one runs is refused on every replica; the file is kept in the store and the run's
//! input names it, so any replica can run it. A run that cannot be submitted gives
//! the slot back.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{ImportInput, WORKFLOW};
use crate::domain::schedule::import_status;
use crate::domain::schedule::period::Period;
use crate::engine::{Engine, EngineError, RunOptions, Submission, Submitted};
use crate::store::{ImportClaim, ImportState, NewUpload, RunId, StoreError, TenantId};

/// A validated upload for a hospital the tenant has.
#[derive(Debug, Clone)]
pub struct NewImport {
    /// The hospital.
    pub hospital_id: Uuid,
    /// The file's name as uploaded, if it had one.
    pub file_name: Option<String>,
    /// The .ods file.
    pub bytes: Vec<u8>,
    /// The days to import.
    pub period: Period,
    /// The Amion access code for the roster phase, if given.
    pub amion_login: Option<String>,
    /// Who uploaded it (the credential's subject).
    pub uploaded_by: String,
}

/// An import that is now running.
#[derive(Debug, Clone, Copy)]
pub struct StartedImport {
    /// The import's id (also its upload's and its correlation id).
    pub import_id: Uuid,
    /// The run doing it.
    pub run_id: RunId,
}

/// Why an import did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartImportError {
    /// Another import of the hospital is in progress; the text says which.
    #[error("{0}")]
    Busy(String),
    /// The run could not be submitted (a full queue, a stopping replica, ...).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that cannot happen did: a bug.
    #[error("{0}")]
    Unexpected(&'static str),
}

/// Claims the hospital's import slot, keeps the upload and submits the run.
/// `stale_after` is how long a claim may go without a run before it is taken for
/// abandoned (no submitting request lives longer).
pub async fn start_import(
    engine: &Engine,
    tenant: &TenantId,
    import: NewImport,
    stale_after: Duration,
) -> Result<StartedImport, StartImportError> {
    let store = engine.store();
    let clock = engine.clock();
    let hospital = import.hospital_id;
    let import_id = Uuid::now_v7();
    let claim = import_status::claim(
        store.as_ref(),
        tenant,
        hospital,
        import_id,
        None,
        clock.now(),
        stale_after,
    )
    .await?;
    if let ImportClaim::Busy(holder) = claim {
        return Err(StartImportError::Busy(import_status::busy_detail(&holder)));
    }
    let run_id = match submit(engine, tenant, import_id, import, clock.now()).await {
        Ok(run) => run,
        Err(e) => {
            // Nothing runs: the slot must not stay taken.
            if let Err(release) = store
                .finish_import(
                    tenant,
                    hospital,
                    import_id,
                    ImportState::Failed,
                    clock.now(),
                )
                .await
            {
                tracing::warn!(error = %release, "could not release the import slot");
            }
            return Err(e);
        }
    };
    store
        .attach_import_run(tenant, hospital, import_id, run_id, clock.now())
        .await?;
    tracing::info!(run.id = %run_id, import.id = %import_id, "schedule import submitted");
    Ok(StartedImport { import_id, run_id })
}

/// Keeps the upload and submits the run; returns the run's id.
async fn submit(
    engine: &Engine,
    tenant: &TenantId,
    import_id: Uuid,
    import: NewImport,
    now: DateTime<Utc>,
) -> Result<RunId, StartImportError> {
    let upload = NewUpload {
        upload_id: import_id,
        hospital_id: import.hospital_id,
        file_name: import.file_name,
        sha256: hex::encode(Sha256::digest(&import.bytes)),
        content: import.bytes,
        amion_login: import.amion_login,
        uploaded_by: import.uploaded_by,
        created_at: now,
    };
    engine.store().insert_upload(tenant, &upload).await?;
    let input = ImportInput {
        upload_id: import_id,
        hospital_id: import.hospital_id,
        period_start: import.period.start,
        period_end: import.period.end,
        version_id: None,
    };
    let submission = Submission {
        tenant: tenant.clone(),
        workflow: WORKFLOW.to_string(),
        input: serde_json::to_value(&input).unwrap_or(serde_json::Value::Null),
        options: RunOptions::default(),
        idempotency_key: Some(import_id.to_string()),
        fingerprint: None,
        correlation_id: Some(import_id.to_string()),
    };
    match engine.submit(submission, Duration::ZERO).await? {
        Submitted::Run { run_id, .. } => Ok(run_id),
        Submitted::DryRun(_) => Err(StartImportError::Unexpected(
            "a schedule import was submitted as a dry run",
        )),
    }
}
