//! Tenants' own workflows: compiled from their stored definitions into engine
//! workflows, and found by the engine through [`UserWorkflows`] by tenant, name and
//! version. A version never changes once stored, so a compiled one is cached for
//! good; a run keeps the version it started with on any replica.

mod http_step;
mod steps;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::Services;
use crate::config::RetrySettings;
use crate::domain::user_workflow::{PolicySpec, Triggers, UserWorkflow};
use crate::engine::{
    DefinitionError, DefinitionSource, EngineResult, FunctionSpec, RetryPolicy, StepPolicy,
    WorkflowDefinition,
};
use crate::providers::outbound::GuardedClient;
use crate::providers::resilience::Resilient;
use crate::store::{Store, TenantId};
use steps::UserStep;

/// Compiled versions kept; past it the cache starts over (each entry is a small
/// graph, rebuilt from one row when needed again).
const CACHE_LIMIT: usize = 1024;

/// Compiles checked definitions into engine workflows.
#[derive(Clone)]
pub struct Compiler {
    outbound: Resilient<GuardedClient>,
    retry: RetrySettings,
}

impl Compiler {
    /// A compiler whose `http` steps use the shared outbound client.
    pub fn new(services: &Services) -> Self {
        Self {
            outbound: services.providers.outbound.clone(),
            retry: services.settings.engine.retry.clone(),
        }
    }

    /// The engine workflow of version `version` of `name`.
    pub fn compile(
        &self,
        name: &str,
        version: i32,
        wf: &UserWorkflow,
    ) -> Result<WorkflowDefinition, DefinitionError> {
        let mut builder = WorkflowDefinition::builder(name, version);
        for s in &wf.steps {
            let deps: Vec<&str> = s.depends_on.iter().map(String::as_str).collect();
            let handler = UserStep {
                kind: Arc::new(s.kind.clone()),
                outbound: self.outbound.clone(),
            };
            builder = builder.step(&s.name, &deps, self.policy(&s.policy), handler);
        }
        builder.build()
    }

    fn policy(&self, spec: &PolicySpec) -> StepPolicy {
        let mut policy = StepPolicy::new();
        policy.critical = spec.critical;
        if spec.retries.is_some() || spec.backoff.is_some() {
            let mut retry = RetryPolicy::from_settings(&self.retry);
            if let Some(n) = spec.retries {
                retry.max_attempts = n + 1;
            }
            if let Some(b) = spec.backoff {
                retry.initial_backoff = b;
                retry.max_backoff = retry.max_backoff.max(b);
            }
            policy = policy.retry(retry);
        }
        if let Some(t) = spec.timeout {
            policy = policy.timeout(t);
        }
        policy
    }
}

/// Finds tenants' workflows in the store for the engine.
pub struct UserWorkflows {
    store: Arc<dyn Store>,
    compiler: Compiler,
    cache: Mutex<HashMap<(TenantId, String, i32), Arc<WorkflowDefinition>>>,
}

impl UserWorkflows {
    /// A source reading `services.store`.
    pub fn new(services: &Services) -> Self {
        Self {
            store: services.store.clone(),
            compiler: Compiler::new(services),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, key: &(TenantId, String, i32)) -> Option<Arc<WorkflowDefinition>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(key).cloned()
    }

    fn keep(&self, key: (TenantId, String, i32), def: Arc<WorkflowDefinition>) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, def);
    }
}

/// The event functions of one definition: one per trigger, the first carrying the
/// cancellations (the router applies each function's, and one is enough).
fn functions_of(name: &str, t: &Triggers) -> Vec<FunctionSpec> {
    t.on.iter()
        .enumerate()
        .map(|(i, (event, matching))| {
            let mut f = FunctionSpec::on(name, event.as_str());
            if let Some((path, value)) = matching {
                f = f.when(path, value.clone());
            }
            if i == 0 {
                for (event, field) in &t.cancel_on {
                    f = f.cancel_on(event, field);
                }
            }
            if let Some((limit, key)) = &t.concurrency {
                f = f.concurrency(*limit, key);
            }
            if let Some(key) = &t.idempotency {
                f = f.idempotency(key);
            }
            if let Some((period, key)) = &t.debounce {
                f = f.debounce(*period, key.as_deref());
            }
            // One limit per workflow: every trigger counts against the same key
            // values (the decisions are kept by workflow name).
            if let Some(l) = &t.rate_limit {
                f = f.rate_limit(l.limit, l.period, l.key.as_deref());
            }
            if let Some(l) = &t.throttle {
                f = f.throttle(l.limit, l.period, l.key.as_deref());
            }
            f
        })
        .collect()
}

#[async_trait]
impl DefinitionSource for UserWorkflows {
    async fn functions(&self, tenant: &TenantId) -> EngineResult<Vec<FunctionSpec>> {
        let rows = self.store.latest_user_workflows(tenant).await?;
        // A stored definition this build no longer accepts triggers nothing (its
        // runs cannot start either; `definition` reports it).
        Ok(rows
            .iter()
            .filter_map(|row| {
                crate::domain::user_workflow::parse(&row.name, &row.definition.0)
                    .ok()
                    .map(|wf| functions_of(&row.name, &wf.triggers))
            })
            .flatten()
            .collect())
    }

    async fn definition(
        &self,
        tenant: &TenantId,
        name: &str,
        version: Option<i32>,
    ) -> EngineResult<Option<Arc<WorkflowDefinition>>> {
        if let Some(v) = version
            && let Some(def) = self.cached(&(tenant.clone(), name.to_string(), v))
        {
            return Ok(Some(def));
        }
        let Some(row) = self.store.user_workflow(tenant, name, version).await? else {
            return Ok(None);
        };
        let key = (tenant.clone(), name.to_string(), row.version);
        if let Some(def) = self.cached(&key) {
            return Ok(Some(def));
        }
        // Stored definitions were checked when they were written; one that no longer
        // passes (a rule this build added) is reported, and its runs cannot start.
        let compiled = crate::domain::user_workflow::parse(name, &row.definition.0)
            .map_err(|p| p.to_string())
            .and_then(|wf| {
                self.compiler
                    .compile(name, row.version, &wf)
                    .map_err(|e| e.to_string())
            });
        match compiled {
            Ok(def) => {
                let def = Arc::new(def);
                self.keep(key, def.clone());
                Ok(Some(def))
            }
            Err(problem) => {
                tracing::error!(workflow = name, version = row.version, %problem, "a stored workflow definition does not compile");
                Ok(None)
            }
        }
    }
}
