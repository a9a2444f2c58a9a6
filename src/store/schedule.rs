//! Schedule versions with their shift instances, roster assignments and coverage.
//!
//! Each import phase writes its rows through one method, in one transaction:
//! [`ScheduleStore::create_version_with_shifts`], [`ScheduleStore::store_assignments`],
//! [`ScheduleStore::store_coverage`]. A phase that fails writes nothing. Shift times are
//! the facility's local wall-clock times, as the spreadsheet and Amion give them.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::{RunId, StoreResult, TenantId};

/// One shift instance of a new version.
#[derive(Debug, Clone, PartialEq)]
pub struct NewShiftInstance {
    /// Id.
    pub shift_id: Uuid,
    /// Order within the version (sheet, then row).
    pub position: i32,
    /// Sheet it was read from.
    pub sheet: String,
    /// 1-based row number in that sheet.
    pub row_number: i32,
    /// Day it starts on.
    pub shift_date: NaiveDate,
    /// Shift name.
    pub shift_name: String,
    /// Service, location or unit.
    pub service: String,
    /// Start, local time.
    pub starts_at: NaiveDateTime,
    /// End, local time.
    pub ends_at: NaiveDateTime,
    /// Staff needed.
    pub required_staff: i32,
}

/// A draft schedule version with its shift instances, written together.
#[derive(Debug, Clone, PartialEq)]
pub struct NewScheduleVersion {
    /// Id.
    pub version_id: Uuid,
    /// The hospital.
    pub hospital_id: Uuid,
    /// The upload it was read from (one version per upload).
    pub upload_id: Uuid,
    /// The run that imported it.
    pub run_id: Option<RunId>,
    /// First day covered.
    pub period_start: NaiveDate,
    /// Last day covered.
    pub period_end: NaiveDate,
    /// Who imported it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Its shifts.
    pub shifts: Vec<NewShiftInstance>,
}

/// A stored schedule version.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct VersionRow {
    /// Id.
    pub version_id: Uuid,
    /// The hospital.
    pub hospital_id: Uuid,
    /// The upload it was read from.
    pub upload_id: Uuid,
    /// The run that imported it.
    pub run_id: Option<RunId>,
    /// `draft`.
    pub status: String,
    /// First day covered.
    pub period_start: NaiveDate,
    /// Last day covered.
    pub period_end: NaiveDate,
    /// Number of shift instances.
    pub shift_count: i32,
    /// Who imported it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When roster assignments were last stored.
    pub assignments_fetched_at: Option<DateTime<Utc>>,
    /// Assignments matched to a shift then.
    pub assignments_matched: Option<i32>,
    /// Assignments that matched no shift then.
    pub assignments_unmatched: Option<i32>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Who published it.
    pub published_by: Option<String>,
    /// When a version published for the same period replaced it.
    pub superseded_at: Option<DateTime<Utc>>,
    /// The version that replaced it.
    pub superseded_by: Option<Uuid>,
}

/// What publishing a version did.
#[derive(Debug, Clone, PartialEq)]
pub enum Published {
    /// It is published; these versions (published for the same period before) are
    /// now superseded.
    Published {
        /// The versions it replaced.
        superseded: Vec<Uuid>,
    },
    /// It is not a draft (its status is given).
    NotDraft(String),
    /// Another published version of the hospital covers some of its days over a
    /// different period.
    Overlaps(Uuid),
    /// No such version in the tenant.
    NotFound,
}

/// What creating a version did.
#[derive(Debug, Clone, PartialEq)]
pub enum CreatedVersion {
    /// It was written.
    Created,
    /// The upload already has a version (a repeated attempt): this one.
    Existing(Box<VersionRow>),
}

/// A stored shift instance.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ShiftInstanceRow {
    /// Id.
    pub shift_id: Uuid,
    /// Order within the version.
    pub position: i32,
    /// Sheet.
    pub sheet: String,
    /// Row number.
    pub row_number: i32,
    /// Day it starts on.
    pub shift_date: NaiveDate,
    /// Shift name.
    pub shift_name: String,
    /// Service.
    pub service: String,
    /// Start, local time.
    pub starts_at: NaiveDateTime,
    /// End, local time.
    pub ends_at: NaiveDateTime,
    /// Staff needed.
    pub required_staff: i32,
}

/// One roster assignment matched to a shift instance.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AssignmentRow {
    /// Id.
    pub assignment_id: Uuid,
    /// The shift it fills.
    pub shift_id: Uuid,
    /// Order as the roster listed it.
    pub position: i32,
    /// Staff name as the roster has it.
    pub staff_name: String,
    /// Normalised name, so one person written two ways counts once.
    pub staff_key: String,
    /// The roster's unique staff id, when it has one.
    pub staff_ref: Option<String>,
    /// The roster's assignment name.
    pub assignment_name: String,
    /// Start, local time.
    pub starts_at: NaiveDateTime,
    /// End, local time.
    pub ends_at: NaiveDateTime,
}

/// The roster phase's rows for one version, replacing any earlier ones.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentBatch {
    /// The version.
    pub version_id: Uuid,
    /// When they were fetched.
    pub fetched_at: DateTime<Utc>,
    /// Matched assignments.
    pub assignments: Vec<AssignmentRow>,
    /// How many fetched assignments matched no shift.
    pub unmatched: i32,
}

/// Coverage of one shift instance.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ShiftCoverageRow {
    /// The shift.
    pub shift_id: Uuid,
    /// Staff needed.
    pub required_staff: i32,
    /// Distinct staff assigned.
    pub assigned_staff: i32,
    /// `covered`, `under` or `uncovered`.
    pub status: String,
}

/// A version's coverage, replacing any earlier calculation.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageWrite {
    /// The version.
    pub version_id: Uuid,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// Capped assigned over required staff, in percent.
    pub overall_percentage: f64,
    /// Staff needed over all shifts.
    pub required_staff: i64,
    /// Staff assigned, each shift counted up to its requirement.
    pub assigned_staff: i64,
    /// Per-day figures, as JSON.
    pub days: Value,
    /// Every shift's coverage.
    pub shifts: Vec<ShiftCoverageRow>,
}

/// A stored coverage summary.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CoverageRow {
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// Overall percentage.
    pub overall_percentage: f64,
    /// Staff needed.
    pub required_staff: i64,
    /// Staff assigned (capped per shift).
    pub assigned_staff: i64,
    /// Per-day figures.
    pub days: Json<Value>,
}

/// Storage of schedule versions, shift instances, assignments and coverage.
#[async_trait]
pub trait ScheduleStore {
    /// Writes a version and all its shift instances in one transaction. When the
    /// upload already has a version, writes nothing and returns it.
    async fn create_version_with_shifts(
        &self,
        tenant: &TenantId,
        version: &NewScheduleVersion,
    ) -> StoreResult<CreatedVersion>;

    /// One version of the tenant.
    async fn get_version(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<VersionRow>>;

    /// A hospital's versions, newest first, older than `before` when given.
    async fn list_versions(
        &self,
        tenant: &TenantId,
        hospital: Uuid,
        before: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<VersionRow>>;

    /// Publishes a draft in one transaction: the version published before for the
    /// same hospital and period becomes `superseded` (by this one); a published
    /// version of another period sharing days with it refuses the publication.
    async fn publish_version(
        &self,
        tenant: &TenantId,
        version: Uuid,
        by: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Published>;

    /// A version's shift instances, in order.
    async fn list_shifts(
        &self,
        tenant: &TenantId,
        version: Uuid,
    ) -> StoreResult<Vec<ShiftInstanceRow>>;

    /// Replaces a version's assignments and their summary in one transaction; any
    /// failure (an assignment naming a shift the version does not have, say) leaves
    /// the earlier state untouched. `NotFound` when the version does not exist.
    async fn store_assignments(
        &self,
        tenant: &TenantId,
        batch: &AssignmentBatch,
    ) -> StoreResult<()>;

    /// A version's assignments, in roster order.
    async fn list_assignments(
        &self,
        tenant: &TenantId,
        version: Uuid,
    ) -> StoreResult<Vec<AssignmentRow>>;

    /// Replaces a version's coverage (summary and per shift) in one transaction.
    /// `NotFound` when the version does not exist.
    async fn store_coverage(&self, tenant: &TenantId, coverage: &CoverageWrite) -> StoreResult<()>;

    /// A version's coverage summary, if computed.
    async fn get_coverage(
        &self,
        tenant: &TenantId,
        version: Uuid,
    ) -> StoreResult<Option<CoverageRow>>;

    /// A version's per-shift coverage, in shift order.
    async fn list_shift_coverage(
        &self,
        tenant: &TenantId,
        version: Uuid,
    ) -> StoreResult<Vec<ShiftCoverageRow>>;
}
