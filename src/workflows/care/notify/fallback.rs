//! Step `log` of `send-notification` for a fallback: an urgent call nobody answered
//! (`data.fallbackFor` names it) is sent again once as an SMS to the same number, with
//! the same text. The SMS is logged as a notification of its own whose origin key is
//! `fallback:<call's id>`, so however often the fallback is asked for, the log holds
//! one entry and one SMS goes out.

use uuid::Uuid;

use super::super::deps::Care;
use super::super::outputs::Logged;
use crate::domain::care::notify::{Channel, FALLBACK_ORIGIN, needs_sms_fallback};
use crate::engine::{StepContext, StepError, StepOutcome, StepOutput};
use crate::store::NewNotification;

/// Logs the SMS standing in for the unanswered call `call`.
pub(super) async fn log_fallback(
    care: &Care,
    ctx: &StepContext,
    call: Uuid,
) -> Result<StepOutcome, StepError> {
    let original = care
        .store
        .get_notification(&ctx.tenant, call)
        .await
        .map_err(StepError::from)?
        .ok_or_else(|| StepError::permanent("event data.fallbackFor names no notification"))?;
    if !needs_sms_fallback(
        Channel::parse(&original.channel).unwrap_or(Channel::Sms),
        &original.priority,
        original.provider_status.as_deref().unwrap_or(""),
    ) {
        return Err(StepError::permanent(
            "event data.fallbackFor must name an urgent call that was not answered",
        ));
    }
    let row = care
        .store
        .insert_notification(&NewNotification {
            tenant_id: ctx.tenant.clone(),
            notification_id: Uuid::now_v7(),
            origin_key: format!("{FALLBACK_ORIGIN}{call}"),
            kind: original.kind.clone(),
            channel: Channel::Sms.as_str().to_string(),
            recipient_kind: original.recipient_kind.clone(),
            recipient_id: original.recipient_id.clone(),
            address: original.address.clone(),
            subject: original.subject.clone(),
            body: original.body.clone(),
            priority: original.priority.clone(),
            task_id: original.task_id,
            patient_id: original.patient_id.clone(),
            attempt_id: original.attempt_id,
            created_at: ctx.now(),
        })
        .await
        .map_err(StepError::from)?;
    StepOutput::typed(&Logged::of(row, Some(call))).map(StepOutcome::Done)
}
