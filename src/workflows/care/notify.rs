//! `send-notification`, on `notification/send`: logs the notification (`PENDING`),
//! then hands it to its channel (`SENT` with the provider's id) or records why it
//! could not go (`FAILED`: channel not configured, daily cap reached, no address,
//! provider refused or kept failing; `CANCELLED`: its task was resolved, or the
//! patient replied, before it went out).
//! Later statuses come from Twilio's callbacks. At most one notification per nurse
//! is sent at a time (concurrency key `data.nurseId`).
//!
//! Event data: `kind` (`message` default, `checkin`, `task_assigned`, `sla_warning`,
//! `sla_breach`), a recipient (`nurseId`, `to` or `patientId`), optional `channel`
//! (the nurse's preferred one, else `sms`, or `email` for an address with `@`),
//! `priority`, `taskId`, `planId`, `attemptId`, and for `message` the `message` text
//! and an optional `subject`. Texts of the other kinds are written here from the task
//! or plan, so events never carry a patient's name or number.

use std::sync::Arc;

use serde_json::{Value, json};
use uuid::Uuid;

use super::channels;
use super::deps::{Care, data, id, optional_id, stored, text};
use crate::domain::care::notify::{Channel, checkin_text, task_text};
use crate::engine::{
    DefinitionError, FunctionSpec, StepContext, StepError, StepOutcome, StepOutput, StepPolicy,
    WorkflowDefinition,
};
use crate::store::{NewNotification, NotificationRow, PlanRow, Reservation, SendResult};

/// The function's name.
pub const NAME: &str = "send-notification";

/// Notification kinds.
pub const KINDS: [&str; 5] = [
    "message",
    "checkin",
    "task_assigned",
    "sla_warning",
    "sla_breach",
];

/// Longest free text a `message` notification carries.
const MAX_MESSAGE: usize = 1600;

/// The definition and its trigger.
pub fn function(care: Arc<Care>) -> Result<(WorkflowDefinition, FunctionSpec), DefinitionError> {
    let retries = care.retries(care.care().send_attempts);
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
        return care.store.get_plan(&ctx.tenant, plan).await.map_err(stored);
    }
    let Some(patient) = text(ctx, "patientId") else {
        return Ok(None);
    };
    let plans = care
        .store
        .plans_for_patient(&ctx.tenant, patient)
        .await
        .map_err(stored)?;
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
            .map_err(stored)?
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
                .map_err(stored)?
                .ok_or_else(|| StepError::permanent("event data.taskId names no task"))?;
            let body = task_text(
                task_kind,
                &task.title,
                &task.priority,
                &task.task_id.to_string(),
            );
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
        .map_err(stored)?;
    Ok(StepOutcome::Done(StepOutput::new(json!({
        "notificationId": row.notification_id,
        "kind": row.kind,
        "channel": row.channel,
        "recipient": {"kind": row.recipient_kind, "id": row.recipient_id},
    }))))
}

/// What events about this notification carry (ids and labels only).
fn event_data(row: &NotificationRow, ctx: &StepContext) -> Value {
    json!({
        "notificationId": row.notification_id,
        "kind": row.kind,
        "channel": row.channel,
        "status": row.status,
        "taskId": row.task_id,
        "nurseId": data(ctx).get("nurseId"),
        "patientId": row.patient_id,
        "error": row.error,
    })
}

/// The step's result for a notification whose send is settled.
fn settled(row: &NotificationRow, ctx: &StepContext) -> StepOutcome {
    let output = json!({
        "notificationId": row.notification_id,
        "status": row.status,
        "provider": row.provider,
        "providerId": row.provider_id,
        "error": row.error,
    });
    let out = StepOutput::new(output);
    let out = match row.status.as_str() {
        "SENT" | "DELIVERED" | "READ" => out.emit("notification/sent", event_data(row, ctx)),
        "FAILED" => out.emit("notification/failed", event_data(row, ctx)),
        _ => out,
    };
    StepOutcome::Done(out)
}

async fn finish(
    care: &Care,
    ctx: &StepContext,
    row: &NotificationRow,
    result: SendResult,
) -> Result<StepOutcome, StepError> {
    care.store
        .finish_send(&ctx.tenant, row.notification_id, &result)
        .await
        .map_err(stored)?;
    let now = care
        .store
        .get_notification(&ctx.tenant, row.notification_id)
        .await
        .map_err(stored)?
        .ok_or_else(|| StepError::retryable("the notification disappeared"))?;
    Ok(settled(&now, ctx))
}

fn failed(
    error: impl Into<String>,
    code: Option<String>,
    at: chrono::DateTime<chrono::Utc>,
) -> SendResult {
    SendResult {
        status: "FAILED".into(),
        provider: None,
        provider_id: None,
        provider_status: None,
        error: Some(error.into()),
        error_code: code,
        at,
    }
}

fn sent(
    provider: &str,
    id: String,
    status: Option<String>,
    at: chrono::DateTime<chrono::Utc>,
) -> SendResult {
    SendResult {
        status: "SENT".into(),
        provider: Some(provider.to_string()),
        provider_id: Some(id),
        provider_status: status,
        error: None,
        error_code: None,
        at,
    }
}

/// Why the notification is not worth sending any more, if it is not: its task was
/// resolved, or the patient answered before the check-in went out.
async fn withdrawn(
    care: &Care,
    ctx: &StepContext,
    row: &NotificationRow,
) -> Result<Option<&'static str>, StepError> {
    match (row.kind.as_str(), row.task_id, row.patient_id.as_deref()) {
        ("task_assigned" | "sla_warning" | "sla_breach", Some(task), _) => {
            let task = care
                .store
                .get_task(&ctx.tenant, task)
                .await
                .map_err(stored)?;
            Ok(task
                .is_some_and(|t| t.status == "RESOLVED")
                .then_some("its task was resolved before sending"))
        }
        ("checkin", _, Some(patient)) => {
            let plan = care
                .store
                .plans_for_patient(&ctx.tenant, patient)
                .await
                .map_err(stored)?
                .into_iter()
                .last();
            Ok(plan
                .is_some_and(|p| p.status == "COMPLETED")
                .then_some("the patient replied before the check-in went out"))
        }
        _ => Ok(None),
    }
}

/// Step `send`: hands the notification to its provider, once.
async fn send(care: &Care, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let id = ctx
        .dep("log")
        .and_then(|o| o["notificationId"].as_str())
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| StepError::permanent("step log gave no notification id"))?;
    let row = care
        .store
        .get_notification(&ctx.tenant, id)
        .await
        .map_err(stored)?
        .ok_or_else(|| StepError::permanent("the logged notification is missing"))?;
    if row.status != "PENDING" {
        // An earlier attempt settled it before its outcome was committed.
        return Ok(settled(&row, &ctx));
    }
    let now = ctx.now();
    if let Some(why) = withdrawn(care, &ctx, &row).await? {
        let mut result = failed(why, None, now);
        result.status = "CANCELLED".into();
        return finish(care, &ctx, &row, result).await;
    }
    let channel = Channel::parse(&row.channel).unwrap_or(Channel::Sms);
    if let Some(reason) = channels::unavailable(care, channel) {
        return finish(care, &ctx, &row, failed(reason, None, now)).await;
    }
    let Some(address) = row.address.clone() else {
        let what = if channel == Channel::Email {
            "email address"
        } else {
            "phone number"
        };
        let reason = format!("the recipient has no {what} for {}", channel.as_str());
        return finish(care, &ctx, &row, failed(reason, None, now)).await;
    };
    if channel.is_capped() {
        let cap = match channel {
            Channel::Voice => care.care().daily_call_cap,
            _ => care.care().daily_sms_cap,
        };
        let day = now.format("%Y-%m-%d").to_string();
        let reserved = care
            .store
            .reserve_send(&ctx.tenant, id, channel.as_str(), &day, i64::from(cap))
            .await
            .map_err(stored)?;
        if reserved == Reservation::CapReached {
            let reason = format!(
                "daily {} cap of {cap} reached for this tenant ({day} UTC)",
                channel.as_str()
            );
            return finish(
                care,
                &ctx,
                &row,
                failed(reason, Some("daily_cap".into()), now),
            )
            .await;
        }
    }
    // Twilio takes no idempotency key: after an interrupted attempt, look for the
    // message it may have sent before sending another.
    if channel == Channel::Sms
        && row.attempts > 0
        && let Some(started) = row.last_attempt_at
    {
        let since = started - chrono::Duration::seconds(2);
        if let Some((sid, status)) = channels::earlier_sms(care, &address, since).await?
            && care
                .store
                .notification_by_provider_id(&sid)
                .await
                .map_err(stored)?
                .is_none()
        {
            return finish(care, &ctx, &row, sent("twilio", sid, Some(status), now)).await;
        }
    }
    if care
        .store
        .begin_send(&ctx.tenant, id, now)
        .await
        .map_err(stored)?
        .is_none()
    {
        let row = care
            .store
            .get_notification(&ctx.tenant, id)
            .await
            .map_err(stored)?
            .ok_or_else(|| StepError::permanent("the logged notification is missing"))?;
        return Ok(settled(&row, &ctx));
    }
    let key = format!("notification:{id}");
    match channels::send(
        care,
        channel,
        &address,
        row.subject.as_deref(),
        &row.body,
        &key,
    )
    .await
    {
        Ok(accepted) => {
            let result = sent(
                accepted.provider,
                accepted.provider_id,
                accepted.provider_status,
                ctx.now(),
            );
            finish(care, &ctx, &row, result).await
        }
        Err(e) if e.deferred => Err(e),
        Err(e) if e.is_retryable() && ctx.attempt < care.care().send_attempts => Err(e),
        Err(e) => {
            tracing::info!(
                notification.id = %id,
                channel = channel.as_str(),
                attempts = ctx.attempt,
                "notification failed"
            );
            finish(care, &ctx, &row, failed(e.message, None, ctx.now())).await
        }
    }
}
