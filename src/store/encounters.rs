//! Storage of the prior-authorization encounter workflow: the polling lease and
//! cursor of each FHIR source, the run processing each encounter (the latest, keyed
//! by the resource's version), and the generated PDF forms, one per run, the older
//! ones marked superseded by the newer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{RunId, StoreResult, TenantId};

/// Where polling of a source resumes: the highest `meta.lastUpdated` seen and the
/// encounter ids seen at exactly that instant (the next search includes the instant,
/// so a late write sharing it is not missed, and these ids are skipped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceCursor {
    /// Highest `meta.lastUpdated` processed; `None` before the first encounter.
    pub last_updated: Option<DateTime<Utc>>,
    /// Encounter ids processed whose `meta.lastUpdated` equals `last_updated`.
    pub ids: Vec<String>,
}

/// The run processing an encounter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncounterRunRow {
    /// Owner.
    pub tenant_id: TenantId,
    /// FHIR id of the encounter.
    pub encounter_id: String,
    /// The configured source it came from.
    pub source: String,
    /// The run.
    pub run_id: RunId,
    /// The version of the resource the run was keyed by (`meta.versionId`, else
    /// `meta.lastUpdated`); `None` when it was unknown at submission.
    pub version: Option<String>,
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
}

/// A generated prior-authorization form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEncounterForm {
    /// Owner.
    pub tenant_id: TenantId,
    /// FHIR id of the encounter.
    pub encounter_id: String,
    /// The configured source it came from.
    pub source: String,
    /// The run that generated it.
    pub run_id: RunId,
    /// The transaction id printed on the form.
    pub transaction_id: String,
    /// The version of the encounter it was made from.
    pub version: Option<String>,
    /// The PDF.
    pub pdf: Vec<u8>,
    /// When it was generated.
    pub created_at: DateTime<Utc>,
}

/// What is known about a stored form, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncounterFormInfo {
    /// The run that generated it.
    pub run_id: RunId,
    /// The transaction id printed on the form.
    pub transaction_id: String,
    /// Size of the PDF.
    pub size_bytes: i64,
    /// When it was generated.
    pub created_at: DateTime<Utc>,
    /// The version of the encounter it was made from.
    pub version: Option<String>,
    /// When a newer version's run replaced it.
    pub superseded_at: Option<DateTime<Utc>>,
    /// The transaction id (run id) of the run that replaced it.
    pub superseded_by: Option<String>,
}

/// Storage of the encounter workflow.
#[async_trait]
pub trait EncounterStore {
    /// Takes (or renews) the polling lease of a source for `owner` until
    /// `lease_until`, unless another owner holds an unexpired lease; creates the
    /// source's row on first use. Returns the cursor when `owner` holds the lease.
    async fn claim_encounter_source(
        &self,
        tenant: &TenantId,
        source: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<SourceCursor>>;

    /// Saves the cursor and renews the lease, only while `owner` holds it. Returns
    /// false when another owner took the source over (nothing was written).
    async fn save_encounter_cursor(
        &self,
        tenant: &TenantId,
        source: &str,
        owner: &str,
        cursor: &SourceCursor,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Gives up `owner`'s lease on a source so another replica can take over at once.
    async fn release_encounter_source(
        &self,
        tenant: &TenantId,
        source: &str,
        owner: &str,
    ) -> StoreResult<()>;

    /// Records the run processing an encounter, replacing the one recorded before it
    /// (only by a later run: runs ids grow with time, so a repeated submission of an
    /// older version never takes the place of a newer one).
    async fn record_encounter_run(&self, row: &EncounterRunRow) -> StoreResult<()>;

    /// The runs recorded for an encounter id in a tenant, one per source that has it
    /// (only `source`'s when given).
    async fn encounter_runs(
        &self,
        tenant: &TenantId,
        encounter_id: &str,
        source: Option<&str>,
    ) -> StoreResult<Vec<EncounterRunRow>>;

    /// Marks (`Some`) or clears (`None`) an encounter's run as failed on a transient
    /// error, to be retried when its source answers again; only while `run` is the
    /// encounter's recorded run.
    async fn mark_encounter_failed_transient(
        &self,
        tenant: &TenantId,
        encounter_id: &str,
        source: &str,
        run: RunId,
        at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;

    /// Up to `limit` encounters of a source whose run failed on a transient error,
    /// the earliest failure first.
    async fn encounters_to_recover(
        &self,
        tenant: &TenantId,
        source: &str,
        limit: i64,
    ) -> StoreResult<Vec<EncounterRunRow>>;

    /// Stores the form of one run (again, on a repeated attempt), and in the same
    /// transaction marks the forms of earlier runs superseded by it; when a later
    /// run's form exists already, this one is stored superseded by that.
    async fn save_encounter_form(&self, form: &NewEncounterForm) -> StoreResult<()>;

    /// Marks the forms of runs earlier than `run` superseded by `by` (a run that
    /// found no form to be needed).
    async fn supersede_encounter_forms(
        &self,
        tenant: &TenantId,
        encounter_id: &str,
        source: &str,
        run: RunId,
        by: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Every form of an encounter, the latest run's first.
    async fn encounter_forms(
        &self,
        tenant: &TenantId,
        encounter_id: &str,
        source: &str,
    ) -> StoreResult<Vec<EncounterFormInfo>>;

    /// An encounter's form PDF: the one of `transaction_id` when given, else the
    /// current one (not superseded), if any.
    async fn encounter_form_pdf(
        &self,
        tenant: &TenantId,
        encounter_id: &str,
        source: &str,
        transaction_id: Option<&str>,
    ) -> StoreResult<Option<Vec<u8>>>;
}
