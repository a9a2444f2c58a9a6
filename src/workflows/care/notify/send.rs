//! Step `send` of `send-notification`: hands a logged notification to its provider
//! once, or records why it cannot go.

use serde_json::{Value, json};

use super::super::channels;
use super::super::deps::{Care, data};
use super::super::outputs::{Logged, Sent};
use crate::domain::care::notify::Channel;
use crate::engine::{StepContext, StepError, StepOutcome, StepOutput};
use crate::store::{NotificationRow, Reservation, SendResult};

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
fn settled(row: &NotificationRow, ctx: &StepContext) -> Result<StepOutcome, StepError> {
    let out = StepOutput::typed(&Sent {
        notification_id: row.notification_id,
        status: row.status.clone(),
        provider: row.provider.clone(),
        provider_id: row.provider_id.clone(),
        error: row.error.clone(),
    })?;
    let out = match row.status.as_str() {
        "SENT" | "DELIVERED" | "READ" => out.emit("notification/sent", event_data(row, ctx)),
        "FAILED" => out.emit("notification/failed", event_data(row, ctx)),
        _ => out,
    };
    Ok(StepOutcome::Done(out))
}

async fn finish(
    care: &Care,
    ctx: &StepContext,
    row: &NotificationRow,
    result: SendResult,
) -> Result<StepOutcome, StepError> {
    // Retried while the lease holds: a lost record would send the message again.
    ctx.persist("recording a notification send", || {
        care.store
            .finish_send(&ctx.tenant, row.notification_id, &result)
    })
    .await
    .map_err(StepError::from)?;
    let now = care
        .store
        .get_notification(&ctx.tenant, row.notification_id)
        .await
        .map_err(StepError::from)?
        .ok_or_else(|| StepError::retryable("the notification disappeared"))?;
    settled(&now, ctx)
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
/// resolved, the patient answered or their outreach stopped before the check-in went
/// out, or its number opted out of SMS.
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
                .map_err(StepError::from)?;
            Ok(task
                .is_some_and(|t| t.status == "RESOLVED")
                .then_some("its task was resolved before sending"))
        }
        ("checkin", _, Some(patient)) => {
            let plan = care
                .store
                .plans_for_patient(&ctx.tenant, patient)
                .await
                .map_err(StepError::from)?
                .into_iter()
                .last();
            Ok(plan.and_then(|p| match p.status.as_str() {
                "COMPLETED" => Some("the patient replied before the check-in went out"),
                "CANCELLED" => Some("the patient's outreach was stopped before it went out"),
                "OPTED_OUT" => Some("the patient's number opted out of SMS"),
                _ => None,
            }))
        }
        _ => opted_out(care, ctx, row).await,
    }
}

/// For an SMS to a number that opted out of the tenant's SMS (STOP), why it does not go.
async fn opted_out(
    care: &Care,
    ctx: &StepContext,
    row: &NotificationRow,
) -> Result<Option<&'static str>, StepError> {
    let Some(address) = row.address.as_deref().filter(|_| row.channel == "sms") else {
        return Ok(None);
    };
    let consent = care
        .store
        .latest_consent(&ctx.tenant, address)
        .await
        .map_err(StepError::from)?;
    Ok(consent
        .is_some_and(|c| c.action == "opt_out")
        .then_some("the number opted out of SMS (STOP); it may send START to resume"))
}

/// Step `send`: hands the notification to its provider, once.
pub(super) async fn send(care: &Care, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let id = ctx.dep_as::<Logged>("log")?.notification_id;
    let row = care
        .store
        .get_notification(&ctx.tenant, id)
        .await
        .map_err(StepError::from)?
        .ok_or_else(|| StepError::permanent("the logged notification is missing"))?;
    if row.status != "PENDING" {
        // An earlier attempt settled it before its outcome was committed.
        return settled(&row, &ctx);
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
            .map_err(StepError::from)?;
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
                .map_err(StepError::from)?
                .is_none()
        {
            return finish(care, &ctx, &row, sent("twilio", sid, Some(status), now)).await;
        }
    }
    if care
        .store
        .begin_send(&ctx.tenant, id, now)
        .await
        .map_err(StepError::from)?
        .is_none()
    {
        let row = care
            .store
            .get_notification(&ctx.tenant, id)
            .await
            .map_err(StepError::from)?
            .ok_or_else(|| StepError::permanent("the logged notification is missing"))?;
        return settled(&row, &ctx);
    }
    let key = format!("notification:{id}");
    match channels::send(
        care,
        &ctx.tenant,
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
        Err(e) if e.is_retryable() && ctx.attempt < care.care().retry.max_attempts => Err(e),
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
