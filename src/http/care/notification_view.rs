//! Entries of the notification log as the API shows them (`/v1/notifications` and a
//! patient's outreach), with the enums their stored values are read into. The
//! address a notification went to is never shown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::care::notify::FALLBACK_ORIGIN;
use crate::http::stored::{Unlisted, enum_value, optional_enum};
use crate::store::NotificationRow;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A message sent through the API or a workflow.
    Message,
    /// A check-in SMS to a patient.
    Checkin,
    /// A patient's critical reply, told to staff.
    CriticalReply,
    /// A task assigned to a nurse.
    TaskAssigned,
    /// A task reached its SLA warning.
    SlaWarning,
    /// A task breached its SLA.
    SlaBreach,
}

/// How a notification travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationChannel {
    /// Text message.
    Sms,
    /// Email.
    Email,
    /// Phone call.
    Voice,
    /// Push notification.
    Push,
}

/// Where a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Not sent yet.
    Pending,
    /// Handed to the provider.
    Sent,
    /// The provider delivered it.
    Delivered,
    /// The recipient read it.
    Read,
    /// It could not be sent or delivered.
    Failed,
    /// It was withdrawn before sending.
    Cancelled,
}

/// Who a notification is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// A nurse (`id` is the nurse id).
    Nurse,
    /// An escalation contact.
    EscalationContact,
    /// A patient.
    Patient,
    /// A bare address.
    Address,
}

/// The recipient of a notification (the address itself is never shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct Recipient {
    /// Who.
    pub kind: RecipientKind,
    /// Their id, when they have one.
    #[schema(required = true)]
    pub id: Option<String>,
}

/// Urgency of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationPriority {
    /// Normal.
    Normal,
    /// Urgent.
    Urgent,
}

/// The provider that sent a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationProvider {
    /// SMS and calls.
    Twilio,
    /// Email by SMTP.
    Smtp,
    /// The local email spool (no SMTP configured).
    Spool,
}

/// An entry of the notification log.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Id.
    pub notification_id: Uuid,
    /// What it is about.
    pub kind: NotificationKind,
    /// How it travels.
    pub channel: NotificationChannel,
    /// Who it is for.
    pub recipient: Recipient,
    /// Subject (email).
    #[schema(required = true)]
    pub subject: Option<String>,
    /// Text.
    pub body: String,
    /// Urgency.
    pub priority: NotificationPriority,
    /// The task it is about.
    #[schema(required = true)]
    pub task_id: Option<Uuid>,
    /// The patient it is about.
    #[schema(required = true)]
    pub patient_id: Option<String>,
    /// The check-in attempt it carries.
    #[schema(required = true)]
    pub attempt_id: Option<Uuid>,
    /// For an SMS standing in for an urgent call nobody answered (no-answer, busy,
    /// failed, canceled): the call's notification id.
    #[schema(required = true, format = Uuid)]
    pub fallback_for: Option<String>,
    /// Status.
    pub status: NotificationStatus,
    /// Who sent it.
    #[schema(required = true)]
    pub provider: Option<NotificationProvider>,
    /// The provider's id of it.
    #[schema(required = true)]
    pub provider_id: Option<String>,
    /// The provider's last status, as the provider spells it.
    #[schema(required = true)]
    pub provider_status: Option<String>,
    /// Sending attempts.
    pub attempts: i32,
    /// Why it failed.
    #[schema(required = true)]
    pub error: Option<String>,
    /// The provider's error code.
    #[schema(required = true)]
    pub error_code: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Sent.
    #[schema(required = true)]
    pub sent_at: Option<DateTime<Utc>>,
    /// Delivered.
    #[schema(required = true)]
    pub delivered_at: Option<DateTime<Utc>>,
    /// Read.
    #[schema(required = true)]
    pub read_at: Option<DateTime<Utc>>,
    /// Failed.
    #[schema(required = true)]
    pub failed_at: Option<DateTime<Utc>>,
    /// Cancelled.
    #[schema(required = true)]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Notification {
    /// The log entry `n`; `fallbackFor` names the unanswered urgent call an SMS
    /// stands in for.
    pub fn of(n: &NotificationRow) -> Result<Self, Unlisted> {
        Ok(Self {
            notification_id: n.notification_id,
            kind: enum_value("notifications.kind", &n.kind)?,
            channel: enum_value("notifications.channel", &n.channel)?,
            recipient: Recipient {
                kind: enum_value("notifications.recipient_kind", &n.recipient_kind)?,
                id: n.recipient_id.clone(),
            },
            subject: n.subject.clone(),
            body: n.body.clone(),
            priority: enum_value("notifications.priority", &n.priority)?,
            task_id: n.task_id,
            patient_id: n.patient_id.clone(),
            attempt_id: n.attempt_id,
            fallback_for: n.origin_key.strip_prefix(FALLBACK_ORIGIN).map(String::from),
            status: enum_value("notifications.status", &n.status)?,
            provider: optional_enum("notifications.provider", n.provider.as_deref())?,
            provider_id: n.provider_id.clone(),
            provider_status: n.provider_status.clone(),
            attempts: n.attempts,
            error: n.error.clone(),
            error_code: n.error_code.clone(),
            created_at: n.created_at,
            sent_at: n.sent_at,
            delivered_at: n.delivered_at,
            read_at: n.read_at,
            failed_at: n.failed_at,
            cancelled_at: n.cancelled_at,
            updated_at: n.updated_at,
        })
    }
}

/// `GET /v1/notifications`: a page of the log, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPage {
    /// The entries.
    pub notifications: Vec<Notification>,
    /// `cursor` of the next page; `null` on the last one.
    #[schema(required = true)]
    pub next_cursor: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::store::TenantId;

    fn row() -> NotificationRow {
        let at = Utc.with_ymd_and_hms(2025, 3, 3, 14, 0, 0).unwrap();
        NotificationRow {
            tenant_id: TenantId::parse("t").unwrap(),
            notification_id: Uuid::nil(),
            origin_key: format!("{FALLBACK_ORIGIN}0190f000-0000-7000-8000-000000000001"),
            kind: "task_assigned".into(),
            channel: "sms".into(),
            recipient_kind: "nurse".into(),
            recipient_id: Some("n-1".into()),
            address: Some("+15551234567".into()),
            subject: None,
            body: "Task T-0042".into(),
            priority: "urgent".into(),
            task_id: None,
            patient_id: Some("p-1".into()),
            attempt_id: None,
            status: "DELIVERED".into(),
            provider: None,
            provider_id: Some("SM1".into()),
            provider_status: Some("delivered".into()),
            attempts: 1,
            last_attempt_at: Some(at),
            error: None,
            error_code: None,
            cap_day: None,
            created_at: at,
            sent_at: Some(at),
            delivered_at: Some(at),
            read_at: None,
            failed_at: None,
            cancelled_at: None,
            updated_at: at,
        }
    }

    #[test]
    fn an_entry_keeps_its_members_and_never_shows_the_address() {
        let value = serde_json::to_value(Notification::of(&row()).unwrap()).unwrap();
        assert_eq!(
            value,
            json!({
                "notificationId": "00000000-0000-0000-0000-000000000000",
                "kind": "task_assigned",
                "channel": "sms",
                "recipient": {"kind": "nurse", "id": "n-1"},
                "subject": null,
                "body": "Task T-0042",
                "priority": "urgent",
                "taskId": null,
                "patientId": "p-1",
                "attemptId": null,
                "fallbackFor": "0190f000-0000-7000-8000-000000000001",
                "status": "delivered",
                "provider": null,
                "providerId": "SM1",
                "providerStatus": "delivered",
                "attempts": 1,
                "error": null,
                "errorCode": null,
                "createdAt": "2025-03-03T14:00:00Z",
                "sentAt": "2025-03-03T14:00:00Z",
                "deliveredAt": "2025-03-03T14:00:00Z",
                "readAt": null,
                "failedAt": null,
                "cancelledAt": null,
                "updatedAt": "2025-03-03T14:00:00Z",
            })
        );
    }

    #[test]
    fn a_provider_outside_the_description_is_refused() {
        let mut n = row();
        n.provider = Some("pigeon".into());
        assert!(Notification::of(&n).is_err());
    }
}
