//! `review-unrouted-reply`, on `interaction/unrouted` (`data: {unroutedReplyId,
//! patientId, planId}`): an SMS from a number several patients share could not be
//! routed to one of them, so each tenant concerned gets a review task per patient
//! who may have sent it. The task says only that an unrouted reply awaits review:
//! never the text or the number, which may belong to another tenant's patient. Its
//! severity follows the rule table's verdict on the text (at least LOW), so an
//! emergency is as urgent here as anywhere; and a CRITICAL one sends the sender
//! `care.critical_reply` once (from the run whose event says `answersSender`).

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use super::deps::{Care, data, id, text};
use super::outputs::UnroutedReview;
use super::task_created;
use crate::domain::care::notify::priority_for;
use crate::engine::{
    DefinitionError, FunctionSpec, StepContext, StepError, StepOutcome, StepOutput, StepPolicy,
    WorkflowDefinition,
};
use crate::store::NewTask;

/// The function's name.
pub const NAME: &str = "review-unrouted-reply";

/// The event announcing an unrouted reply to a tenant concerned.
pub const UNROUTED_EVENT: &str = "interaction/unrouted";

/// The review task's title, the only thing a tenant learns about the reply.
pub const REVIEW_TITLE: &str = "An unrouted reply awaits review";

/// The definition and its trigger.
pub fn function(care: Arc<Care>) -> Result<(WorkflowDefinition, FunctionSpec), DefinitionError> {
    let def = WorkflowDefinition::builder(NAME, 1)
        .step("task", &[], StepPolicy::new().critical(), move |ctx| {
            let c = care.clone();
            async move { raise(&c, ctx).await }
        })
        .build()?;
    Ok((def, FunctionSpec::on(NAME, UNROUTED_EVENT)))
}

/// Step `task`: the review task for this tenant's patient.
async fn raise(care: &Care, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let reply = id(&ctx, "unroutedReplyId")?;
    let patient = text(&ctx, "patientId")
        .ok_or_else(|| StepError::permanent("event data.patientId is required"))?;
    // The event may come from the API: only a tenant the reply concerns gets a task.
    let unrouted = care
        .store
        .unrouted_for_tenant(&ctx.tenant, reply, patient)
        .await
        .map_err(StepError::from)?
        .ok_or_else(|| {
            StepError::permanent("event data names no unrouted reply of this tenant's patient")
        })?;
    let severity = match unrouted.severity.as_str() {
        "NONE" => "LOW".to_string(),
        other => other.to_string(),
    };
    let sla = care.care().sla_minutes.for_severity(&severity);
    let task = care
        .store
        .insert_task(
            &NewTask {
                tenant_id: ctx.tenant.clone(),
                task_id: Uuid::now_v7(),
                patient_id: unrouted.patient_id.clone(),
                title: REVIEW_TITLE.into(),
                description: Some(
                    "An SMS came from this patient's number but could not be matched to one \
                     patient, so it is held unrouted. Call the patient: ask whether they \
                     wrote and what they need."
                        .into(),
                ),
                priority: priority_for(&severity).into(),
                severity: severity.clone(),
                sla_minutes: i32::try_from(sla).unwrap_or(i32::MAX),
                origin: "unrouted-reply".into(),
                origin_key: Some(ctx.idempotency_key.clone()),
                interaction_id: None,
                created_at: ctx.now(),
            },
            &[],
        )
        .await
        .map_err(StepError::from)?;
    let answers = severity == "CRITICAL" && data(&ctx)["answersSender"] == true;
    let mut out = StepOutput::typed(&UnroutedReview {
        unrouted_reply_id: reply,
        task_id: task.task_id,
        severity,
        critical_reply: answers,
    })?
    .emit("task/created", task_created(&task));
    if answers {
        // The plan's number is the sender's; the text is written when it is logged.
        out = out.emit(
            "notification/send",
            json!({
                "kind": "critical_reply",
                "patientId": unrouted.patient_id,
                "planId": data(&ctx)["planId"],
                "channel": "sms",
                "priority": "urgent",
            }),
        );
    }
    Ok(StepOutcome::Done(out))
}
