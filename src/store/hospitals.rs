//! Hospitals, their uploaded schedule spreadsheets, and each hospital's import status:
//! the slot that lets one import per hospital run at a time, across replicas.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{RunId, StoreResult, TenantId};

/// Where a hospital's schedule imports stand. Stored in capitals (`IN_PROGRESS`,
/// what replicas of earlier versions read and write), serialized as the API shows
/// it (`in_progress`); the capitals are still read wherever JSON holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportState {
    /// No import was ever started.
    #[serde(alias = "IDLE")]
    Idle,
    /// An import runs; another one is refused.
    #[serde(alias = "IN_PROGRESS")]
    InProgress,
    /// The last import created a version (its later phases may have warnings).
    #[serde(alias = "COMPLETED")]
    Completed,
    /// The last import created no version.
    #[serde(alias = "FAILED")]
    Failed,
    /// The last import's run was cancelled (its version may exist).
    #[serde(alias = "CANCELLED")]
    Cancelled,
}

impl ImportState {
    /// The stored name (the API's is lower-case: see the serde attributes).
    pub fn as_str(self) -> &'static str {
        match self {
            ImportState::Idle => "IDLE",
            ImportState::InProgress => "IN_PROGRESS",
            ImportState::Completed => "COMPLETED",
            ImportState::Failed => "FAILED",
            ImportState::Cancelled => "CANCELLED",
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
            "CANCELLED" => Ok(ImportState::Cancelled),
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
    /// IANA time zone of the hospital's wall-clock shift times.
    pub time_zone: String,
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

/// Storage of hospitals, schedule uploads and import status.
#[async_trait]
pub trait HospitalStore {
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

    /// Sets the hospital's status to `IN_PROGRESS` for `import` (naming `run` when
    /// given), in one conditional write that succeeds only when no other import is in
    /// progress, so two replicas can never both start one. Claiming again for the
    /// import in progress succeeds and keeps its start time (a retried or resumed run
    /// takes its own slot back).
    async fn claim_import(
        &self,
        tenant: &TenantId,
        hospital: Uuid,
        import: Uuid,
        run: Option<RunId>,
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
    /// is not the hospital's current import or has ended. One exception: a failed or
    /// cancelled import whose run was retried to completion may become `COMPLETED`.
    async fn finish_import(
        &self,
        tenant: &TenantId,
        hospital: Uuid,
        import: Uuid,
        state: ImportState,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_states_round_trip_through_their_stored_names_and_serialize_in_snake_case() {
        for s in ["IDLE", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"] {
            assert_eq!(s.parse::<ImportState>().unwrap().as_str(), s);
        }
        assert!("in_progress".parse::<ImportState>().is_err());
        assert_eq!(
            serde_json::to_value(ImportState::InProgress).unwrap(),
            "in_progress"
        );
        let old: ImportState = serde_json::from_value("IN_PROGRESS".into()).unwrap();
        assert_eq!(old, ImportState::InProgress, "the capitals are still read");
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
