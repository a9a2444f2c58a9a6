//! The built-in workflows, one module each. A workflow module builds its
//! [`WorkflowDefinition`]s from the shared [`Services`]; it uses the engine's step
//! API and the domain services, and knows nothing about leases, queues or SQL.

use std::sync::Arc;

use crate::config::Settings;
use crate::engine::{Clock, DefinitionError, FunctionSpec, WorkflowDefinition};
use crate::providers::resilience::Resilience;
use crate::store::Store;

pub mod care;
pub mod support;

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
    /// Deadlines and circuit breakers of outside providers.
    pub resilience: Arc<Resilience>,
}

/// Every built-in event function: a workflow and what triggers it.
pub fn functions(
    services: &Services,
) -> Result<Vec<(WorkflowDefinition, FunctionSpec)>, DefinitionError> {
    care::functions(services)
}

/// Every built-in workflow definition.
pub fn builtin(services: &Services) -> Result<Vec<WorkflowDefinition>, DefinitionError> {
    let _ = services;
    Ok(Vec::new())
}
