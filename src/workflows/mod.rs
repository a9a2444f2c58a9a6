//! The built-in workflows, one module each. A workflow module builds its
//! [`WorkflowDefinition`]s from the shared [`Services`]; it uses the engine's step
//! API and the domain services, and knows nothing about leases, queues or SQL.

pub mod schedule_import;

use std::sync::Arc;

use crate::config::Settings;
use crate::engine::{Clock, DefinitionError, WorkflowDefinition};
use crate::store::Store;

/// What the built-in workflows are built from.
#[derive(Clone)]
pub struct Services {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The settings the service started with.
    pub settings: Arc<Settings>,
    /// The engine's clock.
    pub clock: Arc<dyn Clock>,
    /// The shared HTTP client for outside services configured by the operator.
    pub http: reqwest::Client,
}

/// Every built-in workflow definition.
pub fn builtin(services: &Services) -> Result<Vec<WorkflowDefinition>, DefinitionError> {
    let mut all = Vec::new();
    all.extend(schedule_import::definitions(services)?);
    Ok(all)
}
