//! Workflow definitions: named, versioned DAGs of steps, checked when built.
//!
//! The builder rejects duplicate steps, unknown dependencies and cycles, so a bad
//! definition stops start-up with a message instead of failing a run later. Steps
//! are kept in a topological order that respects the order they were declared in.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::cancel_hook::CancelHook;
use super::error::EngineResult;
use super::policy::StepPolicy;
use super::step::StepHandler;
use super::view::RunView;
use crate::domain::validation::Problems;
use crate::store::TenantId;
use serde_json::Value;

/// A workflow's own check before one of its runs starts again through a retry: the
/// engine knows nothing of the workflow's rules (one import per hospital, say), so it
/// asks. A refusal is an [`super::EngineError`], usually `InvalidState` (a `409`).
#[async_trait::async_trait]
pub trait RestartGuard: Send + Sync + 'static {
    /// Called before a failed or cancelled run is queued again; `Err` keeps it as it is.
    async fn before_retry(&self, tenant: &TenantId, run: &RunView) -> EngineResult<()>;
}

/// How a workflow reads the input of a run when it is submitted, by any route (the
/// runs route, a cron tick, an event function, a rerun): the input the run stores,
/// or every problem with its pointer relative to the input (a `422`). Steps then
/// take the stored input as read and never trust what a client could have sent in
/// its place.
pub type InputReader = Arc<dyn Fn(&Value) -> Result<Value, Problems> + Send + Sync>;

/// One step of a workflow.
pub struct StepDefinition {
    /// Unique within the workflow.
    pub name: String,
    /// Indices (into the definition's steps) of the steps this one depends on.
    pub deps: Vec<usize>,
    /// Criticality, retries, timeout.
    pub policy: StepPolicy,
    /// The code.
    pub handler: Arc<dyn StepHandler>,
}

/// A checked workflow.
pub struct WorkflowDefinition {
    /// The workflow's name, e.g. `discharge`.
    pub name: String,
    /// Its version, stored with each run.
    pub version: i32,
    /// Steps in topological order.
    pub steps: Vec<StepDefinition>,
    /// Consulted before a run of this workflow is retried.
    pub restart_guard: Option<Arc<dyn RestartGuard>>,
    /// What to do when one of its runs is cancelled.
    pub on_cancel: Option<Arc<dyn CancelHook>>,
    /// Reads each new run's input; absent, the input is stored as sent.
    pub input_reader: Option<InputReader>,
    index: HashMap<String, usize>,
}

impl WorkflowDefinition {
    /// Starts a definition.
    pub fn builder(name: impl Into<String>, version: i32) -> WorkflowBuilder {
        WorkflowBuilder {
            name: name.into(),
            version,
            steps: Vec::new(),
            restart_guard: None,
            on_cancel: None,
            input_reader: None,
        }
    }

    /// The index of a step by name.
    pub fn position(&self, step: &str) -> Option<usize> {
        self.index.get(step).copied()
    }

    /// Step names in topological order.
    pub fn step_names(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().map(|s| s.name.as_str())
    }
}

impl std::fmt::Debug for WorkflowDefinition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkflowDefinition")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("steps", &self.step_names().collect::<Vec<_>>())
            .finish()
    }
}

struct PendingStep {
    name: String,
    deps: Vec<String>,
    policy: StepPolicy,
    handler: Arc<dyn StepHandler>,
}

/// Builds a [`WorkflowDefinition`].
pub struct WorkflowBuilder {
    name: String,
    version: i32,
    steps: Vec<PendingStep>,
    restart_guard: Option<Arc<dyn RestartGuard>>,
    on_cancel: Option<Arc<dyn CancelHook>>,
    input_reader: Option<InputReader>,
}

/// Why a definition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    /// Two steps share a name.
    #[error("workflow `{workflow}`: step `{step}` is defined twice")]
    DuplicateStep {
        /// Workflow.
        workflow: String,
        /// Step.
        step: String,
    },
    /// A step depends on a step that does not exist.
    #[error("workflow `{workflow}`: step `{step}` depends on unknown step `{dependency}`")]
    UnknownDependency {
        /// Workflow.
        workflow: String,
        /// Step.
        step: String,
        /// The missing dependency.
        dependency: String,
    },
    /// The dependencies form a cycle.
    #[error("workflow `{workflow}`: steps {steps:?} depend on each other in a cycle")]
    Cycle {
        /// Workflow.
        workflow: String,
        /// The steps on the cycle or behind it.
        steps: Vec<String>,
    },
    /// A workflow has no steps.
    #[error("workflow `{workflow}` has no steps")]
    Empty {
        /// Workflow.
        workflow: String,
    },
    /// Two workflows share a name.
    #[error("workflow `{workflow}` is registered twice")]
    DuplicateWorkflow {
        /// Workflow.
        workflow: String,
    },
}

impl WorkflowBuilder {
    /// Adds a step depending on `deps`.
    pub fn step(
        mut self,
        name: impl Into<String>,
        deps: &[&str],
        policy: StepPolicy,
        handler: impl StepHandler,
    ) -> Self {
        self.steps.push(PendingStep {
            name: name.into(),
            deps: deps.iter().map(|d| d.to_string()).collect(),
            policy,
            handler: Arc::new(handler),
        });
        self
    }

    /// Asks `guard` before any run of this workflow is retried.
    pub fn restart_guard(mut self, guard: Arc<dyn RestartGuard>) -> Self {
        self.restart_guard = Some(guard);
        self
    }

    /// Sets what happens when a run is cancelled (see [`CancelHook`]).
    pub fn on_cancel(mut self, hook: impl CancelHook) -> Self {
        self.on_cancel = Some(Arc::new(hook));
        self
    }

    /// Reads each new run's input before it is stored (see [`InputReader`]).
    pub fn input_reader(
        mut self,
        reader: impl Fn(&Value) -> Result<Value, Problems> + Send + Sync + 'static,
    ) -> Self {
        self.input_reader = Some(Arc::new(reader));
        self
    }

    /// Checks the graph and orders the steps.
    pub fn build(self) -> Result<WorkflowDefinition, DefinitionError> {
        let workflow = self.name.clone();
        if self.steps.is_empty() {
            return Err(DefinitionError::Empty { workflow });
        }
        let mut declared: HashMap<String, usize> = HashMap::new();
        for (i, s) in self.steps.iter().enumerate() {
            if declared.insert(s.name.clone(), i).is_some() {
                return Err(DefinitionError::DuplicateStep {
                    workflow,
                    step: s.name.clone(),
                });
            }
        }
        for s in &self.steps {
            if let Some(d) = s.deps.iter().find(|d| !declared.contains_key(*d)) {
                return Err(DefinitionError::UnknownDependency {
                    workflow,
                    step: s.name.clone(),
                    dependency: d.clone(),
                });
            }
        }
        // Kahn's algorithm; among ready steps the earliest declared goes first, so the
        // order reads like the definition.
        let mut remaining: Vec<usize> = self.steps.iter().map(|s| s.deps.len()).collect();
        let mut ready: BTreeMap<usize, ()> = remaining
            .iter()
            .enumerate()
            .filter(|(_, n)| **n == 0)
            .map(|(i, _)| (i, ()))
            .collect();
        let mut order = Vec::with_capacity(self.steps.len());
        while let Some((&i, _)) = ready.iter().next() {
            ready.remove(&i);
            order.push(i);
            for (j, s) in self.steps.iter().enumerate() {
                if s.deps.iter().any(|d| declared[d.as_str()] == i) {
                    remaining[j] -= 1;
                    if remaining[j] == 0 {
                        ready.insert(j, ());
                    }
                }
            }
        }
        if order.len() != self.steps.len() {
            let mut steps: Vec<String> = (0..self.steps.len())
                .filter(|i| !order.contains(i))
                .map(|i| self.steps[i].name.clone())
                .collect();
            steps.sort();
            return Err(DefinitionError::Cycle { workflow, steps });
        }
        let new_index: HashMap<usize, usize> = order
            .iter()
            .enumerate()
            .map(|(new, old)| (*old, new))
            .collect();
        let mut slots: Vec<Option<PendingStep>> = self.steps.into_iter().map(Some).collect();
        let mut steps = Vec::with_capacity(order.len());
        for old in &order {
            let Some(p) = slots[*old].take() else {
                continue;
            };
            let deps = p
                .deps
                .iter()
                .map(|d| new_index[&declared[d.as_str()]])
                .collect();
            steps.push(StepDefinition {
                name: p.name,
                deps,
                policy: p.policy,
                handler: p.handler,
            });
        }
        let index = steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        Ok(WorkflowDefinition {
            name: self.name,
            version: self.version,
            steps,
            restart_guard: self.restart_guard,
            on_cancel: self.on_cancel,
            input_reader: self.input_reader,
            index,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::registry::Registry;
    use crate::engine::step::{StepContext, StepOutcome, StepOutput};
    use serde_json::Value;

    async fn noop(_: StepContext) -> Result<StepOutcome, crate::engine::step::StepError> {
        Ok(StepOutcome::Done(StepOutput::new(Value::Null)))
    }

    #[test]
    fn steps_are_ordered_so_dependencies_come_first() {
        let def = WorkflowDefinition::builder("w", 1)
            .step("c", &["b"], StepPolicy::new(), noop)
            .step("a", &[], StepPolicy::new(), noop)
            .step("b", &["a"], StepPolicy::new(), noop)
            .build()
            .unwrap();
        assert_eq!(def.step_names().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(def.steps[2].deps, vec![1]);
    }

    #[test]
    fn an_unknown_dependency_is_named() {
        let err = WorkflowDefinition::builder("w", 1)
            .step("a", &["ghost"], StepPolicy::new(), noop)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("unknown step `ghost`"), "{err}");
    }

    #[test]
    fn a_cycle_is_refused_naming_its_steps() {
        let err = WorkflowDefinition::builder("w", 1)
            .step("a", &["c"], StepPolicy::new(), noop)
            .step("b", &["a"], StepPolicy::new(), noop)
            .step("c", &["b"], StepPolicy::new(), noop)
            .step("d", &[], StepPolicy::new(), noop)
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            DefinitionError::Cycle {
                workflow: "w".into(),
                steps: vec!["a".into(), "b".into(), "c".into()]
            }
        );
    }

    #[test]
    fn duplicate_steps_and_workflows_are_refused() {
        let dup = WorkflowDefinition::builder("w", 1)
            .step("a", &[], StepPolicy::new(), noop)
            .step("a", &[], StepPolicy::new(), noop)
            .build();
        assert!(matches!(dup, Err(DefinitionError::DuplicateStep { .. })));
        let mut reg = Registry::new();
        let make = || {
            WorkflowDefinition::builder("w", 1)
                .step("a", &[], StepPolicy::new(), noop)
                .build()
                .unwrap()
        };
        reg.register(make()).unwrap();
        assert!(reg.register(make()).is_err());
    }
}
