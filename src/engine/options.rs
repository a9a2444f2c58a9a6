//! A run's options as a request states them: which steps run (and with what
//! options), parallel or sequential, stop on error, dry run.
//!
//! Request shape (camelCase): `"steps": { "<step>": true | false | { "enabled":
//! bool, "options": {...} } }` (an omitted step is enabled with no options) and
//! `"options": { "parallel": true, "stopOnError": false, "dryRun": false }`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::definition::WorkflowDefinition;
use crate::domain::validation::{Problems, escape_pointer};
use crate::store::RunId;

/// One step's switch and options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepToggle {
    /// Whether the step runs.
    pub enabled: bool,
    /// The step's own options (`null` when none).
    #[serde(default)]
    pub options: Value,
}

/// A run's options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunOptions {
    /// Start every ready step at once (default) or one at a time in order.
    pub parallel: bool,
    /// End the run at the first failed step, critical or not.
    pub stop_on_error: bool,
    /// Return the plan without running anything or writing anything.
    pub dry_run: bool,
    /// Per-step switches; steps not listed are enabled with no options.
    #[serde(default)]
    pub steps: BTreeMap<String, StepToggle>,
    /// The run this one reruns (`POST /v1/runs/{id}/rerun`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun_of: Option<RunId>,
    /// Steps copied completed from `rerun_of`, their outputs reused, not executed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reused_steps: Vec<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            parallel: true,
            stop_on_error: false,
            dry_run: false,
            steps: BTreeMap::new(),
            rerun_of: None,
            reused_steps: Vec::new(),
        }
    }
}

impl RunOptions {
    /// Whether `step` is enabled.
    pub fn enabled(&self, step: &str) -> bool {
        self.steps.get(step).is_none_or(|t| t.enabled)
    }

    /// The options given for `step` (`Null` when none).
    pub fn step_options(&self, step: &str) -> Value {
        self.steps
            .get(step)
            .map(|t| t.options.clone())
            .unwrap_or(Value::Null)
    }

    /// Parses the request's `steps` and `options` members against a definition,
    /// listing every problem (unknown steps, wrong types) with its JSON pointer.
    pub fn from_request(
        def: &WorkflowDefinition,
        steps: Option<&Value>,
        options: Option<&Value>,
    ) -> Result<Self, Problems> {
        let mut problems = Problems::new();
        let mut out = RunOptions::default();
        match steps {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (name, v) in map {
                    let pointer = format!("/steps/{}", escape_pointer(name));
                    if def.position(name).is_none() {
                        let known: Vec<&str> = def.step_names().collect();
                        problems.push(
                            pointer,
                            format!("unknown step; the steps are {}", known.join(", ")),
                        );
                        continue;
                    }
                    match parse_toggle(v) {
                        Ok(t) => {
                            out.steps.insert(name.clone(), t);
                        }
                        Err((sub, msg)) => problems.push(format!("{pointer}{sub}"), msg),
                    }
                }
            }
            Some(_) => problems.push("/steps", "must be an object keyed by step name"),
        }
        match options {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (key, v) in map {
                    let pointer = format!("/options/{}", escape_pointer(key));
                    let flag = match v {
                        Value::Bool(b) => Some(*b),
                        _ => None,
                    };
                    match (key.as_str(), flag) {
                        ("parallel", Some(b)) => out.parallel = b,
                        ("stopOnError", Some(b)) => out.stop_on_error = b,
                        ("dryRun", Some(b)) => out.dry_run = b,
                        ("parallel" | "stopOnError" | "dryRun", None) => {
                            problems.push(pointer, "must be true or false")
                        }
                        _ => problems.push(
                            pointer,
                            "unknown option; the options are parallel, stopOnError, dryRun",
                        ),
                    }
                }
            }
            Some(_) => problems.push("/options", "must be an object"),
        }
        problems.into_result(out)
    }
}

fn parse_toggle(v: &Value) -> Result<StepToggle, (&'static str, &'static str)> {
    match v {
        Value::Bool(b) => Ok(StepToggle {
            enabled: *b,
            options: Value::Null,
        }),
        Value::Object(map) => {
            let enabled = match map.get("enabled") {
                None => true,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(("/enabled", "must be true or false")),
            };
            let options = match map.get("options") {
                None | Some(Value::Null) => Value::Null,
                Some(o @ Value::Object(_)) => o.clone(),
                Some(_) => return Err(("/options", "must be an object")),
            };
            if map.keys().any(|k| k != "enabled" && k != "options") {
                return Err(("", "may only have `enabled` and `options`"));
            }
            Ok(StepToggle { enabled, options })
        }
        _ => Err((
            "",
            "must be true, false or { \"enabled\": ..., \"options\": {...} }",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::policy::StepPolicy;
    use crate::engine::step::{StepContext, StepError, StepOutcome, StepOutput};
    use serde_json::json;

    async fn noop(_: StepContext) -> Result<StepOutcome, StepError> {
        Ok(StepOutcome::Done(StepOutput::new(Value::Null)))
    }

    fn def() -> WorkflowDefinition {
        WorkflowDefinition::builder("w", 1)
            .step("a", &[], StepPolicy::new(), noop)
            .step("b", &["a"], StepPolicy::new(), noop)
            .build()
            .unwrap()
    }

    #[test]
    fn booleans_and_objects_both_switch_steps() {
        let o = RunOptions::from_request(
            &def(),
            Some(&json!({"a": false, "b": {"enabled": true, "options": {"x": 1}}})),
            Some(&json!({"parallel": false, "stopOnError": true})),
        )
        .unwrap();
        assert!(!o.enabled("a"));
        assert!(o.enabled("b"));
        assert_eq!(o.step_options("b"), json!({"x": 1}));
        assert!(!o.parallel && o.stop_on_error && !o.dry_run);
    }

    #[test]
    fn every_problem_is_listed_with_its_pointer() {
        let err = RunOptions::from_request(
            &def(),
            Some(&json!({"ghost": true, "a": "yes", "b": {"options": 3}})),
            Some(&json!({"parallel": "no", "turbo": true})),
        )
        .unwrap_err()
        .into_vec();
        let pointers: Vec<&str> = err.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/steps/a",
                "/steps/b/options",
                "/steps/ghost",
                "/options/parallel",
                "/options/turbo"
            ]
        );
    }
}
