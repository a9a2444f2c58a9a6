//! Hospitals, uploaded schedule spreadsheets, each hospital's import status, and
//! schedule versions with their shift instances, roster assignments and coverage.
//!
//! Each import phase writes its rows through one method, in one transaction:
//! [`ScheduleStore::create_version_with_shifts`], [`ScheduleStore::store_assignments`],
//! [`ScheduleStore::store_coverage`]. A phase that fails writes nothing. Shift times are
//! the facility's local wall-clock times, as the spreadsheet and Amion give them.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::{RunId, StoreResult, TenantId};

/// Where a hospital's schedule imports stand. Stored and shown in capitals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImportState {
    /// No import was ever started.
    Idle,
    /// An import runs; another one is refused.
    InProgress,
    /// The last import created a version (its later phases may have warnings).
    Completed,
    /// The last import created no version.
    Failed,
}

impl ImportState {
    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportState::Idle => "IDLE",
            ImportState::InProgress => "IN_PROGRESS",
            ImportState::Completed => "COMPLETED",
            ImportState::Failed => "FAILED",
        }
    }
}

impl FromStr for ImportState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "IDLE" => Ok(ImportState::Idle),
            "IN_PROGRESS" => Ok(ImportState::InProgress),
            "COMPLETED" => Ok(ImportState::Completed),
            "FAILED" => Ok(ImportState::Failed),
            other => Err(format!("unknown import state: {other}")),
        }
    }
}

impl TryFrom<String> for ImportState {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for ImportState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A hospital of a tenant: the unit schedules are imported for.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HospitalRow {
    /// Id.
    pub hospital_id: Uuid,
    /// Display name, unique within the tenant.
    pub name: String,
    /// Who created it (the credential's subject).
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// An uploaded spreadsheet to keep until (and after) its import reads it.
#[derive(Clone)]
pub struct NewUpload {
    /// Id; also the id of the import it starts.
    pub upload_id: Uuid,
    /// The hospital it is for.
    pub hospital_id: Uuid,
    /// The file name the client gave, if any (shown, never trusted).
    pub file_name: Option<String>,
    /// The bytes.
    pub content: Vec<u8>,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The Amion access code given with the upload; kept until the roster phase used it.
    pub amion_login: Option<String>,
    /// Who uploaded (the credential's subject).
    pub uploaded_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for NewUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUpload")
            .field("upload_id", &self.upload_id)
            .field("hospital_id", &self.hospital_id)
            .field("size_bytes", &self.content.len())
            .field("sha256", &self.sha256)
            .field(
                "amion_login",
                &self.amion_login.as_ref().map(|_| "[redacted]"),
            )
            .field("uploaded_by", &self.uploaded_by)
            .finish_non_exhaustive()
    }
}

/// A stored upload, without its bytes.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UploadRow {
    /// Id.
    pub upload_id: Uuid,
    /// The hospital.
    pub hospital_id: Uuid,
    /// File name as given.
    pub file_name: Option<String>,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256.
    pub sha256: String,
    /// Who uploaded.
    pub uploaded_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A hospital's import status.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ImportStatusRow {
    /// The hospital.
    pub hospital_id: Uuid,
    /// Where the last import stands.
    #[sqlx(try_from = "String")]
    pub status: ImportState,
    /// The last import (its upload id).
    pub import_id: Uuid,
    /// Its run, once submitted.
    pub run_id: Option<RunId>,
    /// When it was started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub completed_at: Option<DateTime<Utc>>,
    /// Last change of this row.
    pub updated_at: DateTime<Utc>,
}

/// What claiming a hospital's import slot found.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportClaim {
    /// The slot is ours: the status is `IN_PROGRESS` for our import.
    Claimed,
    /// Another import holds it.
    Busy(ImportStatusRow),
}

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

/// Storage of hospitals, schedule uploads, imports, versions, assignments and coverage.
#[async_trait]
pub trait ScheduleStore {
    /// Adds a hospital; `Conflict` when the tenant has one of that name.
    async fn create_hospital(&self, tenant: &TenantId, hospital: &HospitalRow) -> StoreResult<()>;

    /// The tenant's hospitals, by name.
    async fn list_hospitals(&self, tenant: &TenantId) -> StoreResult<Vec<HospitalRow>>;

    /// One hospital of the tenant.
    async fn get_hospital(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<HospitalRow>>;

    /// Keeps an uploaded spreadsheet.
    async fn insert_upload(&self, tenant: &TenantId, upload: &NewUpload) -> StoreResult<()>;

    /// An upload's description.
    async fn get_upload(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<UploadRow>>;

    /// An upload's bytes.
    async fn get_upload_content(&self, tenant: &TenantId, id: Uuid)
    -> StoreResult<Option<Vec<u8>>>;

    /// The Amion access code given with an upload, if it is still kept.
    async fn get_upload_login(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<String>>;

    /// Forgets the access code given with an upload.
    async fn clear_upload_login(&self, tenant: &TenantId, id: Uuid) -> StoreResult<()>;

    /// A hospital's import status; `None` when it never imported.
    async fn get_import_status(
        &self,
        tenant: &TenantId,
        hospital: Uuid,
    ) -> StoreResult<Option<ImportStatusRow>>;

    /// Sets the hospital's status to `IN_PROGRESS` for `import`, in one conditional
    /// write that succeeds only when no import is in progress, so two replicas can
    /// never both start one.
    async fn claim_import(
        &self,
        tenant: &TenantId,
        hospital: Uuid,
        import: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<ImportClaim>;

    /// Records the run of the import in progress; false when `import` is not the
    /// hospital's current import.
    async fn attach_import_run(
        &self,
        tenant: &TenantId,
        hospital: Uuid,
        import: Uuid,
        run: RunId,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Ends the import in progress with `state`; false (and no change) when `import`
    /// is not the hospital's current import or has ended. One exception: a failed
    /// import whose run was retried to completion may become `COMPLETED`.
    async fn finish_import(
        &self,
        tenant: &TenantId,
        hospital: Uuid,
        import: Uuid,
        state: ImportState,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Writes a version and all its shift instances in one transaction. When the
    /// upload already has a version, writes nothing and returns it.
    async fn create_version_with_shifts(
        &self,
        tenant: &TenantId,
        version: &NewScheduleVersion,
    ) -> StoreResult<CreatedVersion>;

    /// One version of the tenant.
    async fn get_version(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<VersionRow>>;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_states_round_trip_through_their_stored_names() {
        for s in ["IDLE", "IN_PROGRESS", "COMPLETED", "FAILED"] {
            assert_eq!(s.parse::<ImportState>().unwrap().as_str(), s);
        }
        assert!("in_progress".parse::<ImportState>().is_err());
        assert_eq!(
            serde_json::to_value(ImportState::InProgress).unwrap(),
            "IN_PROGRESS"
        );
    }

    #[test]
    fn an_upload_debug_shows_neither_bytes_nor_the_access_code() {
        let upload = NewUpload {
            upload_id: Uuid::nil(),
            hospital_id: Uuid::nil(),
            file_name: None,
            content: vec![7; 64],
            sha256: "ab".into(),
            amion_login: Some("s3cret-code".into()),
            uploaded_by: "u".into(),
            created_at: Utc::now(),
        };
        let shown = format!("{upload:?}");
        assert!(!shown.contains("s3cret-code"), "{shown}");
        assert!(shown.contains("size_bytes: 64"), "{shown}");
    }
}
