//! The discharge operations: run the `discharge` workflow, read its result and the
//! records it stored, and cancel or resend what is in the outbox. The request's
//! schemas mirror what `http::discharge::request::validate` accepts (the handler
//! reads the body as JSON and lists every problem); the answers are the handlers'
//! own types.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::bodies::RunOptionsBody;

/// `POST /v1/discharge/orchestrations`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DischargeRequest {
    /// The case to discharge.
    pub input: DischargeInputBody,
    /// Steps to enable, disable or configure; omitted steps are enabled.
    pub steps: Option<DischargeSteps>,
    /// How to run the plan.
    pub options: Option<RunOptionsBody>,
    /// Correlates the run with the caller's business transaction.
    #[schema(min_length = 1, max_length = 200)]
    pub correlation_id: Option<String>,
}

/// The run's input: exactly one of `rawData` and `existingCase`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DischargeInputBody {
    /// A new case.
    pub raw_data: Option<DischargeRawData>,
    /// A case stored by an earlier orchestration, used as it is (`ingest` is
    /// reported as skipped).
    pub existing_case: Option<ExistingCase>,
}

/// A stored case to discharge again.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExistingCase {
    /// The case (`data.ingestion.caseId` of an earlier result); unknown: 404.
    pub case_id: uuid::Uuid,
}

/// The case: clinical text (`mode: text`, read by the documented extractor) or
/// structured data (`mode: structured`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DischargeRawData {
    /// How the case is given.
    pub mode: DischargeMode,
    /// Where the data came from, e.g. `ehr-export`.
    #[schema(max_length = 100)]
    pub source: Option<String>,
    /// Text mode: labelled lines and sections (Patient, Species, Breed, Owner,
    /// Owner email, Owner phone, Veterinarian; Diagnosis/Dx/Assessment,
    /// Medications/Rx with Sig, Instructions/Plan, Follow-up/Recheck, History/Hx,
    /// Findings/PE, Procedures/Tx, Return if/Warning signs, Prognosis, Notes, and
    /// the other headings the README lists); unrecognised lines reach the owner's
    /// email under "Other notes from the clinic" and are listed in
    /// `metadata.warnings`.
    pub text: Option<String>,
    /// Structured mode: `patient {name, species, breed, age, sex, weight}`,
    /// `owner {name, email (internationalised domains accepted), phone (E.164, or
    /// national in discharge.default_phone_region)}`, `diagnoses`, `medications`
    /// (`{name, dose, frequency, duration, asNeeded}` or strings), `instructions`,
    /// `followUp` (`{text, inDays, date}` or a string), `notes`.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
}

/// How a case is given.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DischargeMode {
    /// Clinical text.
    Text,
    /// Structured data.
    Structured,
}

/// Per step: `true`, `false`, or `{enabled, options}`; an omitted step is enabled.
/// Options: `generateSummary {templateId: standard|brief|detailed}`;
/// `prepareEmail {recipientEmail, clinicName}`; `scheduleEmail {scheduledFor}`;
/// `scheduleCall {scheduledFor, phoneNumber (E.164, or national in
/// discharge.default_phone_region), clinicName}`. Disabling a step skips the steps
/// that depend on it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DischargeSteps {
    /// Takes the case in (always runs with `existingCase`).
    pub ingest: Option<Value>,
    /// Writes the owner's summary.
    pub generate_summary: Option<Value>,
    /// Renders the owner's email.
    pub prepare_email: Option<Value>,
    /// Puts the email in the outbox.
    pub schedule_email: Option<Value>,
    /// Schedules the follow-up call.
    pub schedule_call: Option<Value>,
}
