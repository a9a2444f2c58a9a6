//! Pausing runs and, per tenant, workflows. A paused run keeps its status and is
//! left out of claims until resumed; a paused workflow's queued runs are left out
//! of claims for that tenant.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{RunId, RunStatus, StoreResult, TenantId};

/// Storage of pauses.
#[async_trait]
pub trait PauseStore {
    /// Flags an unfinished run as paused, and tells its holder when it is running
    /// (its current attempts finish, then it parks). Returns the run's status, or
    /// `None` when the tenant has no such unfinished run.
    async fn request_pause(&self, tenant: &TenantId, run: RunId) -> StoreResult<Option<RunStatus>>;

    /// Clears a run's pause; claimable again at once (its timers keep their times).
    /// False when the tenant has no such run.
    async fn resume_run(&self, tenant: &TenantId, run: RunId) -> StoreResult<bool>;

    /// Pauses or resumes a workflow for a tenant.
    async fn set_workflow_paused(
        &self,
        tenant: &TenantId,
        workflow: &str,
        paused: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The workflows the tenant has paused.
    async fn paused_workflows(&self, tenant: &TenantId) -> StoreResult<Vec<String>>;

    /// True when the tenant has paused this workflow.
    async fn is_workflow_paused(&self, tenant: &TenantId, workflow: &str) -> StoreResult<bool>;
}
