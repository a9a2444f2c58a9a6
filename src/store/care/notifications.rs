//! Rows of the notification log, and what is written to create and change them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::TenantId;

/// An entry of the notification log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub notification_id: Uuid,
    /// The owning send-notification run.
    pub origin_key: String,
    /// `task_assigned`, `sla_warning`, `sla_breach`, `checkin`, `message`.
    pub kind: String,
    /// `sms`, `email`, `voice`, `push`.
    pub channel: String,
    /// `nurse`, `escalation_contact`, `patient` or `address`.
    pub recipient_kind: String,
    /// The nurse's or patient's id.
    pub recipient_id: Option<String>,
    /// Phone number or email address, once known.
    pub address: Option<String>,
    /// Email subject.
    pub subject: Option<String>,
    /// The text.
    pub body: String,
    /// `normal` or `urgent`.
    pub priority: String,
    /// The task it is about.
    pub task_id: Option<Uuid>,
    /// The patient it concerns.
    pub patient_id: Option<String>,
    /// The outreach attempt it carries.
    pub attempt_id: Option<Uuid>,
    /// `PENDING`, `SENT`, `DELIVERED`, `READ`, `FAILED`, `CANCELLED`.
    pub status: String,
    /// `twilio`, `smtp`, `spool`.
    pub provider: Option<String>,
    /// The provider's message or call id.
    pub provider_id: Option<String>,
    /// The provider's last reported status.
    pub provider_status: Option<String>,
    /// Send attempts so far.
    pub attempts: i32,
    /// Start of the last send attempt.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub error: Option<String>,
    /// The provider's error code.
    pub error_code: Option<String>,
    /// The UTC day whose cap it counted against.
    pub cap_day: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Accepted by the provider.
    pub sent_at: Option<DateTime<Utc>>,
    /// Delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Read.
    pub read_at: Option<DateTime<Utc>>,
    /// Failed.
    pub failed_at: Option<DateTime<Utc>>,
    /// Cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A notification to log.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub notification_id: Uuid,
    /// The owning run: a repeated attempt gets the row it created.
    pub origin_key: String,
    /// Kind.
    pub kind: String,
    /// Channel.
    pub channel: String,
    /// `nurse`, `escalation_contact`, `patient` or `address`.
    pub recipient_kind: String,
    /// The nurse's or patient's id.
    pub recipient_id: Option<String>,
    /// Phone number or email address.
    pub address: Option<String>,
    /// Email subject.
    pub subject: Option<String>,
    /// The text.
    pub body: String,
    /// `normal` or `urgent`.
    pub priority: String,
    /// The task it is about.
    pub task_id: Option<Uuid>,
    /// The patient it concerns.
    pub patient_id: Option<String>,
    /// The outreach attempt it carries.
    pub attempt_id: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Which notifications to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only this channel.
    pub channel: Option<String>,
    /// Only this patient's.
    pub patient_id: Option<String>,
    /// Only those created before this one (the page cursor).
    pub before: Option<Uuid>,
    /// At most this many.
    pub limit: i64,
}

/// How a send attempt ended.
#[derive(Debug, Clone)]
pub struct SendResult {
    /// `SENT`, `FAILED` or `CANCELLED`.
    pub status: String,
    /// `twilio`, `smtp`, `spool`.
    pub provider: Option<String>,
    /// The provider's id.
    pub provider_id: Option<String>,
    /// The provider's status.
    pub provider_status: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// The provider's error code.
    pub error_code: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A status callback to apply.
#[derive(Debug, Clone)]
pub struct ProviderUpdate {
    /// The provider status the row must still have (compare and set).
    pub expected: Option<String>,
    /// The new provider status.
    pub provider_status: String,
    /// The new log status.
    pub status: String,
    /// The provider's error code, on failure.
    pub error_code: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// What reserving a send against the daily cap did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Counted now.
    Counted,
    /// Counted by an earlier attempt.
    AlreadyCounted,
    /// The cap is reached; nothing counted.
    CapReached,
}
