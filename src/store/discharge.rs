//! The discharge workflow's data: cases, summaries, owner emails (an outbox with
//! delivery status) and follow-up calls (with placement status).
//!
//! Every row a step writes carries the step's idempotency key as `origin_key`;
//! inserting a row whose key exists returns the existing row, so a repeated attempt
//! never writes a second one. Delivery status only moves forward from `scheduled`:
//! an attempt is started, then finished as sent, failed, or still scheduled (a retry
//! is due); an email or call not yet out can be cancelled, and a sent, failed or
//! cancelled email put back in the outbox to be sent again.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::{RunId, StoreResult, TenantId};

pub(super) mod sql;
mod status;

pub use status::{CallStatus, EmailStatus};

/// A stored case.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    /// Owner.
    pub tenant_id: TenantId,
    /// Id.
    pub case_id: Uuid,
    /// The run that ingested it.
    pub run_id: RunId,
    /// `text` or `structured`.
    pub mode: String,
    /// Where the clinic says the data came from.
    pub source: Option<String>,
    /// The patient, as in `data`.
    pub patient: Json<Value>,
    /// The whole case (`CaseData`).
    pub data: Json<Value>,
    /// What was recognised (`Entities`).
    pub entities: Json<Value>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// A case to store.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// Owner.
    pub tenant_id: TenantId,
    /// Id (kept only when no row with `origin_key` exists).
    pub case_id: Uuid,
    /// The writing step's idempotency key.
    pub origin_key: String,
    /// The run.
    pub run_id: RunId,
    /// `text` or `structured`.
    pub mode: String,
    /// Where the data came from.
    pub source: Option<String>,
    /// The patient.
    pub patient: Value,
    /// The whole case.
    pub data: Value,
    /// What was recognised.
    pub entities: Value,
    /// Now.
    pub created_at: DateTime<Utc>,
}

/// A stored summary.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SummaryRow {
    /// Owner.
    pub tenant_id: TenantId,
    /// Id.
    pub summary_id: Uuid,
    /// The case it summarises.
    pub case_id: Uuid,
    /// The run that wrote it.
    pub run_id: RunId,
    /// `template:<id>` or `llm:<model>`.
    pub generated_by: String,
    /// The text.
    pub content: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// A summary to store.
#[derive(Debug, Clone)]
pub struct NewSummary {
    /// Owner.
    pub tenant_id: TenantId,
    /// Id (kept only when no row with `origin_key` exists).
    pub summary_id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The writing step's idempotency key.
    pub origin_key: String,
    /// The run.
    pub run_id: RunId,
    /// Which writer produced it.
    pub generated_by: String,
    /// The text.
    pub content: String,
    /// Now.
    pub created_at: DateTime<Utc>,
}

/// A stored owner email with its delivery state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailRow {
    /// Owner.
    pub tenant_id: TenantId,
    /// Id; also the Message-ID idempotency hint.
    pub email_id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The summary it carries.
    pub summary_id: Uuid,
    /// The run that prepared it.
    pub run_id: RunId,
    /// The recipient address.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// HTML body.
    pub html_body: String,
    /// Plain-text body.
    pub text_body: String,
    /// Delivery status.
    #[sqlx(try_from = "String")]
    pub status: EmailStatus,
    /// When it is due.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Delivery attempts started.
    pub attempts: i32,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// `smtp` or `spool`, once sent.
    pub delivered_via: Option<String>,
    /// The Message-ID it was sent with.
    pub message_id: Option<String>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// The run delivering it.
    pub delivery_run_id: Option<RunId>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// How often it was put back in the outbox to be sent again.
    pub resends: i32,
}

/// An email to store, `prepared`.
#[derive(Debug, Clone)]
pub struct NewEmail {
    /// Owner.
    pub tenant_id: TenantId,
    /// Id (kept only when no row with `origin_key` exists).
    pub email_id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The summary.
    pub summary_id: Uuid,
    /// The writing step's idempotency key.
    pub origin_key: String,
    /// The run.
    pub run_id: RunId,
    /// Recipient address.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// HTML body.
    pub html_body: String,
    /// Plain-text body.
    pub text_body: String,
    /// Now.
    pub created_at: DateTime<Utc>,
}

/// How an email delivery attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailOutcome {
    /// `sent`, `failed`, or `scheduled` when a retry is due.
    pub status: EmailStatus,
    /// The error, when the attempt failed.
    pub last_error: Option<String>,
    /// `smtp` or `spool`, when sent.
    pub delivered_via: Option<String>,
    /// The Message-ID, when sent.
    pub message_id: Option<String>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A stored follow-up call with its placement state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallRow {
    /// Owner.
    pub tenant_id: TenantId,
    /// Id.
    pub call_id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The run that scheduled it.
    pub run_id: RunId,
    /// E.164 number to call.
    pub to_phone: String,
    /// What the call says (TwiML).
    pub script: String,
    /// Placement status.
    #[sqlx(try_from = "String")]
    pub status: CallStatus,
    /// When it is due.
    pub scheduled_for: DateTime<Utc>,
    /// Placement attempts started.
    pub attempts: i32,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// The provider's call id.
    pub provider_call_id: Option<String>,
    /// The status the provider reported.
    pub provider_status: Option<String>,
    /// When the provider accepted it.
    pub placed_at: Option<DateTime<Utc>>,
    /// The run placing it.
    pub placement_run_id: Option<RunId>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A call to store, `scheduled`.
#[derive(Debug, Clone)]
pub struct NewCall {
    /// Owner.
    pub tenant_id: TenantId,
    /// Id (kept only when no row with `origin_key` exists).
    pub call_id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The writing step's idempotency key.
    pub origin_key: String,
    /// The run.
    pub run_id: RunId,
    /// E.164 number.
    pub to_phone: String,
    /// What the call says.
    pub script: String,
    /// When it is due.
    pub scheduled_for: DateTime<Utc>,
    /// Now.
    pub created_at: DateTime<Utc>,
}

/// How a call placement attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CallOutcome {
    /// `placed`, `failed`, `not_configured`, or `scheduled` when a retry is due.
    pub status: CallStatus,
    /// The error, when the attempt failed.
    pub last_error: Option<String>,
    /// The provider's call id.
    pub provider_call_id: Option<String>,
    /// The provider's status.
    pub provider_status: Option<String>,
    /// When the provider accepted it.
    pub placed_at: Option<DateTime<Utc>>,
}

/// Storage of the discharge workflow's data. Reads and writes stay in one tenant.
#[async_trait]
pub trait DischargeStore {
    /// Stores a case; when a case with the same origin key exists, returns it instead.
    async fn insert_case(&self, case: &NewCase) -> StoreResult<CaseRow>;
    /// A case of the tenant.
    async fn get_case(&self, tenant: &TenantId, case_id: Uuid) -> StoreResult<Option<CaseRow>>;

    /// Stores a summary; when one with the same origin key exists, returns it instead.
    async fn insert_summary(&self, summary: &NewSummary) -> StoreResult<SummaryRow>;
    /// A summary of the tenant.
    async fn get_summary(
        &self,
        tenant: &TenantId,
        summary_id: Uuid,
    ) -> StoreResult<Option<SummaryRow>>;

    /// Stores a `prepared` email; when one with the same origin key exists, returns it.
    async fn insert_email(&self, email: &NewEmail) -> StoreResult<EmailRow>;
    /// An email of the tenant.
    async fn get_email(&self, tenant: &TenantId, email_id: Uuid) -> StoreResult<Option<EmailRow>>;
    /// Puts a `prepared` email in the outbox for `at` (`scheduled`); an email already
    /// past `prepared` is left as it is. Returns the row afterwards.
    async fn schedule_email(
        &self,
        tenant: &TenantId,
        email_id: Uuid,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<EmailRow>>;
    /// Records the run that delivers the email, unless one is recorded already.
    async fn set_email_delivery_run(
        &self,
        tenant: &TenantId,
        email_id: Uuid,
        run: RunId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Counts an attempt by `run` when the email is `scheduled` and `run` delivers
    /// it (or no run is recorded yet: `run` becomes the one). Returns the row
    /// afterwards, whatever happened: a `sent` email, or one another run delivers,
    /// must not be sent by this one.
    async fn start_email_attempt(
        &self,
        tenant: &TenantId,
        email_id: Uuid,
        run: RunId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<EmailRow>>;
    /// Records how an attempt ended, when the email is still `scheduled`.
    async fn finish_email_attempt(
        &self,
        tenant: &TenantId,
        email_id: Uuid,
        outcome: &EmailOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Marks a `prepared` or `scheduled` email `cancelled`; with `run`, only when that
    /// run delivers it. Returns the row afterwards, whatever happened.
    async fn cancel_email(
        &self,
        tenant: &TenantId,
        email_id: Uuid,
        run: Option<RunId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<EmailRow>>;
    /// Puts a `sent`, `failed` or `cancelled` email back in the outbox, due `at`,
    /// with no delivery run recorded and `resends` counted. `None` when it was in
    /// none of those statuses (or does not exist).
    async fn resend_email(
        &self,
        tenant: &TenantId,
        email_id: Uuid,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<EmailRow>>;

    /// Stores a `scheduled` call; when one with the same origin key exists, returns it.
    async fn insert_call(&self, call: &NewCall) -> StoreResult<CallRow>;
    /// A call of the tenant.
    async fn get_call(&self, tenant: &TenantId, call_id: Uuid) -> StoreResult<Option<CallRow>>;
    /// Records the run that places the call, unless one is recorded already.
    async fn set_call_placement_run(
        &self,
        tenant: &TenantId,
        call_id: Uuid,
        run: RunId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Counts an attempt by `run` when the call is `scheduled` and `run` places it
    /// (or no run is recorded yet). Returns the row afterwards, whatever happened.
    async fn start_call_attempt(
        &self,
        tenant: &TenantId,
        call_id: Uuid,
        run: RunId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CallRow>>;
    /// Marks a `scheduled` call `cancelled`; with `run`, only when that run places
    /// it. Returns the row afterwards, whatever happened.
    async fn cancel_call(
        &self,
        tenant: &TenantId,
        call_id: Uuid,
        run: Option<RunId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CallRow>>;
    /// Records how an attempt ended (or that no provider is configured), when the
    /// call is still `scheduled`.
    async fn finish_call_attempt(
        &self,
        tenant: &TenantId,
        call_id: Uuid,
        outcome: &CallOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}
