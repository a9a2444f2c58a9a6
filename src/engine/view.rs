//! How runs and their steps are shown to API clients: camelCase JSON with timings in
//! milliseconds.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::attempts::AttemptView;
use super::step::Messages;
use crate::store::{RunId, RunRow, RunStatus, StepStatus, StepWrite};

/// A run as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Run)]
pub struct RunView {
    /// Id.
    pub run_id: RunId,
    /// Workflow name.
    pub workflow: String,
    /// Workflow version.
    pub workflow_version: i32,
    /// Status (`paused` for a held run; the stored status stays underneath).
    pub status: RunStatus,
    /// A pause was asked for: a running run parks once its current attempts end.
    pub pause_requested: bool,
    /// Claims take higher priorities first: 1 (lowest) to 9 (highest), 5 unless the
    /// submission gave one.
    pub priority: i16,
    /// Input as submitted (validated).
    pub input: Value,
    /// Options as submitted.
    pub options: Value,
    /// Correlation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// First execution time.
    pub started_at: Option<DateTime<Utc>>,
    /// Final time.
    pub finished_at: Option<DateTime<Utc>>,
    /// From start to end, in milliseconds.
    pub duration_ms: Option<i64>,
    /// Next time the run is due (parked runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wakes_at: Option<DateTime<Utc>>,
    /// The run this one reruns (`POST /v1/runs/{id}/rerun`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rerun_of: Option<RunId>,
    /// Every step, in definition order.
    pub steps: Vec<StepView>,
}

/// A step as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Step)]
pub struct StepView {
    /// Name.
    pub name: String,
    /// Status.
    pub status: StepStatus,
    /// Attempts started.
    pub attempts: i32,
    /// First attempt's start.
    pub started_at: Option<DateTime<Utc>>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// Execution time of its attempts, in milliseconds.
    pub duration_ms: Option<i64>,
    /// Output, when completed.
    pub output: Option<Value>,
    /// Last error.
    pub error: Option<Value>,
    /// Validation messages.
    pub messages: Messages,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    /// When a parked step is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wakes_at: Option<DateTime<Utc>>,
    /// Every attempt, in start order, when the view was read with its history
    /// (`GET /v1/runs/{id}`); `attempts` stays the count of the current round.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_history: Option<Vec<AttemptView>>,
    /// The run whose output this step reuses: it was copied, not executed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reused_from: Option<RunId>,
}

impl RunView {
    /// Builds the view of a stored run and its steps.
    pub fn new(run: &RunRow, steps: &[StepWrite]) -> Self {
        let duration_ms = match (run.started_at, run.finished_at) {
            (Some(s), Some(f)) => Some((f - s).num_milliseconds().max(0)),
            _ => None,
        };
        let parked = matches!(run.status, RunStatus::Sleeping | RunStatus::Waiting);
        // A rerun records its source and the steps it copied in its options.
        let rerun_of: Option<RunId> = run
            .options
            .0
            .get("rerunOf")
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        let reused: Vec<&str> = run
            .options
            .0
            .get("reusedSteps")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        Self {
            run_id: run.run_id,
            workflow: run.workflow.clone(),
            workflow_version: run.workflow_version,
            status: if run.pause_requested
                && matches!(
                    run.status,
                    RunStatus::Queued | RunStatus::Sleeping | RunStatus::Waiting
                ) {
                RunStatus::Paused
            } else {
                run.status
            },
            pause_requested: run.pause_requested && !run.status.is_final(),
            priority: run.priority,
            input: run.input.0.clone(),
            options: run.options.0.clone(),
            correlation_id: run.correlation_id.clone(),
            error: run.error.as_ref().map(|e| e.0.clone()),
            created_at: run.created_at,
            started_at: run.started_at,
            finished_at: run.finished_at,
            duration_ms,
            wakes_at: if parked { run.ready_at } else { None },
            rerun_of,
            steps: steps
                .iter()
                .map(|s| {
                    let mut view = StepView::new(s);
                    if reused.contains(&s.name.as_str()) {
                        view.reused_from = rerun_of;
                    }
                    view
                })
                .collect(),
        }
    }

    /// A step by name.
    pub fn step(&self, name: &str) -> Option<&StepView> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// The output of step `name`, read as the type its step writes, once the step
    /// completed. `None` before that, and when the stored output does not read as
    /// `T` (a bug, or a run from a version that wrote another shape): that is
    /// logged with ids only, and whoever shows the run shows it without the output.
    pub fn output_as<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        let value = self
            .step(name)
            .filter(|s| s.status == StepStatus::Completed)
            .and_then(|s| s.output.as_ref())?;
        match T::deserialize(value) {
            Ok(typed) => Some(typed),
            Err(e) => {
                // The parser's message can quote the stored value (patient data):
                // only its class is logged.
                tracing::warn!(run.id = %self.run_id, step.name = name,
                    error.class = ?e.classify(), "a step's output does not read as its type");
                None
            }
        }
    }

    /// From submission to the end, in milliseconds (what a caller waited overall).
    pub fn total_ms(&self) -> Option<i64> {
        self.finished_at
            .map(|f| (f - self.created_at).num_milliseconds().max(0))
    }
}

impl StepView {
    fn new(s: &StepWrite) -> Self {
        Self {
            name: s.name.clone(),
            status: s.status,
            attempts: s.attempts,
            started_at: s.started_at,
            finished_at: s.finished_at,
            duration_ms: s.duration_ms,
            output: s.output.clone(),
            error: s.error.clone(),
            messages: s
                .messages
                .as_ref()
                .and_then(|m| serde_json::from_value(m.clone()).ok())
                .unwrap_or_default(),
            skip_reason: s.skip_reason.clone(),
            wakes_at: s.wake_at,
            attempt_history: None,
            reused_from: None,
        }
    }
}
