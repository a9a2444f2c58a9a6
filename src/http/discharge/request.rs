//! Validation of `POST /v1/discharge/orchestrations`: the whole request is checked
//! at once (input, steps and their options, run options, correlation id) and every
//! problem is listed with its JSON pointer.

use serde_json::Value;
use uuid::Uuid;

use crate::domain::discharge::intake::read_raw_data;
use crate::domain::discharge::phone::PhoneRegion;
use crate::domain::validation::Problems;
use crate::engine::{RunOptions, StepToggle, WorkflowDefinition, escape_pointer};
use crate::workflows::discharge::options;

/// A request that passed validation.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The run's input: `{"rawData": ...}` or `{"existingCase": {"caseId": ...}}`.
    pub input: Value,
    /// Steps and run options.
    pub options: RunOptions,
    /// The correlation id, if given.
    pub correlation_id: Option<String>,
    /// The case to reuse, which must exist in the caller's tenant.
    pub existing_case: Option<Uuid>,
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

fn existing_case(value: &Value, problems: &mut Problems) -> Option<Uuid> {
    let at = "/input/existingCase";
    let Some(map) = value.as_object() else {
        problems.push(at, "must be an object with `caseId`");
        return None;
    };
    unknown_members(map, at, &["caseId"], problems);
    let id = map
        .get("caseId")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<Uuid>().ok());
    if id.is_none() {
        problems.push(format!("{at}/caseId"), "must be a case id (a UUID)");
    }
    id
}

/// Checks `input`; returns the case to reuse, if any.
fn input(value: Option<&Value>, region: &PhoneRegion, problems: &mut Problems) -> Option<Uuid> {
    let map = match value {
        None | Some(Value::Null) => {
            problems.push(
                "/input",
                "is required: give `rawData` (the case) or `existingCase` (a stored case)",
            );
            return None;
        }
        Some(Value::Object(map)) => map,
        Some(_) => {
            problems.push("/input", "must be an object");
            return None;
        }
    };
    unknown_members(map, "/input", &["rawData", "existingCase"], problems);
    let raw = map.get("rawData").filter(|v| !v.is_null());
    let existing = map.get("existingCase").filter(|v| !v.is_null());
    match (raw, existing) {
        (Some(_), Some(_)) => problems.push(
            "/input",
            "give exactly one of `rawData` and `existingCase`, not both",
        ),
        (None, None) => problems.push(
            "/input",
            "give exactly one of `rawData` (the case) and `existingCase` (a stored case)",
        ),
        _ => {}
    }
    if let Some(raw) = raw
        && let Err(p) = read_raw_data(raw, region)
    {
        problems.extend_under("/input/rawData", p);
    }
    let case = existing.and_then(|e| existing_case(e, problems));
    case.filter(|_| raw.is_none())
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
    let existing = input(map.get("input"), region, &mut problems);
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
    let Some(mut run_options) = run_options.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    if existing.is_some() {
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
        input: map.get("input").cloned().unwrap_or(Value::Null),
        options: run_options,
        correlation_id,
        existing_case: existing,
    })
}
