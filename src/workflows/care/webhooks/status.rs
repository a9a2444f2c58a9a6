//! Status callbacks: they arrive late, repeated and out of order, so a status only
//! moves forward. An urgent call that ends unanswered (`no-answer`, `busy`,
//! `failed`, `canceled`) asks for one SMS with the same text (`notification/send`
//! with `fallbackFor`).

use serde_json::json;

use super::{StatusCallback, twilio_event};
use crate::domain::care::notify::{
    Channel, needs_sms_fallback, provider_status_advances, status_for_provider,
};
use crate::engine::Clock;
use crate::store::{NewEvent, NotificationRow, ProviderUpdate, Store, StoreError};

/// Attempts at applying a callback while other callbacks of the same message race it.
const MAX_RACES: usize = 8;

/// Applies a callback to the notification it belongs to. An unknown id, a repeat or
/// older news than what is stored change nothing and are not errors.
pub async fn apply_status(
    store: &dyn Store,
    clock: &dyn Clock,
    callback: &StatusCallback,
) -> Result<(), StoreError> {
    let reported = callback.reported.as_str();
    for _ in 0..MAX_RACES {
        let Some(row) = store
            .notification_by_provider_id(&callback.provider_id)
            .await?
        else {
            tracing::info!("status callback for a message careflow does not know; ignored");
            return Ok(());
        };
        let channel = Channel::parse(&row.channel).unwrap_or(Channel::Sms);
        if !provider_status_advances(channel, row.provider_status.as_deref(), reported) {
            // A repeat, or older news than what is stored.
            return Ok(());
        }
        let Some(next) = status_for_provider(channel, reported) else {
            return Ok(());
        };
        let now = clock.now();
        let changed = next.as_str() != row.status;
        let error_code = callback.error_code.as_deref();
        let mut events: Vec<NewEvent> = next
            .event()
            .filter(|_| changed)
            .map(|name| {
                twilio_event(
                    name,
                    event_data(&row, next.as_str(), reported, error_code),
                    now,
                )
            })
            .into_iter()
            .collect();
        if changed && needs_sms_fallback(channel, &row.priority, reported) {
            // Committed with the status, so the fallback is asked for exactly when
            // the unanswered call is recorded; its origin key keeps it to one SMS.
            events.push(twilio_event("notification/send", fallback_data(&row), now));
        }
        let update = ProviderUpdate {
            expected: row.provider_status.clone(),
            provider_status: reported.to_string(),
            status: next.as_str().to_string(),
            error_code: callback.error_code.clone(),
            at: now,
        };
        if store
            .apply_provider_status(&row.tenant_id, row.notification_id, &update, &events)
            .await?
        {
            tracing::info!(
                notification.id = %row.notification_id,
                status = next.as_str(),
                "notification status updated by callback"
            );
            return Ok(());
        }
        // Another callback for the same message won the race: read again.
    }
    Ok(())
}

/// What asks `send-notification` for the SMS standing in for an unanswered urgent
/// call: the call's id (the text is copied from its log entry, never carried here) and
/// the nurse, whose notifications go one at a time.
fn fallback_data(row: &NotificationRow) -> serde_json::Value {
    json!({
        "fallbackFor": row.notification_id,
        "nurseId": (row.recipient_kind == "nurse").then_some(&row.recipient_id),
        "priority": "urgent",
    })
}

fn event_data(
    row: &NotificationRow,
    status: &str,
    provider_status: &str,
    error_code: Option<&str>,
) -> serde_json::Value {
    json!({
        "notificationId": row.notification_id,
        "kind": row.kind,
        "channel": row.channel,
        "status": status,
        "providerStatus": provider_status,
        "errorCode": error_code,
        "taskId": row.task_id,
        "patientId": row.patient_id,
        "nurseId": (row.recipient_kind == "nurse").then_some(&row.recipient_id),
    })
}
