//! The outputs of the discharge steps, typed: the steps write these structs, the
//! steps after them read them back, and whoever shows a discharge run reads them in
//! one place ([`DischargeOutputs::of`]). Field names are the stored JSON's, so runs
//! written before stay readable. Statuses stay the text the store wrote, so this
//! module does not decide how they are spelled.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::engine::RunView;
use crate::store::{CallStatus, EmailStatus};

/// `ingest`: the case taken in, or the stored case reused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DischargeIngestion)]
pub struct IngestOutput {
    /// The case.
    pub case_id: Uuid,
    /// True when `existingCase` named a stored case, which was used as it is.
    #[serde(default)]
    pub existing: bool,
    /// How the case was given (`text` or `structured`).
    pub mode: String,
    /// Where the case came from, if said.
    pub source: Option<String>,
    /// The patient as recognised.
    #[schema(value_type = Object)]
    pub patient: Value,
    /// What was recognised in the case.
    #[schema(value_type = Object)]
    pub entities: Value,
}

/// `generateSummary`: the owner's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DischargeResultSummary)]
pub struct SummaryOutput {
    /// The summary.
    pub summary_id: Uuid,
    /// The case it summarises.
    pub case_id: Uuid,
    /// Its text.
    pub content: String,
    /// What wrote it (the template or the model).
    pub generated_by: String,
}

/// `prepareEmail`: the email as the owner will get it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreparedEmail {
    /// The email.
    pub email_id: Uuid,
    /// The case it is about.
    pub case_id: Uuid,
    /// The summary it carries.
    pub summary_id: Uuid,
    /// The owner's address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// HTML body.
    pub html: String,
    /// Plain-text body.
    pub text: String,
    /// Its outbox status when prepared.
    pub status: String,
}

/// `scheduleEmail`: when and how the email goes out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledEmail {
    /// The email.
    pub email_id: Uuid,
    /// When it is due.
    pub scheduled_for: DateTime<Utc>,
    /// Its outbox status once scheduled.
    pub status: String,
    /// The run that delivers it.
    pub delivery_run_id: Uuid,
    /// `smtp` or `spool`.
    pub delivery_channel: String,
}

/// `scheduleCall`: the follow-up call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DischargeResultCall)]
pub struct ScheduledCall {
    /// The call.
    pub call_id: Uuid,
    /// The case it follows up.
    pub case_id: Uuid,
    /// The number called.
    pub to: String,
    /// When it is due.
    pub scheduled_for: DateTime<Utc>,
    /// Its status once scheduled.
    pub status: String,
    /// The run that places it.
    pub placement_run_id: Uuid,
    /// `voice` or `not_configured`.
    pub placement_channel: String,
}

/// `deliver` (of `discharge-email-delivery`): where the email ended up. Written
/// from the outbox row, so its status is the store's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The email.
    pub email_id: Uuid,
    /// Its status.
    pub status: EmailStatus,
    /// Attempts made.
    pub attempts: i32,
    /// `smtp` or `spool`, once sent.
    pub delivered_via: Option<String>,
    /// The Message-ID, once sent.
    pub message_id: Option<String>,
    /// When it went out.
    pub sent_at: Option<DateTime<Utc>>,
    /// The last failure, if any (absent in outputs of a send that just succeeded).
    #[serde(default)]
    pub last_error: Option<String>,
}

/// `place` (of `discharge-call-placement`): where the call ended up. Written from
/// the call's row, so its status is the store's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    /// The call.
    pub call_id: Uuid,
    /// Its status.
    pub status: CallStatus,
    /// Attempts made.
    pub attempts: i32,
    /// The voice provider's id of the call, once placed.
    #[serde(default)]
    pub provider_call_id: Option<String>,
    /// The voice provider's status of the call.
    #[serde(default)]
    pub provider_status: Option<String>,
    /// When it was placed.
    #[serde(default)]
    pub placed_at: Option<DateTime<Utc>>,
    /// The last failure, if any.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Why it was not placed, when no voice provider is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The outputs of a discharge run's completed steps; a step that did not complete
/// (or whose output does not read as its type) has none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DischargeOutputs {
    /// `ingest`.
    pub ingest: Option<IngestOutput>,
    /// `generateSummary`.
    pub summary: Option<SummaryOutput>,
    /// `prepareEmail`.
    pub prepared_email: Option<PreparedEmail>,
    /// `scheduleEmail`.
    pub scheduled_email: Option<ScheduledEmail>,
    /// `scheduleCall`.
    pub call: Option<ScheduledCall>,
}

impl DischargeOutputs {
    /// Reads every step's output from the run.
    pub fn of(view: &RunView) -> Self {
        Self {
            ingest: view.output_as("ingest"),
            summary: view.output_as("generateSummary"),
            prepared_email: view.output_as("prepareEmail"),
            scheduled_email: view.output_as("scheduleEmail"),
            call: view.output_as("scheduleCall"),
        }
    }

    /// True when `ingest` reused a stored case rather than taking one in.
    pub fn reused_case(&self) -> bool {
        self.ingest.as_ref().is_some_and(|i| i.existing)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_scheduled_email_reads_back_as_it_was_written() {
        let written = json!({
            "emailId": Uuid::nil(),
            "scheduledFor": "2030-01-31T09:00:00Z",
            "status": "scheduled",
            "deliveryRunId": Uuid::nil(),
            "deliveryChannel": "spool",
        });
        let typed = ScheduledEmail::deserialize(&written).expect("reads");
        let again = serde_json::to_value(&typed).expect("writes");
        assert_eq!(again, written);
    }

    #[test]
    fn delivery_outputs_stored_in_every_earlier_shape_still_read() {
        let sent = Delivery::deserialize(&json!({
            "emailId": Uuid::nil(), "status": "sent", "attempts": 1,
            "deliveredVia": "spool", "messageId": "<m@x>", "sentAt": "2030-01-31T09:00:00Z",
        }))
        .expect("reads a send's output");
        assert_eq!((sent.status, sent.last_error), (EmailStatus::Sent, None));
        let viewed = Delivery::deserialize(&json!({
            "emailId": Uuid::nil(), "status": "failed", "attempts": 3, "deliveredVia": null,
            "messageId": null, "sentAt": null, "lastError": "SMTP 550",
        }))
        .expect("reads a settled row's output");
        assert_eq!(viewed.status, EmailStatus::Failed);
        let not_configured = json!({
            "callId": Uuid::nil(), "status": "not_configured", "attempts": 0,
            "note": "no voice provider is configured",
        });
        let call = Placement::deserialize(&not_configured).expect("reads");
        assert_eq!(call.status, CallStatus::NotConfigured);
        let placed = Placement::deserialize(&json!({
            "callId": Uuid::nil(), "status": "placed", "attempts": 1, "providerCallId": "CA1",
            "providerStatus": "queued", "placedAt": "2030-01-31T09:00:00Z",
        }))
        .expect("reads a placement's output");
        assert_eq!(placed.provider_call_id.as_deref(), Some("CA1"));
        assert!(Placement::deserialize(&json!({"callId": "x"})).is_err());
    }

    #[test]
    fn an_ingest_output_without_existing_took_a_case_in() {
        let typed = IngestOutput::deserialize(&json!({
            "caseId": Uuid::nil(),
            "mode": "text",
            "source": null,
            "patient": {"name": "Rex"},
            "entities": {},
        }))
        .expect("reads");
        assert!(!typed.existing);
        assert_eq!(typed.source, None);
    }
}
