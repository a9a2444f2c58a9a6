//! Schemas of the care-transitions bodies (nurses, shifts, tasks, notifications,
//! escalation contacts, Twilio numbers and webhooks). The handlers in `http::care`
//! build their answers as JSON values; each type here mirrors one of them, and the
//! API tests validate every answer against it, so a shape that drifts fails there.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// How a nurse prefers to be told of a task.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PreferredChannel {
    /// A text message to `phone`.
    Sms,
    /// An email to `email`.
    Email,
    /// A call to `phone`.
    Voice,
}

/// `POST /v1/nurses`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewNurse {
    /// Name shown to staff.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// E.164, e.g. `+15551234567`; required for `sms` and `voice`.
    #[schema(max_length = 20, pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub phone: Option<String>,
    /// Required for `email`.
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// Default `sms` with a phone number, else `email`.
    pub preferred_channel: Option<PreferredChannel>,
    /// Default `care.max_open_tasks`.
    #[schema(minimum = 1, maximum = 1000)]
    pub max_open_tasks: Option<u32>,
}

/// `POST /v1/nurses/{id}/shifts`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewShift {
    /// Start (RFC 3339).
    pub starts_at: DateTime<Utc>,
    /// End (RFC 3339): after `startsAt`, at most 7 days later.
    pub ends_at: DateTime<Utc>,
}

/// A shift during which a nurse can be assigned tasks.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Shift {
    /// Id.
    pub shift_id: Uuid,
    /// The nurse.
    pub nurse_id: Uuid,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
}

/// A nurse assignment can choose.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Nurse {
    /// Id.
    pub nurse_id: Uuid,
    /// Name.
    pub name: String,
    /// E.164 number.
    #[schema(required = true)]
    pub phone: Option<String>,
    /// Email address.
    #[schema(required = true)]
    pub email: Option<String>,
    /// How the nurse is told of a task.
    pub preferred_channel: PreferredChannel,
    /// Open tasks the nurse may hold at once.
    pub max_open_tasks: i32,
    /// Assignable at all.
    pub active: bool,
    /// Active and within a shift now.
    pub on_shift: bool,
    /// When a task was last assigned to the nurse.
    #[schema(required = true)]
    pub last_assigned_at: Option<DateTime<Utc>>,
    /// Tasks assigned so far.
    pub assignment_count: i64,
    /// Current and upcoming shifts.
    pub shifts: Vec<Shift>,
    /// Added.
    pub created_at: DateTime<Utc>,
}

/// `GET /v1/nurses`.
#[derive(Serialize, ToSchema)]
pub struct NurseList {
    /// Every nurse of the tenant, by name.
    pub nurses: Vec<Nurse>,
}

/// How severe a patient's situation is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Nothing to act on.
    None,
    /// Low.
    Low,
    /// Moderate.
    Moderate,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// How soon a task should be taken.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskPriority {
    /// Low.
    Low,
    /// Normal.
    Normal,
    /// High.
    High,
    /// Urgent: the assignee is called.
    Urgent,
}

/// Where a task is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Nobody holds it.
    Open,
    /// A nurse holds it.
    Assigned,
    /// Done.
    Resolved,
}

/// What made a task.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskOrigin {
    /// `POST /v1/tasks`.
    Api,
    /// A patient's reply to a check-in.
    CheckinResponse,
    /// A check-in nobody answered.
    CheckinNoReply,
    /// A reply that could be from several patients.
    UnroutedReply,
}

/// Where a task stands against its SLA.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaStanding {
    /// Before the warning.
    OnTrack,
    /// Past the warning.
    AtRisk,
    /// Past the breach.
    Breached,
}

/// `POST /v1/tasks`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTask {
    /// The patient the task is about.
    #[schema(min_length = 1, max_length = 200)]
    pub patient_id: String,
    /// Title.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// Details.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Default `low`.
    pub severity: Option<Severity>,
    /// Default from the severity.
    pub priority: Option<TaskPriority>,
    /// Default `care.sla_minutes` of the severity.
    #[schema(minimum = 1, maximum = 43200)]
    pub sla_minutes: Option<u32>,
}

/// A task's SLA timetable.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskSla {
    /// When the SLA warning falls due (75% of the SLA).
    pub warn_at: DateTime<Utc>,
    /// When the SLA is breached.
    pub breach_at: DateTime<Utc>,
    /// When the warning was sent.
    #[schema(required = true)]
    pub warned_at: Option<DateTime<Utc>>,
    /// When the breach was announced.
    #[schema(required = true)]
    pub breached_at: Option<DateTime<Utc>>,
    /// Standing now; `null` once resolved.
    #[schema(required = true)]
    pub standing: Option<SlaStanding>,
}

/// A task for a nurse, with its SLA timetable.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Id.
    pub task_id: Uuid,
    /// Short reference, unique in the tenant, quoted in task SMS.
    #[schema(example = "T-0042")]
    pub reference: String,
    /// The patient.
    pub patient_id: String,
    /// Title.
    pub title: String,
    /// Details.
    #[schema(required = true)]
    pub description: Option<String>,
    /// Priority.
    pub priority: TaskPriority,
    /// Severity.
    pub severity: Severity,
    /// Minutes from creation to breach.
    pub sla_minutes: i32,
    /// Status.
    pub status: TaskStatus,
    /// The nurse who holds it.
    #[schema(required = true)]
    pub assignee_id: Option<Uuid>,
    /// What made it.
    pub origin: TaskOrigin,
    /// The patient interaction that made it.
    #[schema(required = true)]
    pub interaction_id: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Assigned.
    #[schema(required = true)]
    pub assigned_at: Option<DateTime<Utc>>,
    /// Resolved.
    #[schema(required = true)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// How it was resolved.
    #[schema(required = true)]
    pub resolution: Option<String>,
    /// SLA timetable.
    pub sla: TaskSla,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// `GET /v1/tasks`: a page of tasks, newest first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskPage {
    /// The tasks.
    pub tasks: Vec<Task>,
    /// `cursor` of the next page; `null` on the last one.
    #[schema(required = true)]
    pub next_cursor: Option<Uuid>,
}

/// `POST /v1/tasks/{id}/resolve` (the body is optional).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveTask {
    /// How the task was resolved.
    #[schema(max_length = 2000)]
    pub resolution: Option<String>,
}

/// `200` of `POST /v1/tasks/{id}/resolve`: the task, and whether this call resolved it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedTask {
    /// The task.
    #[serde(flatten)]
    pub task: Task,
    /// False when it was resolved already (nothing changed).
    pub resolved_now: bool,
}

/// Form fields Twilio posts to the webhooks.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(
    description = "Form fields Twilio posts (application/x-www-form-urlencoded), signed with \
        `X-Twilio-Signature` over the public URL and every field. Other fields Twilio sends \
        are accepted and ignored."
)]
pub struct TwilioCallback {
    /// A message's id (status callbacks of SMS, and inbound SMS).
    pub message_sid: Option<String>,
    /// A message's status (`queued`, `sent`, `delivered`, `read`, `undelivered`, `failed`).
    pub message_status: Option<String>,
    /// A call's id.
    pub call_sid: Option<String>,
    /// A call's status (`completed`, `no-answer`, `busy`, `failed`, `canceled`, ...).
    pub call_status: Option<String>,
    /// Twilio's error code of a failed message or call.
    pub error_code: Option<String>,
    /// The sender (E.164).
    pub from: Option<String>,
    /// The receiving number (E.164).
    pub to: Option<String>,
    /// An inbound SMS's text.
    pub body: Option<String>,
    /// The Twilio account.
    pub account_sid: Option<String>,
    /// The Messaging Service that received an inbound SMS.
    pub messaging_service_sid: Option<String>,
}
