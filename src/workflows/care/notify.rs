//! `send-notification`, on `notification/send`: logs the notification (`PENDING`),
//! then hands it to its channel (`SENT` with the provider's id) or records why it
//! could not go (`FAILED`: channel not configured, daily cap reached, no address,
//! provider refused or kept failing; `CANCELLED`: its task was resolved, or the
//! patient replied, before it went out).
//! Later statuses come from Twilio's callbacks. At most one notification per nurse
//! is sent at a time (concurrency key `data.nurseId`).
//!
//! Event data: `kind` (`message` default, `checkin`, `critical_reply`, `task_assigned`,
//! `sla_warning`, `sla_breach`), a recipient (`nurseId`, `contactId` (an escalation
//! contact, told that nobody holds the task), `to` or `patientId`), optional `channel`
//! (the nurse's preferred one, else `sms`, or `email` for an address with `@`),
//! `priority`, `taskId`, `planId`, `attemptId`, and for `message` the `message` text
//! and an optional `subject`. Texts of the other kinds are written here from the task
//! or plan, so events never carry a patient's name or number. With `fallbackFor` (an
//! urgent call nobody answered, asked for by Twilio's status callback) the call's
//! text goes once by SMS to the same number (see `fallback`).

mod fallback;
mod send;

use std::sync::Arc;

use uuid::Uuid;

use super::deps::{Care, id, optional_id, text};
use super::outputs::Logged;
use crate::domain::care::notify::{Channel, checkin_text, task_text};
use crate::domain::care::reference::task_reference;
use crate::engine::{
    DefinitionError, FunctionSpec, StepContext, StepError, StepOutcome, StepOutput, StepPolicy,
    WorkflowDefinition,
};
use crate::store::{NewNotification, PlanRow};
use send::send;

/// The function's name.
pub const NAME: &str = "send-notification";

/// Notification kinds.
pub const KINDS: [&str; 6] = [
    "message",
    "checkin",
    "critical_reply",
    "task_assigned",
    "sla_warning",
    "sla_breach",
];

/// Longest free text a `message` notification carries.
const MAX_MESSAGE: usize = 1600;

/// The definition and its trigger.
pub fn function(care: Arc<Care>) -> Result<(WorkflowDefinition, FunctionSpec), DefinitionError> {
    let retries = care.send_retries();
    let c = care.clone();
    let def = WorkflowDefinition::builder(NAME, 1)
        .step("log", &[], StepPolicy::new().critical(), move |ctx| {
            let c = c.clone();
            async move { log(&c, ctx).await }
        })
        .step(
            "send",
            &["log"],
            StepPolicy::new().critical().retry(retries),
            move |ctx| {
                let c = care.clone();
                async move { send(&c, ctx).await }
            },
        )
        .build()?;
    let spec = FunctionSpec::on(NAME, "notification/send").concurrency(1, "data.nurseId");
    Ok((def, spec))
}

struct Recipient {
    kind: &'static str,
    id: Option<String>,
    channel: Channel,
    address: Option<String>,
}

fn channel_of(ctx: &StepContext, default: Channel) -> Result<Channel, StepError> {
    match text(ctx, "channel") {
        None => Ok(default),
        Some(c) => Channel::parse(c).ok_or_else(|| {
            StepError::permanent("event data.channel must be sms, email, voice or push")
        }),
    }
}

async fn plan_of(care: &Care, ctx: &StepContext) -> Result<Option<PlanRow>, StepError> {
    if let Some(plan) = optional_id(ctx, "planId")? {
        return care
            .store
            .get_plan(&ctx.tenant, plan)
            .await
            .map_err(StepError::from);
    }
    let Some(patient) = text(ctx, "patientId") else {
        return Ok(None);
    };
    let plans = care
        .store
        .plans_for_patient(&ctx.tenant, patient)
        .await
        .map_err(StepError::from)?;
    Ok(plans.into_iter().last())
}

async fn recipient(
    care: &Care,
    ctx: &StepContext,
    plan: Option<&PlanRow>,
) -> Result<Recipient, StepError> {
    if let Some(nurse_id) = optional_id(ctx, "nurseId")? {
        let nurse = care
            .store
            .get_nurse(&ctx.tenant, nurse_id)
            .await
            .map_err(StepError::from)?
            .ok_or_else(|| StepError::permanent("event data.nurseId names no nurse"))?;
        let preferred = Channel::parse(&nurse.preferred_channel).unwrap_or(Channel::Sms);
        let channel = channel_of(ctx, preferred)?;
        let address = match channel {
            Channel::Sms | Channel::Voice => nurse.phone,
            Channel::Email => nurse.email,
            Channel::Push => None,
        };
        return Ok(Recipient {
            kind: "nurse",
            id: Some(nurse_id.to_string()),
            channel,
            address,
        });
    }
    if let Some(contact_id) = optional_id(ctx, "contactId")? {
        let contact = care
            .store
            .get_escalation_contact(&ctx.tenant, contact_id)
            .await
            .map_err(StepError::from)?
            .ok_or_else(|| {
                StepError::permanent("event data.contactId names no escalation contact")
            })?;
        let channel = channel_of(ctx, Channel::Sms)?;
        return Ok(Recipient {
            kind: "escalation_contact",
            id: Some(contact_id.to_string()),
            channel,
            address: matches!(channel, Channel::Sms | Channel::Voice).then_some(contact.phone),
        });
    }
    if let Some(to) = text(ctx, "to") {
        let default = if to.contains('@') {
            Channel::Email
        } else {
            Channel::Sms
        };
        let channel = channel_of(ctx, default)?;
        let valid = match channel {
            Channel::Email => to.parse::<lettre::Address>().is_ok(),
            _ => super::is_e164(to),
        };
        if !valid {
            return Err(StepError::permanent(format!(
                "event data.to must be {} for channel {}",
                if channel == Channel::Email {
                    "an email address"
                } else {
                    "an E.164 phone number"
                },
                channel.as_str()
            )));
        }
        return Ok(Recipient {
            kind: "address",
            id: None,
            channel,
            address: Some(to.to_string()),
        });
    }
    if let Some(patient) = text(ctx, "patientId") {
        let channel = channel_of(ctx, Channel::Sms)?;
        let address = plan
            .filter(|_| matches!(channel, Channel::Sms | Channel::Voice))
            .map(|p| p.phone.clone());
        return Ok(Recipient {
            kind: "patient",
            id: Some(patient.to_string()),
            channel,
            address,
        });
    }
    Err(StepError::permanent(
        "event data needs a recipient: nurseId, to or patientId",
    ))
}

/// Step `log`: resolves recipient and text, and logs the notification.
async fn log(care: &Care, ctx: StepContext) -> Result<StepOutcome, StepError> {
    if let Some(call) = optional_id(&ctx, "fallbackFor")? {
        return fallback::log_fallback(care, &ctx, call).await;
    }
    let kind = text(&ctx, "kind").unwrap_or("message");
    if !KINDS.contains(&kind) {
        return Err(StepError::permanent(format!(
            "event data.kind must be one of {}",
            KINDS.join(", ")
        )));
    }
    let default_priority = if kind == "sla_breach" {
        "urgent"
    } else {
        "normal"
    };
    let priority = match text(&ctx, "priority").unwrap_or(default_priority) {
        p @ ("normal" | "urgent") => p,
        _ => {
            return Err(StepError::permanent(
                "event data.priority must be normal or urgent",
            ));
        }
    };
    let task_id = optional_id(&ctx, "taskId")?;
    let attempt_id = optional_id(&ctx, "attemptId")?;
    let plan = plan_of(care, &ctx).await?;
    let to = recipient(care, &ctx, plan.as_ref()).await?;
    let (subject, body) = match kind {
        "checkin" => {
            let plan = plan.as_ref().ok_or_else(|| {
                StepError::permanent("a check-in needs data.planId or a patient with a plan")
            })?;
            let body = checkin_text(&care.care().checkin_message, plan.patient_name.as_deref());
            (Some("Checking in after your discharge".to_string()), body)
        }
        "critical_reply" => (
            Some("Please get help now".to_string()),
            care.care().critical_reply.clone(),
        ),
        "message" => {
            let message = text(&ctx, "message").ok_or_else(|| {
                StepError::permanent("event data.message is required for kind message")
            })?;
            if message.chars().count() > MAX_MESSAGE {
                return Err(StepError::permanent(format!(
                    "event data.message must hold at most {MAX_MESSAGE} characters"
                )));
            }
            (text(&ctx, "subject").map(String::from), message.to_string())
        }
        task_kind => {
            let task_id = id(&ctx, "taskId")?;
            let task = care
                .store
                .get_task(&ctx.tenant, task_id)
                .await
                .map_err(StepError::from)?
                .ok_or_else(|| StepError::permanent("event data.taskId names no task"))?;
            let reference = task_reference(task.reference_number, task.task_id);
            let body = task_text(task_kind, &task.title, &task.priority, &reference);
            // An escalation contact is told because nobody holds the task.
            let body = if to.kind == "escalation_contact" {
                format!("UNASSIGNED: nobody holds this task. {body}")
            } else {
                body
            };
            let subject = match task_kind {
                "sla_breach" => "URGENT: task SLA breached",
                "sla_warning" => "Task SLA warning",
                _ => "New task assigned",
            };
            (Some(subject.to_string()), body)
        }
    };
    let patient_id = text(&ctx, "patientId")
        .map(String::from)
        .or_else(|| plan.as_ref().map(|p| p.patient_id.clone()));
    let row = care
        .store
        .insert_notification(&NewNotification {
            tenant_id: ctx.tenant.clone(),
            notification_id: Uuid::now_v7(),
            origin_key: ctx.run_id.to_string(),
            kind: kind.to_string(),
            channel: to.channel.as_str().to_string(),
            recipient_kind: to.kind.to_string(),
            recipient_id: to.id,
            address: to.address,
            subject,
            body,
            priority: priority.to_string(),
            task_id,
            patient_id,
            attempt_id,
            created_at: ctx.now(),
        })
        .await
        .map_err(StepError::from)?;
    StepOutput::typed(&Logged::of(row, None)).map(StepOutcome::Done)
}
