//! How discharge runs and records are shown: the orchestration result (what each
//! step did, its data, and how long each step took) and the stored case, summary,
//! email and call. Step outputs are read as their types in
//! `workflows::discharge::outputs`, never picked by key here.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::engine::{DryRunPlan, RunView};
use crate::store::{CallRow, CaseRow, EmailRow, RunStatus, StepStatus, SummaryRow};
use crate::workflows::discharge::STEPS;
use crate::workflows::discharge::outputs::DischargeOutputs;

/// Why a completed `ingest` is reported as skipped.
const EXISTING_CASE: &str = "existingCase given: the stored case is used as it is";

/// The email as the owner will get it, with its outbox state once scheduled.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmailAnswer<'a> {
    email_id: Uuid,
    recipient: &'a str,
    subject: &'a str,
    html: &'a str,
    text: &'a str,
    status: &'a str,
    scheduled_for: Option<DateTime<Utc>>,
    // Named only once the email is scheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_run_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_channel: Option<&'a str>,
}

fn email(outputs: &DischargeOutputs) -> Option<EmailAnswer<'_>> {
    let prepared = outputs.prepared_email.as_ref()?;
    let scheduled = outputs.scheduled_email.as_ref();
    Some(EmailAnswer {
        email_id: prepared.email_id,
        recipient: &prepared.recipient,
        subject: &prepared.subject,
        html: &prepared.html,
        text: &prepared.text,
        status: scheduled.map_or(&prepared.status, |s| &s.status),
        scheduled_for: scheduled.map(|s| s.scheduled_for),
        delivery_run_id: scheduled.map(|s| s.delivery_run_id),
        delivery_channel: scheduled.map(|s| s.delivery_channel.as_str()),
    })
}

/// The body of a finished (or, read later, any) discharge run.
pub fn orchestration(view: &RunView) -> Value {
    let outputs = DischargeOutputs::of(view);
    let (mut completed, mut skipped, mut failed) = (vec![], vec![], vec![]);
    let mut reasons = Map::new();
    let mut timings = Map::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for s in &view.steps {
        timings.insert(s.name.clone(), json!(s.duration_ms.unwrap_or(0)));
        for w in &s.messages.warnings {
            let mut w = w.clone();
            if let Value::Object(map) = &mut w {
                map.insert("step".into(), json!(s.name));
            }
            warnings.push(w);
        }
        match s.status {
            StepStatus::Completed if s.name == "ingest" && outputs.reused_case() => {
                skipped.push(s.name.clone());
                reasons.insert(s.name.clone(), json!(EXISTING_CASE));
            }
            StepStatus::Completed => completed.push(s.name.clone()),
            StepStatus::Skipped => {
                skipped.push(s.name.clone());
                reasons.insert(s.name.clone(), json!(s.skip_reason));
            }
            StepStatus::Failed => {
                failed.push(s.name.clone());
                let message = s
                    .error
                    .as_ref()
                    .and_then(|e| e.get("message"))
                    .cloned()
                    .unwrap_or_else(|| json!("failed"));
                errors.push(json!({"step": s.name, "error": message}));
            }
            _ => {}
        }
    }
    if view.status == RunStatus::Cancelled {
        errors.push(json!({"step": null, "error": "run cancelled"}));
    }
    let success = view.status == RunStatus::Completed && failed.is_empty();
    json!({
        "success": success,
        "runId": view.run_id,
        "data": {
            "completedSteps": completed,
            "skippedSteps": skipped,
            "failedSteps": failed,
            "ingestion": outputs.ingest,
            "summary": outputs.summary,
            "email": email(&outputs),
            "call": outputs.call,
        },
        "metadata": {
            "status": view.status,
            "totalProcessingTime": view.total_ms().or(view.duration_ms),
            "stepTimings": timings,
            "skipReasons": reasons,
            "errors": errors,
            "warnings": warnings,
        },
    })
}

/// The body of a dry run: the plan, nothing written.
pub fn dry_run(plan: &DryRunPlan) -> Value {
    let skipped: Vec<&str> = plan.skipped.iter().map(|s| s.step.as_str()).collect();
    let timings: Map<String, Value> = STEPS.iter().map(|s| (s.to_string(), json!(0))).collect();
    json!({
        "success": true,
        "dryRun": true,
        "runId": null,
        "plan": plan,
        "data": {
            "completedSteps": [],
            "skippedSteps": skipped,
            "failedSteps": [],
        },
        "metadata": {"totalProcessingTime": 0, "stepTimings": timings, "errors": [], "warnings": []},
    })
}

/// `GET /v1/cases/{id}`.
pub fn case(row: &CaseRow) -> Value {
    json!({
        "caseId": row.case_id,
        "runId": row.run_id,
        "mode": row.mode,
        "source": row.source,
        "patient": row.patient.0,
        "entities": row.entities.0,
        "data": row.data.0,
        "createdAt": row.created_at,
    })
}

/// `GET /v1/discharge/summaries/{id}`.
pub fn summary(row: &SummaryRow) -> Value {
    json!({
        "summaryId": row.summary_id,
        "caseId": row.case_id,
        "runId": row.run_id,
        "content": row.content,
        "generatedBy": row.generated_by,
        "createdAt": row.created_at,
    })
}

/// `GET /v1/discharge/emails/{id}`.
pub fn email_record(row: &EmailRow) -> Value {
    json!({
        "emailId": row.email_id,
        "caseId": row.case_id,
        "summaryId": row.summary_id,
        "runId": row.run_id,
        "recipient": row.recipient,
        "subject": row.subject,
        "html": row.html_body,
        "text": row.text_body,
        "status": row.status,
        "scheduledFor": row.scheduled_for,
        "attempts": row.attempts,
        "lastError": row.last_error,
        "deliveredVia": row.delivered_via,
        "messageId": row.message_id,
        "sentAt": row.sent_at,
        "deliveryRunId": row.delivery_run_id,
        "resends": row.resends,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    })
}

/// `GET /v1/discharge/calls/{id}`.
pub fn call_record(row: &CallRow) -> Value {
    json!({
        "callId": row.call_id,
        "caseId": row.case_id,
        "runId": row.run_id,
        "to": row.to_phone,
        "script": row.script,
        "status": row.status,
        "scheduledFor": row.scheduled_for,
        "attempts": row.attempts,
        "lastError": row.last_error,
        "providerCallId": row.provider_call_id,
        "providerStatus": row.provider_status,
        "placedAt": row.placed_at,
        "placementRunId": row.placement_run_id,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    })
}
