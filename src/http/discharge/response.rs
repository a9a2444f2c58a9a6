//! How discharge runs and records are shown: the orchestration result (what each
//! step did, its data, and how long each step took) and the stored case, summary,
//! email and call.

use serde_json::{Map, Value, json};

use crate::engine::{DryRunPlan, RunView};
use crate::store::{CallRow, CaseRow, EmailRow, RunStatus, StepStatus, SummaryRow};
use crate::workflows::discharge::STEPS;

/// Why a completed `ingest` is reported as skipped.
const EXISTING_CASE: &str = "existingCase given: the stored case is used as it is";

fn output<'a>(view: &'a RunView, step: &str) -> Option<&'a Value> {
    view.step(step)
        .filter(|s| s.status == StepStatus::Completed)
        .and_then(|s| s.output.as_ref())
}

fn pick(value: &Value, keys: &[&str]) -> Value {
    let mut out = Map::new();
    for k in keys {
        if let Some(v) = value.get(*k) {
            out.insert((*k).to_string(), v.clone());
        }
    }
    Value::Object(out)
}

/// The email as the owner will get it, with its outbox state once scheduled.
fn email(view: &RunView) -> Value {
    let Some(prepared) = output(view, "prepareEmail") else {
        return Value::Null;
    };
    let mut email = pick(
        prepared,
        &["emailId", "recipient", "subject", "html", "text", "status"],
    );
    if let (Some(scheduled), Value::Object(e)) = (output(view, "scheduleEmail"), &mut email) {
        for k in ["scheduledFor", "status", "deliveryRunId", "deliveryChannel"] {
            if let Some(v) = scheduled.get(k) {
                e.insert(k.to_string(), v.clone());
            }
        }
    } else if let Value::Object(e) = &mut email {
        e.insert("scheduledFor".into(), Value::Null);
    }
    email
}

/// The body of a finished (or, read later, any) discharge run.
pub fn orchestration(view: &RunView) -> Value {
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
            StepStatus::Completed
                if s.name == "ingest"
                    && s.output.as_ref().and_then(|o| o.get("existing")) == Some(&json!(true)) =>
            {
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
    let ingestion = output(view, "ingest")
        .map(|o| {
            pick(
                o,
                &[
                    "caseId", "existing", "mode", "source", "patient", "entities",
                ],
            )
        })
        .unwrap_or(Value::Null);
    let summary = output(view, "generateSummary")
        .map(|o| pick(o, &["summaryId", "content", "generatedBy"]))
        .unwrap_or(Value::Null);
    let call = output(view, "scheduleCall")
        .map(|o| {
            pick(
                o,
                &[
                    "callId",
                    "to",
                    "scheduledFor",
                    "status",
                    "placementRunId",
                    "placementChannel",
                ],
            )
        })
        .unwrap_or(Value::Null);
    json!({
        "success": success,
        "runId": view.run_id,
        "data": {
            "completedSteps": completed,
            "skippedSteps": skipped,
            "failedSteps": failed,
            "ingestion": ingestion,
            "summary": summary,
            "email": email(view),
            "call": call,
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
