//! Pausing and resuming runs, and a tenant's workflows.

use super::{Engine, EngineError, EngineResult, RunView};
use crate::store::{RunId, RunStatus, TenantId};

impl Engine {
    /// Pauses a run: one no replica holds is held at once; a running one lets its
    /// current attempts finish and commit, then parks, and is claimed by nobody
    /// until [`Engine::resume`].
    pub async fn pause(&self, tenant: &TenantId, run: RunId) -> EngineResult<RunView> {
        let current = self.get(tenant, run).await?.ok_or(EngineError::NotFound)?;
        if current.status.is_final() {
            return Err(EngineError::InvalidState(format!(
                "the run is already {}",
                current.status
            )));
        }
        match self.inner.store.request_pause(tenant, run).await? {
            // Finished meanwhile.
            None => {}
            // Executing here: the notice would tell this replica too, but later.
            Some(RunStatus::Running) => self.inner.pause_local(run, true),
            Some(_) => {}
        }
        self.get(tenant, run).await?.ok_or(EngineError::NotFound)
    }

    /// Resumes a paused run: it is claimable again at once, and timers that came
    /// due while it was held fire then. Resuming a run that is not paused changes
    /// nothing.
    pub async fn resume(&self, tenant: &TenantId, run: RunId) -> EngineResult<RunView> {
        let current = self.get(tenant, run).await?.ok_or(EngineError::NotFound)?;
        if current.status.is_final() {
            return Err(EngineError::InvalidState(format!(
                "the run is already {}",
                current.status
            )));
        }
        if current.pause_requested {
            self.inner.store.resume_run(tenant, run).await?;
            // Still finishing its attempts here: it goes on instead of parking.
            self.inner.pause_local(run, false);
            self.poke();
        }
        self.get(tenant, run).await?.ok_or(EngineError::NotFound)
    }

    /// Pauses or resumes a workflow (built-in or the tenant's own) for a tenant:
    /// while paused, its new and queued runs stay queued (runs already under way go
    /// on), whether submitted or started by the tenant's triggers.
    pub async fn set_workflow_paused(
        &self,
        tenant: &TenantId,
        workflow: &str,
        paused: bool,
    ) -> EngineResult<()> {
        // A built-in workflow or one the tenant defined.
        if self.definition(tenant, workflow, None).await?.is_none() {
            return Err(EngineError::UnknownWorkflow(workflow.to_string()));
        }
        let now = self.inner.clock.now();
        self.inner
            .store
            .set_workflow_paused(tenant, workflow, paused, now)
            .await?;
        if !paused {
            self.poke();
        }
        Ok(())
    }
}
