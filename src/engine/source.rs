//! Where the engine finds workflows that are not compiled in: a tenant's own,
//! defined over the API and stored by version. The engine asks the source with the
//! run's tenant, name and version, so a run keeps the version it started with on
//! every replica and after a restart.

use std::sync::Arc;

use async_trait::async_trait;

use super::definition::WorkflowDefinition;
use super::error::EngineResult;
use super::functions::FunctionSpec;
use super::{Engine, EngineError};
use crate::store::TenantId;

/// Definitions the engine looks up by tenant, name and version.
#[async_trait]
pub trait DefinitionSource: Send + Sync + 'static {
    /// The tenant's workflow `name` at `version`, or at its latest version when
    /// `version` is `None`; `None` when the tenant has no such workflow (or
    /// version).
    async fn definition(
        &self,
        tenant: &TenantId,
        name: &str,
        version: Option<i32>,
    ) -> EngineResult<Option<Arc<WorkflowDefinition>>>;

    /// The tenant's event functions (each naming its workflow), applied by the
    /// event router beside the compiled-in ones to the tenant's events only.
    async fn functions(&self, tenant: &TenantId) -> EngineResult<Vec<FunctionSpec>> {
        let _ = tenant;
        Ok(Vec::new())
    }
}

impl Engine {
    /// The workflow a run of `name` in `tenant` executes: a compiled-in one (whose
    /// version is the build's), else the tenant's own at `version` (its latest when
    /// `None`).
    pub async fn definition(
        &self,
        tenant: &TenantId,
        name: &str,
        version: Option<i32>,
    ) -> EngineResult<Option<Arc<WorkflowDefinition>>> {
        if let Some(def) = self.inner.registry.get(name) {
            return Ok(Some(def));
        }
        match self.inner.registry.source() {
            Some(source) => source.definition(tenant, name, version).await,
            None => Ok(None),
        }
    }

    /// The event functions of the tenant's own workflows (their triggers at their
    /// latest versions); none without a definition source.
    pub async fn tenant_functions(&self, tenant: &TenantId) -> EngineResult<Vec<FunctionSpec>> {
        match self.inner.registry.source() {
            Some(source) => source.functions(tenant).await,
            None => Ok(Vec::new()),
        }
    }

    /// Like [`Engine::definition`], failing with `UnknownWorkflow` when there is none.
    pub(super) async fn require_definition(
        &self,
        tenant: &TenantId,
        name: &str,
        version: Option<i32>,
    ) -> EngineResult<Arc<WorkflowDefinition>> {
        self.definition(tenant, name, version)
            .await?
            .ok_or_else(|| EngineError::UnknownWorkflow(name.to_string()))
    }
}
