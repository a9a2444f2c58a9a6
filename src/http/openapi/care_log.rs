//! Schemas of the care answers about who was told what: the notification log, a
//! patient's outreach, escalation contacts and the tenant's Twilio numbers. Each
//! mirrors the JSON one handler of `http::care` builds; the API tests validate the
//! answers against them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::care_bodies::Severity;

/// What a notification is about.
#[derive(Serialize, ToSchema)]
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
#[derive(Serialize, ToSchema)]
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
#[derive(Serialize, ToSchema)]
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
#[derive(Serialize, ToSchema)]
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
#[derive(Serialize, ToSchema)]
pub struct Recipient {
    /// Who.
    pub kind: RecipientKind,
    /// Their id, when they have one.
    #[schema(required = true)]
    pub id: Option<String>,
}

/// Urgency of a notification.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationPriority {
    /// Normal.
    Normal,
    /// Urgent.
    Urgent,
}

/// The provider that sent a notification.
#[derive(Serialize, ToSchema)]
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
#[derive(Serialize, ToSchema)]
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

/// `GET /v1/notifications`: a page of the log, newest first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPage {
    /// The entries.
    pub notifications: Vec<Notification>,
    /// `cursor` of the next page; `null` on the last one.
    #[schema(required = true)]
    pub next_cursor: Option<Uuid>,
}

/// Where an outreach plan is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Check-ins go on.
    Active,
    /// Every check-in was done.
    Completed,
    /// Silence or a reply made a task.
    Escalated,
    /// Readmission, death or a new plan ended it.
    Cancelled,
    /// The patient's number opted out of SMS.
    OptedOut,
}

/// Where a check-in attempt is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// Sent; no reply yet.
    AwaitingReply,
    /// The patient replied.
    Responded,
    /// No reply within the timeout.
    NoResponse,
    /// The plan ended first.
    Cancelled,
}

/// The delivery of a check-in SMS.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptNotification {
    /// The notification.
    pub notification_id: Uuid,
    /// Its status.
    pub status: NotificationStatus,
    /// Why it failed.
    #[schema(required = true)]
    pub error: Option<String>,
}

/// One check-in of a plan.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckinAttempt {
    /// Id.
    pub attempt_id: Uuid,
    /// 1 for the first check-in.
    pub number: i32,
    /// How it was sent (`sms`).
    pub channel: String,
    /// Status.
    pub status: AttemptStatus,
    /// Sent.
    pub sent_at: DateTime<Utc>,
    /// Ended.
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    /// The reply.
    #[schema(required = true)]
    pub interaction_id: Option<Uuid>,
    /// The SMS that carried it; `null` before it was logged.
    #[schema(required = true)]
    pub notification: Option<AttemptNotification>,
}

/// An outreach plan after a discharge.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutreachPlan {
    /// Id.
    pub plan_id: Uuid,
    /// Status.
    pub status: PlanStatus,
    /// The patient's number, masked: `***1234`.
    #[schema(example = "***4567")]
    pub phone: String,
    /// The discharge.
    pub discharged_at: DateTime<Utc>,
    /// Check-ins at most.
    pub max_attempts: i32,
    /// Seconds a check-in waits for a reply.
    pub reply_timeout_secs: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Ended.
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    /// Check-ins, first first.
    pub attempts: Vec<CheckinAttempt>,
}

/// Who set an interaction's severity.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// The rule table.
    Rules,
    /// The model, which rated it higher.
    Model,
    /// Both, agreeing.
    Both,
}

/// A message from or to a patient, with its classification.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Interaction {
    /// Id.
    pub interaction_id: Uuid,
    /// The plan it answers.
    #[schema(required = true)]
    pub plan_id: Option<Uuid>,
    /// `sms`.
    pub channel: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// The message.
    pub text: String,
    /// Severity, once classified.
    #[schema(required = true)]
    pub severity: Option<Severity>,
    /// The rules that matched.
    #[schema(required = true)]
    pub matched_rules: Option<Vec<String>>,
    /// Why the severity was given.
    #[schema(required = true)]
    pub reason: Option<String>,
    /// Who set the severity.
    #[schema(required = true)]
    pub decided_by: Option<DecidedBy>,
    /// The task it made.
    #[schema(required = true)]
    pub task_id: Option<Uuid>,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Classified.
    #[schema(required = true)]
    pub classified_at: Option<DateTime<Utc>>,
}

/// The latest opt-out or opt-in keyword a number sent.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SmsConsent {
    /// True after an opt-out keyword.
    pub opted_out: bool,
    /// The keyword (`STOP`, `START`, ...).
    pub keyword: String,
    /// When it arrived.
    pub at: DateTime<Utc>,
}

/// `GET /v1/patients/{id}/outreach`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Outreach {
    /// The patient.
    pub patient_id: String,
    /// Plans, oldest first.
    pub plans: Vec<OutreachPlan>,
    /// Messages from and to the patient.
    pub interactions: Vec<Interaction>,
    /// Notifications about the patient, newest first.
    pub notifications: Vec<Notification>,
    /// Consent of the newest plan's number; `null` when it sent no keyword.
    #[schema(required = true)]
    pub sms_consent: Option<SmsConsent>,
}

/// An escalation contact's role.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    /// Charge nurse.
    ChargeNurse,
    /// Supervisor.
    Supervisor,
}

/// `POST /v1/escalation-contacts`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewEscalationContact {
    /// Name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// E.164, e.g. `+15551234567`; one contact per number per tenant.
    #[schema(max_length = 20, pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub phone: String,
    /// Default `charge_nurse`.
    pub role: Option<ContactRole>,
}

/// A charge nurse or supervisor told when a task nobody holds nears or breaches its
/// SLA.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EscalationContact {
    /// Id.
    pub contact_id: Uuid,
    /// Name.
    pub name: String,
    /// Role.
    pub role: ContactRole,
    /// E.164 number.
    pub phone: String,
    /// Added.
    pub created_at: DateTime<Utc>,
}

/// `GET /v1/escalation-contacts`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EscalationContactList {
    /// Oldest first.
    pub escalation_contacts: Vec<EscalationContact>,
}

/// `POST /v1/twilio-numbers`: exactly one of the two members.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTwilioNumber {
    /// E.164, e.g. `+15551234567`.
    #[schema(max_length = 20, pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub phone_number: Option<String>,
    /// A Messaging Service SID.
    #[schema(pattern = "^MG[0-9a-fA-F]{32}$")]
    pub messaging_service_sid: Option<String>,
}

/// A Twilio number or Messaging Service of the tenant.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TwilioNumber {
    /// Id.
    pub number_id: Uuid,
    /// The number, for a number.
    #[schema(required = true)]
    pub phone_number: Option<String>,
    /// The SID, for a Messaging Service.
    #[schema(required = true)]
    pub messaging_service_sid: Option<String>,
    /// True for the tenant's oldest entry: patient SMS go out from it (calls from the
    /// oldest number).
    pub sender: bool,
    /// Added.
    pub created_at: DateTime<Utc>,
}

/// `GET /v1/twilio-numbers`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TwilioNumberList {
    /// Oldest (the sender) first.
    pub twilio_numbers: Vec<TwilioNumber>,
}
