//! The stored discharge records as the API shows them: the case, the summary, the
//! owner email and the follow-up call.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::store::{CallRow, CallStatus, CaseRow, EmailRow, EmailStatus, RunId, SummaryRow};

/// `GET /v1/cases/{id}`: a discharge case with its patient and what was recognised.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DischargeCase)]
pub struct CaseRecord {
    /// The case.
    pub case_id: Uuid,
    /// The run that ingested it.
    pub run_id: RunId,
    /// `text` or `structured`: how the case was given.
    pub mode: String,
    /// Where the data came from, as the client said.
    #[schema(required = true)]
    pub source: Option<String>,
    /// The patient and owner, as read.
    #[schema(value_type = Object)]
    pub patient: Value,
    /// What was recognised: diagnoses, medications, instructions, follow-up, notes.
    #[schema(value_type = Object)]
    pub entities: Value,
    /// The case as it was given.
    #[schema(value_type = Object)]
    pub data: Value,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

impl From<&CaseRow> for CaseRecord {
    fn from(row: &CaseRow) -> Self {
        CaseRecord {
            case_id: row.case_id,
            run_id: row.run_id,
            mode: row.mode.clone(),
            source: row.source.clone(),
            patient: row.patient.0.clone(),
            entities: row.entities.0.clone(),
            data: row.data.0.clone(),
            created_at: row.created_at,
        }
    }
}

/// `GET /v1/discharge/summaries/{id}`: a discharge summary and which writer
/// produced it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DischargeSummary)]
pub struct SummaryRecord {
    /// The summary.
    pub summary_id: Uuid,
    /// Its case.
    pub case_id: Uuid,
    /// The run that wrote it.
    pub run_id: RunId,
    /// The summary's text.
    pub content: String,
    /// `template:<id>` or `llm:<model>`.
    pub generated_by: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

impl From<&SummaryRow> for SummaryRecord {
    fn from(row: &SummaryRow) -> Self {
        SummaryRecord {
            summary_id: row.summary_id,
            case_id: row.case_id,
            run_id: row.run_id,
            content: row.content.clone(),
            generated_by: row.generated_by.clone(),
            created_at: row.created_at,
        }
    }
}

/// An owner email with its delivery status and attempts.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DischargeEmail)]
pub struct EmailRecord {
    /// The email.
    pub email_id: Uuid,
    /// Its case.
    pub case_id: Uuid,
    /// The summary it carries.
    pub summary_id: Uuid,
    /// The run that prepared it.
    pub run_id: RunId,
    /// The owner's address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// HTML body.
    pub html: String,
    /// Plain-text body.
    pub text: String,
    /// Where the email is.
    pub status: EmailStatus,
    /// When it is (or was) due; `null` until scheduled.
    #[schema(required = true)]
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// The last attempt's error.
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// `smtp` or `spool`, once sent.
    #[schema(required = true)]
    pub delivered_via: Option<String>,
    /// The Message-ID of the last send.
    #[schema(required = true)]
    pub message_id: Option<String>,
    /// When it was sent.
    #[schema(required = true)]
    pub sent_at: Option<DateTime<Utc>>,
    /// The run delivering it, once scheduled.
    #[schema(required = true)]
    pub delivery_run_id: Option<RunId>,
    /// How often it was put back in the outbox (`POST .../resend`); each resend has
    /// its own Message-ID.
    pub resends: i32,
    /// When it was prepared.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<&EmailRow> for EmailRecord {
    fn from(row: &EmailRow) -> Self {
        EmailRecord {
            email_id: row.email_id,
            case_id: row.case_id,
            summary_id: row.summary_id,
            run_id: row.run_id,
            recipient: row.recipient.clone(),
            subject: row.subject.clone(),
            html: row.html_body.clone(),
            text: row.text_body.clone(),
            status: row.status,
            scheduled_for: row.scheduled_for,
            attempts: row.attempts,
            last_error: row.last_error.clone(),
            delivered_via: row.delivered_via.clone(),
            message_id: row.message_id.clone(),
            sent_at: row.sent_at,
            delivery_run_id: row.delivery_run_id,
            resends: row.resends,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A follow-up call with its placement status and attempts.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DischargeCall)]
pub struct CallRecord {
    /// The call.
    pub call_id: Uuid,
    /// Its case.
    pub case_id: Uuid,
    /// The run that scheduled it.
    pub run_id: RunId,
    /// The number called (E.164).
    pub to: String,
    /// TwiML spoken when the call is answered.
    pub script: String,
    /// Where the call is.
    pub status: CallStatus,
    /// When it is (or was) due.
    pub scheduled_for: DateTime<Utc>,
    /// Placement attempts so far.
    pub attempts: i32,
    /// The last attempt's error.
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// The voice provider's id of the call.
    #[schema(required = true)]
    pub provider_call_id: Option<String>,
    /// The voice provider's last status of the call.
    #[schema(required = true)]
    pub provider_status: Option<String>,
    /// When the provider accepted it.
    #[schema(required = true)]
    pub placed_at: Option<DateTime<Utc>>,
    /// The run placing it.
    #[schema(required = true)]
    pub placement_run_id: Option<RunId>,
    /// When it was scheduled.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<&CallRow> for CallRecord {
    fn from(row: &CallRow) -> Self {
        CallRecord {
            call_id: row.call_id,
            case_id: row.case_id,
            run_id: row.run_id,
            to: row.to_phone.clone(),
            script: row.script.clone(),
            status: row.status,
            scheduled_for: row.scheduled_for,
            attempts: row.attempts,
            last_error: row.last_error.clone(),
            provider_call_id: row.provider_call_id.clone(),
            provider_status: row.provider_status.clone(),
            placed_at: row.placed_at,
            placement_run_id: row.placement_run_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}
