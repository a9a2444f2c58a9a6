//! Validation of `POST /v1/discharge/orchestrations`: the whole request is checked
//! at once (input, steps and their options, run options, correlation id) and every
//! problem is listed with its JSON pointer.

use serde_json::Value;

use crate::domain::discharge::phone::PhoneRegion;
use crate::domain::validation::Problems;
use crate::engine::{RunOptions, StepToggle, WorkflowDefinition, escape_pointer};
use crate::workflows::discharge::input::DischargeInput;
use crate::workflows::discharge::options;

/// A request that passed validation.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The run's input, read.
    pub input: DischargeInput,
    /// Steps and run options.
    pub options: RunOptions,
    /// The correlation id, if given.
    pub correlation_id: Option<String>,
}

fn unknown_members(
    map: &serde_json::Map<String, Value>,
    at: &str,
    known: &[&str],
    problems: &mut Problems,
) {
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            problems.push(
                format!("{at}/{}", escape_pointer(key)),
                format!("unknown member; expected {}", known.join(", ")),
            );
        }
    }
}

/// Checks the options of every known step in the request's `steps`, whatever else
/// is wrong with them, so one answer lists every problem.
fn step_options(
    def: &WorkflowDefinition,
    steps: Option<&Value>,
    region: &PhoneRegion,
    problems: &mut Problems,
) {
    let Some(Value::Object(steps)) = steps else {
        return;
    };
    for (step, toggle) in steps {
        let Some(opts) = toggle
            .get("options")
            .filter(|_| def.position(step).is_some())
        else {
            continue;
        };
        if opts.is_object() {
            let p = options::check(step, opts, region);
            problems.extend_under(&format!("/steps/{}/options", escape_pointer(step)), p);
        }
    }
}

/// Validates the request body against the workflow's definition; phone numbers
/// without a country code are read in `region`.
pub fn validate(
    def: &WorkflowDefinition,
    body: &Value,
    region: &PhoneRegion,
) -> Result<Validated, Problems> {
    let mut problems = Problems::new();
    let Some(map) = body.as_object() else {
        problems.push("", "must be a JSON object");
        return Err(problems);
    };
    unknown_members(
        map,
        "",
        &["input", "steps", "options", "correlationId"],
        &mut problems,
    );
    let input = DischargeInput::read(map.get("input"), region)
        .map_err(|p| problems.extend_under("/input", p))
        .ok();
    let run_options = match RunOptions::from_request(def, map.get("steps"), map.get("options")) {
        Ok(o) => Some(o),
        Err(p) => {
            problems.extend_under("", p);
            None
        }
    };
    step_options(def, map.get("steps"), region, &mut problems);
    let correlation_id = match map.get("correlationId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 200 => Some(s.clone()),
        Some(_) => {
            problems.push("/correlationId", "must be a string of 1-200 characters");
            None
        }
    };
    let (Some(input), Some(mut run_options)) = (input, run_options) else {
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    if input.existing_case().is_some() {
        // With a stored case, `ingest` only resolves it; disabling it would skip
        // every step after it, which is not what reusing a case means.
        run_options.steps.insert(
            "ingest".into(),
            StepToggle {
                enabled: true,
                options: Value::Null,
            },
        );
    }
    Ok(Validated {
        input,
        options: run_options,
        correlation_id,
    })
}
