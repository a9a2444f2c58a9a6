//! The result of an import as clients see it, built from the engine's view of the run:
//! the version, the assignments, the coverage, every phase's validation messages
//! merged into one list per severity, and the timings.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::messages::phase_message;
use super::outputs::{Coverage, Imported, Roster};
use super::{AMION_SCRAPE, COVERAGE, ODS_IMPORT, REFRESH_WORKFLOW, WORKFLOW};
use crate::domain::casing;
use crate::domain::schedule::version_view::{CoverageSummary, VersionStatus};
use crate::engine::{RunView, StepView};
use crate::store::{RunId, RunStatus, StepStatus};

/// Every phase's messages, merged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
#[schema(as = ImportValidation)]
pub struct Validation {
    /// Problems that left rows out or stopped the import.
    #[schema(value_type = Vec<PhaseMessage>)]
    pub errors: Vec<Value>,
    /// Problems worth a look (a phase that failed without stopping the import).
    #[schema(value_type = Vec<PhaseMessage>)]
    pub warnings: Vec<Value>,
    /// Facts worth knowing (skipped sheets, skipped phases).
    #[schema(value_type = Vec<PhaseMessage>)]
    pub infos: Vec<Value>,
}

/// One phase's timing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepTiming {
    /// The phase's status.
    pub status: StepStatus,
    /// Attempts made.
    pub attempts: i32,
    /// Execution time of its attempts, in milliseconds.
    pub duration_ms: Option<i64>,
    /// Start of its first attempt.
    pub started_at: Option<DateTime<Utc>>,
    /// Its end.
    pub finished_at: Option<DateTime<Utc>>,
}

/// The result of a schedule import (or of an assignment refresh, which names only
/// the version it worked on).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportResult {
    /// The import's run.
    pub run_id: RunId,
    /// The run's status: `completed` (a version exists, maybe with warnings),
    /// `failed` (no version), or not final yet.
    pub status: RunStatus,
    /// The hospital.
    #[schema(value_type = uuid::Uuid)]
    pub hospital_id: Value,
    /// The upload (the import's id).
    #[schema(value_type = uuid::Uuid)]
    pub upload_id: Value,
    /// `{id, status, shiftCount, dateRange}` of the created version.
    #[schema(value_type = Option<ImportedVersion>)]
    pub schedule_version: Option<Value>,
    /// `{count, unmatchedCount, outcome}` of the roster phase.
    #[schema(value_type = Option<ImportAssignments>)]
    pub assignments: Option<Value>,
    /// The coverage summary, when it was stored.
    #[schema(value_type = Option<crate::domain::schedule::version_view::CoverageSummary>)]
    pub coverage: Option<CoverageSummary>,
    /// Every phase's messages.
    pub validation: Validation,
    /// From the run's start to its end, in milliseconds.
    pub duration_ms: Option<i64>,
    /// Per phase.
    pub step_timings: BTreeMap<String, StepTiming>,
    /// When the run started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub completed_at: Option<DateTime<Utc>>,
}

impl ImportResult {
    /// The result of `run`; `None` when it is not a schedule import.
    pub fn from_run(run: &RunView) -> Option<Self> {
        if run.workflow != WORKFLOW && run.workflow != REFRESH_WORKFLOW {
            return None;
        }
        let schedule_version = run
            .output_as::<Imported>(ODS_IMPORT)
            .map(|o| {
                json!({
                    "id": o.version_id,
                    "status": o.status,
                    "shiftCount": o.shift_count,
                    "dateRange": o.date_range,
                })
            })
            // A refresh names the version it worked on.
            .or_else(|| run.input.get("versionId").map(|id| json!({"id": id})));
        let assignments = run.output_as::<Roster>(AMION_SCRAPE).map(|o| {
            json!({
                "count": o.count,
                "unmatchedCount": o.unmatched_count,
                // Imports recorded by earlier versions say `notConfigured`.
                "outcome": casing::api_value(&o.outcome),
            })
        });
        let coverage = run.output_as::<Coverage>(COVERAGE).map(|o| o.summary);
        let mut validation = Validation::default();
        let mut step_timings = BTreeMap::new();
        for step in &run.steps {
            merge(&mut validation, step);
            step_timings.insert(
                step.name.clone(),
                StepTiming {
                    status: step.status,
                    attempts: step.attempts,
                    duration_ms: step.duration_ms,
                    started_at: step.started_at,
                    finished_at: step.finished_at,
                },
            );
        }
        Some(Self {
            run_id: run.run_id,
            status: run.status,
            hospital_id: run.input["hospitalId"].clone(),
            upload_id: run.input["uploadId"].clone(),
            schedule_version,
            assignments,
            coverage,
            validation,
            duration_ms: run.duration_ms,
            step_timings,
            started_at: run.started_at,
            completed_at: run.finished_at,
        })
    }
}

/// Adds a step's messages, and its failure or skip as a message of its own: an error
/// for the critical first phase, a warning for the others.
fn merge(v: &mut Validation, step: &StepView) {
    v.errors.extend(step.messages.errors.iter().cloned());
    v.warnings.extend(step.messages.warnings.iter().cloned());
    v.infos.extend(step.messages.infos.iter().cloned());
    match step.status {
        StepStatus::Failed => {
            let message = step
                .error
                .as_ref()
                .and_then(|e| e["message"].as_str())
                .unwrap_or("the phase failed");
            let m = phase_message(&step.name, message);
            if step.name == ODS_IMPORT {
                v.errors.push(m);
            } else {
                v.warnings.push(m);
            }
        }
        StepStatus::Skipped => {
            let reason = step.skip_reason.as_deref().unwrap_or("not run");
            v.infos
                .push(phase_message(&step.name, format!("skipped: {reason}")));
        }
        _ => {}
    }
}

// Documents `Validation`: the domain's `ImportMessage` with the phase it came from.
// (Doc comments of these schema types are their descriptions.)
/// A message of an import phase: where it applies, and what.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ImportMessage)]
pub struct PhaseMessage {
    /// The phase: `odsImport`, `amionScrape` or `coverageCalculation`.
    pub phase: String,
    /// The sheet, for spreadsheet messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The row, for spreadsheet messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<i64>,
    /// The column, for spreadsheet messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What happened.
    pub message: String,
}

// Documents `ImportResult::version`.
/// The version an import created (a refresh names only its `id`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportedVersion {
    /// The version.
    pub id: Uuid,
    /// `draft` when it was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<VersionStatus>,
    /// Number of shift instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shift_count: Option<i64>,
    /// Days covered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_range: Option<crate::domain::schedule::version_view::DateRange>,
}

// Documents `ImportResult::assignments`.
/// What the roster phase of an import stored.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportAssignments {
    /// Assignments matched to a shift.
    pub count: i64,
    /// Assignments that matched no shift.
    pub unmatched_count: i64,
    /// How the roster phase ended.
    pub outcome: Option<AssignmentOutcome>,
}

/// How the roster phase of an import ended.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentOutcome {
    /// Assignments were fetched and stored.
    Stored,
    /// Fetching them failed.
    Failed,
    /// No roster source is configured.
    NotConfigured,
    /// The upload had no access code.
    NoAccessCode,
    /// The period is longer than a roster fetch may cover.
    RangeTooLong,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Messages;

    fn step(name: &str, status: StepStatus, output: Option<Value>) -> StepView {
        StepView {
            name: name.into(),
            status,
            attempts: 1,
            started_at: None,
            finished_at: None,
            duration_ms: Some(5),
            output,
            error: None,
            messages: Messages::default(),
            skip_reason: None,
            wakes_at: None,
            attempt_history: None,
            reused_from: None,
        }
    }

    fn run(steps: Vec<StepView>, status: RunStatus) -> RunView {
        RunView {
            run_id: RunId::new(),
            workflow: WORKFLOW.into(),
            workflow_version: 1,
            status,
            pause_requested: false,
            priority: 5,
            input: json!({"hospitalId": "h", "uploadId": "u"}),
            options: json!({}),
            correlation_id: None,
            error: None,
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
            duration_ms: Some(12),
            wakes_at: None,
            rerun_of: None,
            steps,
        }
    }

    #[test]
    fn a_failed_coverage_phase_is_a_warning_and_the_version_is_still_shown() {
        let mut ods = step(
            ODS_IMPORT,
            StepStatus::Completed,
            Some(
                json!({"versionId": uuid::Uuid::nil(), "status": "draft", "shiftCount": 3, "dateRange": {"start": "2026-03-02", "end": "2026-03-03"}}),
            ),
        );
        ods.messages
            .errors
            .push(json!({"phase": ODS_IMPORT, "row": 4}));
        let mut coverage = step(COVERAGE, StepStatus::Failed, None);
        coverage.error = Some(json!({"message": "too many shifts"}));
        let amion = step(
            AMION_SCRAPE,
            StepStatus::Completed,
            Some(
                json!({"versionId": uuid::Uuid::nil(), "count": 2, "unmatchedCount": 1, "outcome": "stored", "fetched": 3}),
            ),
        );
        let result =
            ImportResult::from_run(&run(vec![ods, amion, coverage], RunStatus::Completed)).unwrap();
        assert_eq!(result.schedule_version.unwrap()["shiftCount"], 3);
        assert_eq!(
            result.assignments,
            Some(json!({"count": 2, "unmatchedCount": 1, "outcome": "stored"}))
        );
        assert_eq!(result.coverage, None);
        assert_eq!(result.validation.errors.len(), 1);
        assert_eq!(
            result.validation.warnings,
            vec![json!({"phase": COVERAGE, "message": "too many shifts"})]
        );
        assert_eq!(result.step_timings[COVERAGE].status, StepStatus::Failed);
        assert_eq!(result.duration_ms, Some(12));
    }

    #[test]
    fn a_failed_first_phase_is_an_error_and_skipped_phases_are_infos() {
        let mut ods = step(ODS_IMPORT, StepStatus::Failed, None);
        ods.error = Some(json!({"message": "no valid shift rows were found"}));
        let mut amion = step(AMION_SCRAPE, StepStatus::Skipped, None);
        amion.skip_reason = Some("run stopped: critical step 'odsImport' failed".into());
        let result = ImportResult::from_run(&run(vec![ods, amion], RunStatus::Failed)).unwrap();
        assert_eq!(result.schedule_version, None);
        assert_eq!(result.validation.errors[0]["phase"], ODS_IMPORT);
        assert_eq!(result.validation.infos[0]["phase"], AMION_SCRAPE);
        assert!(
            result.validation.infos[0]["message"]
                .as_str()
                .unwrap()
                .starts_with("skipped: run stopped")
        );
    }

    #[test]
    fn an_output_that_does_not_read_as_its_phase_writes_it_is_left_out() {
        let ods = step(
            ODS_IMPORT,
            StepStatus::Completed,
            Some(json!({"versionId": "not an id"})),
        );
        let result = ImportResult::from_run(&run(vec![ods], RunStatus::Completed)).unwrap();
        assert_eq!(result.schedule_version, None);
    }

    #[test]
    fn another_workflow_has_no_import_result() {
        let mut other = run(vec![], RunStatus::Completed);
        other.workflow = "discharge".into();
        assert!(ImportResult::from_run(&other).is_none());
    }
}
