//! The registry of the workflows a service runs: the compiled-in definitions, the
//! event functions among them, and the source of tenants' own workflows consulted
//! for any other name.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::definition::{DefinitionError, WorkflowDefinition};
use super::functions::FunctionSpec;
use super::source::DefinitionSource;

/// The workflows a service runs, by name, and the event functions among them.
#[derive(Default)]
pub struct Registry {
    workflows: BTreeMap<String, Arc<WorkflowDefinition>>,
    functions: Vec<FunctionSpec>,
    /// Tenants' own workflows, consulted for names not compiled in.
    source: Option<Arc<dyn DefinitionSource>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a checked workflow.
    pub fn register(&mut self, def: WorkflowDefinition) -> Result<(), DefinitionError> {
        if self.workflows.contains_key(&def.name) {
            return Err(DefinitionError::DuplicateWorkflow {
                workflow: def.name.clone(),
            });
        }
        self.workflows.insert(def.name.clone(), Arc::new(def));
        Ok(())
    }

    /// Adds a workflow that events trigger.
    pub fn register_function(
        &mut self,
        def: WorkflowDefinition,
        mut spec: FunctionSpec,
    ) -> Result<(), DefinitionError> {
        spec.workflow = def.name.clone();
        self.register(def)?;
        self.functions.push(spec);
        Ok(())
    }

    /// The event functions.
    pub fn functions(&self) -> &[FunctionSpec] {
        &self.functions
    }

    /// A workflow by name.
    pub fn get(&self, name: &str) -> Option<Arc<WorkflowDefinition>> {
        self.workflows.get(name).cloned()
    }

    /// Looks up workflows that are not compiled in (tenants' own) in `source`.
    pub fn set_source(&mut self, source: Arc<dyn DefinitionSource>) {
        self.source = Some(source);
    }

    /// Where workflows that are not compiled in are found, if anywhere.
    pub fn source(&self) -> Option<&Arc<dyn DefinitionSource>> {
        self.source.as_ref()
    }

    /// True when `name` is a compiled-in workflow.
    pub fn is_builtin(&self, name: &str) -> bool {
        self.workflows.contains_key(name)
    }

    /// Every workflow, by name.
    pub fn all(&self) -> impl Iterator<Item = &Arc<WorkflowDefinition>> {
        self.workflows.values()
    }
}
