//! One import per hospital, whichever way a run starts: a retry takes the hospital's
//! import slot back before the engine requeues the run (`409` while another import
//! holds it), and the first phase takes it for its own run, which covers runs
//! submitted through the generic endpoint.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::ImportInput;
use crate::domain::schedule::import_status;
use crate::engine::{EngineError, EngineResult, RestartGuard, RunView};
use crate::store::{ImportClaim, RunId, Store, StoreResult, TenantId};

/// The schedule import's [`RestartGuard`].
pub(super) struct OneImportPerHospital {
    pub(super) store: std::sync::Arc<dyn Store>,
    /// How long a claim may go without a run before it counts as abandoned.
    pub(super) stale_after: Duration,
    pub(super) clock: std::sync::Arc<dyn crate::engine::Clock>,
}

#[async_trait]
impl RestartGuard for OneImportPerHospital {
    async fn before_retry(&self, tenant: &TenantId, run: &RunView) -> EngineResult<()> {
        // An input that is no import fails in its first phase; nothing to hold.
        let Ok(input) = serde_json::from_value::<ImportInput>(run.input.clone()) else {
            return Ok(());
        };
        let now = self.clock.now();
        match take_slot(
            self.store.as_ref(),
            tenant,
            &input,
            run.run_id,
            now,
            self.stale_after,
        )
        .await?
        {
            ImportClaim::Claimed => Ok(()),
            ImportClaim::Busy(holder) => Err(EngineError::InvalidState(
                import_status::busy_detail(&holder),
            )),
        }
    }
}

/// Claims the hospital's slot for the run's import (again, when it already holds it).
pub(super) async fn take_slot(
    store: &dyn Store,
    tenant: &TenantId,
    input: &ImportInput,
    run: RunId,
    now: DateTime<Utc>,
    stale_after: Duration,
) -> StoreResult<ImportClaim> {
    import_status::claim(
        store,
        tenant,
        input.hospital_id,
        input.upload_id,
        Some(run),
        now,
        stale_after,
    )
    .await
}
