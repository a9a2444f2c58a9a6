//! Workflows a tenant defines over the API, as stored: one row per version. A
//! version is never changed or deleted once written, so a run pinned to it always
//! finds the definition it started with.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use super::{StoreResult, TenantId};

/// One stored version of a tenant's workflow.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserWorkflowRow {
    /// Owner.
    pub tenant_id: TenantId,
    /// The workflow's name, unique within the tenant.
    pub name: String,
    /// 1 for the first `PUT`, one more for each later one.
    pub version: i32,
    /// The definition as accepted (validated JSON).
    pub definition: Json<Value>,
    /// When this version was written.
    pub created_at: DateTime<Utc>,
}

/// Storage of tenants' workflow definitions.
#[async_trait]
pub trait UserWorkflowStore {
    /// Adds the next version of `name` (1 when there is none) and returns it. Two
    /// writers racing for the same version: one of them gets
    /// [`StoreError::Conflict`](super::StoreError::Conflict).
    async fn add_user_workflow_version(
        &self,
        tenant: &TenantId,
        name: &str,
        definition: &Value,
        now: DateTime<Utc>,
    ) -> StoreResult<UserWorkflowRow>;

    /// One version of `name`, or the latest when `version` is `None`.
    async fn user_workflow(
        &self,
        tenant: &TenantId,
        name: &str,
        version: Option<i32>,
    ) -> StoreResult<Option<UserWorkflowRow>>;

    /// Every version of `name`, oldest first.
    async fn user_workflow_versions(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> StoreResult<Vec<UserWorkflowRow>>;

    /// The latest version of each of the tenant's workflows, by name.
    async fn latest_user_workflows(&self, tenant: &TenantId) -> StoreResult<Vec<UserWorkflowRow>>;
}
