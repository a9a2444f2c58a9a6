//! `handle-checkin-response`, on `interaction/response_received`: records the reply
//! (an inbound SMS the webhook stored, named by `data.interactionId`, or the
//! `data.text` of an event sent through the API), classifies it with the documented
//! rule table (`domain::care::severity`), seconded by the model when configured
//! (`triage`), and raises a task: for MODERATE and above a follow-up task with
//! `interaction/escalated`, for anything lower a LOW "review reply" task, so a person
//! reads every patient message. `task/created` starts `assign-task` and `monitor-sla`.
//! A CRITICAL reply also sends the patient `care.critical_reply` at once
//! (`notification/send`, kind `critical_reply`).

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use super::deps::{Care, event_id, optional_id, text};
use super::outputs::{Recorded, ReplyEscalation};
use super::task_created;
use super::triage::triage;
use crate::domain::care::notify::priority_for;
use crate::domain::care::severity::Severity;
use crate::engine::{
    DefinitionError, FunctionSpec, StepContext, StepError, StepOutcome, StepOutput, StepPolicy,
    WorkflowDefinition,
};
use crate::store::{Classified, InteractionRow, NewInteraction, NewTask};

/// The function's name.
pub const NAME: &str = "handle-checkin-response";

/// Longest reply accepted through the API.
const MAX_TEXT: usize = 4000;

/// The definition and its trigger.
pub fn function(care: Arc<Care>) -> Result<(WorkflowDefinition, FunctionSpec), DefinitionError> {
    let c = care.clone();
    let def = WorkflowDefinition::builder(NAME, 1)
        .step("record", &[], StepPolicy::new().critical(), move |ctx| {
            let c = c.clone();
            async move { record(&c, ctx).await }
        })
        .step(
            "escalate",
            &["record"],
            StepPolicy::new().critical(),
            move |ctx| {
                let c = care.clone();
                async move { escalate(&c, ctx).await }
            },
        )
        .build()?;
    Ok((def, FunctionSpec::on(NAME, super::checkin::REPLY_EVENT)))
}

/// The interaction the event is about: stored by the webhook, or recorded here.
async fn interaction(care: &Care, ctx: &StepContext) -> Result<InteractionRow, StepError> {
    let patient = text(ctx, "patientId")
        .ok_or_else(|| StepError::permanent("event data.patientId is required"))?;
    if let Some(id) = optional_id(ctx, "interactionId")? {
        let row = care
            .store
            .get_interaction(&ctx.tenant, id)
            .await
            .map_err(StepError::from)?
            .ok_or_else(|| StepError::permanent("event data.interactionId names nothing"))?;
        if row.patient_id != patient {
            return Err(StepError::permanent(
                "event data.interactionId belongs to another patient",
            ));
        }
        return Ok(row);
    }
    let body = text(ctx, "text").ok_or_else(|| {
        StepError::permanent("event data needs the reply as text (or an interactionId)")
    })?;
    if body.chars().count() > MAX_TEXT {
        return Err(StepError::permanent(format!(
            "event data.text must hold at most {MAX_TEXT} characters"
        )));
    }
    let plan = care
        .store
        .plans_for_patient(&ctx.tenant, patient)
        .await
        .map_err(StepError::from)?
        .into_iter()
        .last();
    let (row, _) = care
        .store
        .insert_interaction(
            &NewInteraction {
                tenant_id: ctx.tenant.clone(),
                interaction_id: Uuid::now_v7(),
                patient_id: patient.to_string(),
                plan_id: plan.map(|p| p.plan_id),
                channel: text(ctx, "channel").unwrap_or("api").to_string(),
                body: body.to_string(),
                message_sid: None,
                origin_key: Some(format!("evt:{}", event_id(ctx))),
                received_at: ctx.now(),
            },
            &[],
        )
        .await
        .map_err(StepError::from)?;
    Ok(row)
}

/// Step `record`: stores and classifies the reply.
async fn record(care: &Care, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let row = interaction(care, &ctx).await?;
    let verdict = triage(care.model.as_ref(), &row.body).await;
    care.store
        .classify_interaction(
            &ctx.tenant,
            row.interaction_id,
            &Classified {
                severity: verdict.severity.as_str().to_string(),
                matched_rules: json!(verdict.rules.matched_rules),
                reason: verdict.reason.clone(),
                at: ctx.now(),
                decided_by: verdict.decided_by.as_str().to_string(),
            },
        )
        .await
        .map_err(StepError::from)?;
    StepOutput::typed(&Recorded {
        interaction_id: row.interaction_id,
        patient_id: row.patient_id,
        plan_id: row.plan_id,
        severity: verdict.severity.as_str().to_owned(),
        matched_rules: verdict.rules.matched_rules,
        reason: verdict.reason,
        decided_by: verdict.decided_by.as_str().to_owned(),
        rules_severity: verdict.rules.severity.as_str().to_owned(),
        model: verdict.model,
    })
    .map(StepOutcome::Done)
}

/// Step `escalate`: a follow-up task for MODERATE and above, a LOW review task for
/// anything lower; for CRITICAL also the safety message to the patient.
async fn escalate(care: &Care, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let recorded: Recorded = ctx.dep_as("record")?;
    let found = recorded.severity.clone();
    let found_severity = Severity::parse(&found).unwrap_or(Severity::None);
    let escalated = found_severity >= Severity::Moderate;
    // Below MODERATE the reply still needs a reader: a LOW task says so.
    let (severity, title) = if escalated {
        (
            found.clone(),
            format!("Check-in reply needs follow-up ({found})"),
        )
    } else {
        (
            Severity::Low.as_str().to_string(),
            format!("Review reply ({found})"),
        )
    };
    let interaction = recorded.interaction_id;
    let patient = recorded.patient_id.clone();
    let sla = care.care().sla_minutes.for_severity(&severity);
    let task = care
        .store
        .insert_task(
            &NewTask {
                tenant_id: ctx.tenant.clone(),
                task_id: Uuid::now_v7(),
                patient_id: patient.clone(),
                title,
                description: Some(recorded.reason.clone()).filter(|r| !r.is_empty()),
                priority: priority_for(&severity).into(),
                severity: severity.clone(),
                sla_minutes: i32::try_from(sla).unwrap_or(i32::MAX),
                origin: "checkin-response".into(),
                origin_key: Some(ctx.idempotency_key.clone()),
                interaction_id: Some(interaction),
                created_at: ctx.now(),
            },
            &[],
        )
        .await
        .map_err(StepError::from)?;
    care.store
        .set_interaction_task(&ctx.tenant, interaction, task.task_id)
        .await
        .map_err(StepError::from)?;
    let critical = found_severity == Severity::Critical;
    let mut out = StepOutput::typed(&ReplyEscalation {
        escalated,
        severity: found,
        task_id: task.task_id,
        task_severity: severity.clone(),
        critical_reply: critical,
    })?;
    if escalated {
        out = out.emit(
            "interaction/escalated",
            json!({
                "patientId": patient,
                "interactionId": interaction,
                "taskId": task.task_id,
                "severity": severity,
                "matchedRules": recorded.matched_rules,
                "decidedBy": recorded.decided_by,
                "reason": "reply",
            }),
        );
    }
    out = out.emit("task/created", task_created(&task));
    if critical {
        // The text is written from `care.critical_reply` when the notification is
        // logged; the number comes from the plan, so neither travels in the event.
        out = out.emit(
            "notification/send",
            json!({
                "kind": "critical_reply",
                "patientId": patient,
                "planId": recorded.plan_id,
                "channel": "sms",
                "priority": "urgent",
            }),
        );
    }
    Ok(StepOutcome::Done(out))
}
