//! How discharge runs are shown: the orchestration result (what each step did, its
//! data, and how long each step took) and a dry run's plan. Step outputs are read
//! as their types in `workflows::discharge::outputs`, never picked by key here; the
//! stored records are shaped in [`super::records`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::engine::{DryRunPlan, RunView};
use crate::store::{RunId, RunStatus, StepStatus};
use crate::workflows::discharge::STEPS;
use crate::workflows::discharge::outputs::{
    DischargeOutputs, IngestOutput, ScheduledCall, SummaryOutput,
};

/// Why a completed `ingest` is reported as skipped.
const EXISTING_CASE: &str = "existingCase given: the stored case is used as it is";

/// The answer of `POST /v1/discharge/orchestrations` and
/// `GET /v1/discharge/orchestrations/{id}`: a discharge run's result, or a dry
/// run's plan.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DischargeResult)]
pub struct Orchestration {
    /// False when any step failed or the run did not complete.
    pub success: bool,
    /// The run; `null` for a dry run, which answers `dryRun` and `plan` instead of
    /// running anything.
    #[schema(required = true)]
    pub run_id: Option<RunId>,
    /// A dry run: always true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// A dry run: which steps would run, in order and in waves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<DryRunPlan>,
    /// What the steps did and made.
    pub data: OrchestrationData,
    /// Status, timings, skip reasons, errors and warnings.
    pub metadata: OrchestrationMetadata,
}

/// What a discharge run's steps did and made; a step that did not complete made
/// nothing (`null`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DischargeResultData)]
pub struct OrchestrationData {
    /// Steps that completed.
    pub completed_steps: Vec<String>,
    /// Steps skipped (disabled, a dependency failed or was skipped, or `ingest`
    /// with `existingCase`).
    pub skipped_steps: Vec<String>,
    /// Steps that failed.
    pub failed_steps: Vec<String>,
    /// `ingest`: the case taken in, or the stored case reused. Absent in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<IngestOutput>)]
    pub ingestion: Option<Option<IngestOutput>>,
    /// `generateSummary`: the owner's summary. Absent in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<SummaryOutput>)]
    pub summary: Option<Option<SummaryOutput>>,
    /// `prepareEmail` and `scheduleEmail`: the owner's email. Absent in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<EmailAnswer>)]
    pub email: Option<Option<EmailAnswer>>,
    /// `scheduleCall`: the follow-up call. Absent in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ScheduledCall>)]
    pub call: Option<Option<ScheduledCall>>,
}

/// Status, timings, skip reasons, errors and warnings of a discharge run.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DischargeResultMetadata)]
pub struct OrchestrationMetadata {
    /// The run's status; absent in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// Milliseconds from submission to the end; `null` while the run lasts.
    #[schema(required = true)]
    pub total_processing_time: Option<i64>,
    /// Milliseconds per step (0 when it did not run).
    pub step_timings: BTreeMap<String, i64>,
    /// Why each skipped step was skipped; absent in a dry run (its plan says why).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reasons: Option<BTreeMap<String, Option<String>>>,
    /// Failed steps with their error; a cancelled run adds one with `step: null`.
    pub errors: Vec<StepFailure>,
    /// Step warnings, each `{step, message}` and, for lines of a note no rule
    /// recognised, `lines`.
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<Value>,
}

/// A failed step of a discharge run.
#[derive(Serialize, ToSchema)]
#[schema(as = DischargeStepError)]
pub struct StepFailure {
    /// The step; `null` for the run's own cancellation.
    #[schema(required = true)]
    pub step: Option<String>,
    /// What went wrong.
    pub error: String,
}

/// The email as the owner will get it, with its outbox state once scheduled.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DischargeResultEmail)]
pub struct EmailAnswer {
    /// The email.
    pub email_id: Uuid,
    /// The owner's address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// HTML body.
    pub html: String,
    /// Plain-text body.
    pub text: String,
    /// `prepared` until scheduled, then the outbox status.
    pub status: String,
    /// When it is due; `null` until scheduled.
    #[schema(required = true)]
    pub scheduled_for: Option<DateTime<Utc>>,
    /// The run delivering it, once scheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_run_id: Option<Uuid>,
    /// `smtp` or `spool`, once scheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_channel: Option<String>,
}

fn email(outputs: &DischargeOutputs) -> Option<EmailAnswer> {
    let prepared = outputs.prepared_email.as_ref()?;
    let scheduled = outputs.scheduled_email.as_ref();
    Some(EmailAnswer {
        email_id: prepared.email_id,
        recipient: prepared.recipient.clone(),
        subject: prepared.subject.clone(),
        html: prepared.html.clone(),
        text: prepared.text.clone(),
        status: scheduled.map_or(&prepared.status, |s| &s.status).clone(),
        scheduled_for: scheduled.map(|s| s.scheduled_for),
        delivery_run_id: scheduled.map(|s| s.delivery_run_id),
        delivery_channel: scheduled.map(|s| s.delivery_channel.clone()),
    })
}

/// The result of a finished (or, read later, any) discharge run.
pub fn orchestration(view: &RunView) -> Orchestration {
    let outputs = DischargeOutputs::of(view);
    let (mut completed, mut skipped, mut failed) = (vec![], vec![], vec![]);
    let mut reasons = BTreeMap::new();
    let mut timings = BTreeMap::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for s in &view.steps {
        timings.insert(s.name.clone(), s.duration_ms.unwrap_or(0));
        for w in &s.messages.warnings {
            let mut w = w.clone();
            if let Value::Object(map) = &mut w {
                map.insert("step".into(), Value::from(s.name.clone()));
            }
            warnings.push(w);
        }
        match s.status {
            StepStatus::Completed if s.name == "ingest" && outputs.reused_case() => {
                skipped.push(s.name.clone());
                reasons.insert(s.name.clone(), Some(EXISTING_CASE.to_string()));
            }
            StepStatus::Completed => completed.push(s.name.clone()),
            StepStatus::Skipped => {
                skipped.push(s.name.clone());
                reasons.insert(s.name.clone(), s.skip_reason.clone());
            }
            StepStatus::Failed => {
                failed.push(s.name.clone());
                let message = s
                    .error
                    .as_ref()
                    .and_then(|e| e.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or("failed");
                errors.push(StepFailure {
                    step: Some(s.name.clone()),
                    error: message.to_string(),
                });
            }
            _ => {}
        }
    }
    if view.status == RunStatus::Cancelled {
        errors.push(StepFailure {
            step: None,
            error: "run cancelled".into(),
        });
    }
    let success = view.status == RunStatus::Completed && failed.is_empty();
    let email = email(&outputs);
    Orchestration {
        success,
        run_id: Some(view.run_id),
        dry_run: None,
        plan: None,
        data: OrchestrationData {
            completed_steps: completed,
            skipped_steps: skipped,
            failed_steps: failed,
            ingestion: Some(outputs.ingest),
            summary: Some(outputs.summary),
            email: Some(email),
            call: Some(outputs.call),
        },
        metadata: OrchestrationMetadata {
            status: Some(view.status),
            total_processing_time: view.total_ms().or(view.duration_ms),
            step_timings: timings,
            skip_reasons: Some(reasons),
            errors,
            warnings,
        },
    }
}

/// The answer of a dry run: the plan, nothing written.
pub fn dry_run(plan: &DryRunPlan) -> Orchestration {
    let skipped = plan.skipped.iter().map(|s| s.step.clone()).collect();
    let timings = STEPS.iter().map(|s| (s.to_string(), 0)).collect();
    Orchestration {
        success: true,
        run_id: None,
        dry_run: Some(true),
        plan: Some(plan.clone()),
        data: OrchestrationData {
            completed_steps: vec![],
            skipped_steps: skipped,
            failed_steps: vec![],
            ingestion: None,
            summary: None,
            email: None,
            call: None,
        },
        metadata: OrchestrationMetadata {
            status: None,
            total_processing_time: Some(0),
            step_timings: timings,
            skip_reasons: None,
            errors: vec![],
            warnings: vec![],
        },
    }
}
