//! Schemas of the care-transitions request bodies (nurses, shifts, tasks, escalation
//! contacts, Twilio numbers) and of the form Twilio posts to the webhooks. The
//! handlers in `http::care` read each body as JSON and check it member by member,
//! so that every problem is listed at once; these types document what they accept.
//! The answers are the handlers' own types, in the `*_view` modules of `http::care`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::care::contact_view::ContactRole;
use crate::http::care::nurse_view::PreferredChannel;
use crate::http::care::task_view::{Severity, TaskPriority};

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

/// `POST /v1/tasks/{id}/resolve` (the body is optional).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveTask {
    /// How the task was resolved.
    #[schema(max_length = 2000)]
    pub resolution: Option<String>,
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
