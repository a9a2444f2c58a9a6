//! Rows of the care tables, and what is written to create them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::store::TenantId;

/// A nurse who may be assigned tasks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NurseRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub nurse_id: Uuid,
    /// Display name.
    pub name: String,
    /// E.164 number for SMS and calls.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// `sms`, `email` or `voice`.
    pub preferred_channel: String,
    /// Tasks the nurse may hold at once.
    pub max_open_tasks: i32,
    /// Inactive nurses are never assigned.
    pub active: bool,
    /// The last assignment.
    pub last_assigned_at: Option<DateTime<Utc>>,
    /// Assignments so far (compared and set by every assignment).
    pub assignment_count: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A nurse to store.
#[derive(Debug, Clone)]
pub struct NewNurse {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub nurse_id: Uuid,
    /// Display name.
    pub name: String,
    /// E.164 number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// `sms`, `email` or `voice`.
    pub preferred_channel: String,
    /// Tasks the nurse may hold at once.
    pub max_open_tasks: i32,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A shift during which a nurse can take tasks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShiftRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub shift_id: Uuid,
    /// The nurse.
    pub nurse_id: Uuid,
    /// Start (inclusive).
    pub starts_at: DateTime<Utc>,
    /// End (exclusive).
    pub ends_at: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A nurse on shift at some moment, with what assignment needs to know.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CandidateRow {
    /// The nurse.
    pub nurse_id: Uuid,
    /// The last assignment.
    pub last_assigned_at: Option<DateTime<Utc>>,
    /// Assignments so far.
    pub assignment_count: i64,
    /// Tasks the nurse may hold.
    pub max_open_tasks: i32,
    /// Tasks the nurse holds.
    pub open_tasks: i64,
}

/// What assigning a task to a nurse did.
#[derive(Debug, Clone)]
pub enum AssignOutcome {
    /// The task is the nurse's now.
    Assigned(Box<TaskRow>),
    /// Someone assigned the nurse meanwhile: choose again from fresh data.
    NurseChanged,
    /// The task is no longer open (assigned or resolved already).
    TaskNotOpen,
}

/// A follow-up task.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub task_id: Uuid,
    /// The patient.
    pub patient_id: String,
    /// Short title.
    pub title: String,
    /// Longer description.
    pub description: Option<String>,
    /// `low`, `normal`, `high`, `urgent`.
    pub priority: String,
    /// `NONE` .. `CRITICAL`.
    pub severity: String,
    /// Minutes allowed until the SLA is breached.
    pub sla_minutes: i32,
    /// `OPEN`, `ASSIGNED`, `RESOLVED`.
    pub status: String,
    /// The nurse holding it.
    pub assignee_id: Option<Uuid>,
    /// `api`, `checkin-response`, `checkin-no-reply`.
    pub origin: String,
    /// The creating step's key, when a step created it.
    pub origin_key: Option<String>,
    /// The interaction that raised it.
    pub interaction_id: Option<Uuid>,
    /// Creation time (the SLA counts from here).
    pub created_at: DateTime<Utc>,
    /// Assignment time.
    pub assigned_at: Option<DateTime<Utc>>,
    /// Resolution time.
    pub resolved_at: Option<DateTime<Utc>>,
    /// How it was resolved.
    pub resolution: Option<String>,
    /// When the SLA warning fired.
    pub sla_warned_at: Option<DateTime<Utc>>,
    /// When the SLA breach fired.
    pub sla_breached_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A task to store.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub task_id: Uuid,
    /// The patient.
    pub patient_id: String,
    /// Short title.
    pub title: String,
    /// Longer description.
    pub description: Option<String>,
    /// Priority.
    pub priority: String,
    /// Severity.
    pub severity: String,
    /// SLA minutes.
    pub sla_minutes: i32,
    /// Who creates it.
    pub origin: String,
    /// A step's key: a repeated attempt gets the task it created.
    pub origin_key: Option<String>,
    /// The interaction that raised it.
    pub interaction_id: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Which tasks to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only this nurse's.
    pub assignee_id: Option<Uuid>,
    /// Only this patient's.
    pub patient_id: Option<String>,
    /// Only tasks created before this one (the page cursor).
    pub before: Option<Uuid>,
    /// At most this many.
    pub limit: i64,
}

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
    /// `nurse`, `patient` or `address`.
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
    /// `nurse`, `patient` or `address`.
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

/// A post-discharge outreach plan.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub plan_id: Uuid,
    /// The creating step's key.
    pub origin_key: String,
    /// The patient.
    pub patient_id: String,
    /// The patient's E.164 number.
    pub phone: String,
    /// The patient's name, for the greeting.
    pub patient_name: Option<String>,
    /// Discharge time.
    pub discharged_at: DateTime<Utc>,
    /// `ACTIVE`, `COMPLETED`, `ESCALATED`.
    pub status: String,
    /// Check-ins in all.
    pub max_attempts: i32,
    /// Wait for a reply, in seconds.
    pub reply_timeout_secs: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it completed or escalated.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A plan to store.
#[derive(Debug, Clone)]
pub struct NewPlan {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub plan_id: Uuid,
    /// The creating step's key.
    pub origin_key: String,
    /// The patient.
    pub patient_id: String,
    /// E.164 number.
    pub phone: String,
    /// Name.
    pub patient_name: Option<String>,
    /// Discharge time.
    pub discharged_at: DateTime<Utc>,
    /// Check-ins in all.
    pub max_attempts: i32,
    /// Wait for a reply, in seconds.
    pub reply_timeout_secs: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// One check-in of a plan.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub attempt_id: Uuid,
    /// The plan.
    pub plan_id: Uuid,
    /// 1, 2, ...
    pub attempt_number: i32,
    /// `sms`.
    pub channel: String,
    /// `AWAITING_REPLY`, `RESPONDED`, `NO_RESPONSE`.
    pub status: String,
    /// The reply.
    pub interaction_id: Option<Uuid>,
    /// When the check-in was sent for.
    pub sent_at: DateTime<Utc>,
    /// When it was answered or timed out.
    pub finished_at: Option<DateTime<Utc>>,
}

/// An attempt to store.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub attempt_id: Uuid,
    /// The plan.
    pub plan_id: Uuid,
    /// 1, 2, ...
    pub attempt_number: i32,
    /// `sms`.
    pub channel: String,
    /// Sending time.
    pub sent_at: DateTime<Utc>,
}

/// Something a patient said (a check-in reply).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InteractionRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub interaction_id: Uuid,
    /// The patient.
    pub patient_id: String,
    /// The outreach plan it answers.
    pub plan_id: Option<Uuid>,
    /// `sms`, `api`, ...
    pub channel: String,
    /// `inbound`.
    pub direction: String,
    /// What the patient said.
    pub body: String,
    /// Twilio's id of the inbound SMS.
    pub message_sid: Option<String>,
    /// The event that carried it.
    pub origin_key: Option<String>,
    /// Classified severity.
    pub severity: Option<String>,
    /// The rules that fired.
    pub matched_rules: Option<Json<Value>>,
    /// The classifier's explanation (rule ids only).
    pub reason: Option<String>,
    /// The task it raised.
    pub task_id: Option<Uuid>,
    /// Arrival time.
    pub received_at: DateTime<Utc>,
    /// Classification time.
    pub classified_at: Option<DateTime<Utc>>,
}

/// An interaction to store.
#[derive(Debug, Clone)]
pub struct NewInteraction {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub interaction_id: Uuid,
    /// The patient.
    pub patient_id: String,
    /// The plan it answers.
    pub plan_id: Option<Uuid>,
    /// Channel.
    pub channel: String,
    /// What the patient said.
    pub body: String,
    /// Twilio's id (deduplicates repeated webhooks).
    pub message_sid: Option<String>,
    /// The carrying event (deduplicates repeated attempts).
    pub origin_key: Option<String>,
    /// Arrival time.
    pub received_at: DateTime<Utc>,
}

/// A classification to record.
#[derive(Debug, Clone)]
pub struct Classified {
    /// Severity name.
    pub severity: String,
    /// Rule ids.
    pub matched_rules: Value,
    /// Explanation.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}
