//! The hospital and schedule operations: hospitals, schedule imports (an `.ods`
//! upload read by a `schedule-import` run), and the schedule versions they create.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub use crate::domain::schedule::version_view::VersionStatus;
pub use crate::workflows::schedule_import::result::{
    AssignmentOutcome, ImportAssignments, ImportedVersion, PhaseMessage,
};

/// `POST /v1/hospitals`: the handler reads it as JSON and lists every problem.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewHospital {
    /// Unique in the tenant; no control characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// IANA time zone name (default `schedules.default_time_zone`); shift times are
    /// wall-clock times in it.
    #[schema(example = "America/New_York")]
    pub time_zone: Option<String>,
}

/// `POST /v1/schedules/imports`: a `multipart/form-data` body (any other media type
/// is refused with 415). Unknown and repeated parts are listed as problems with the
/// rest.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportForm {
    /// The schedule, an OpenDocument spreadsheet (`.ods`), recognised by its bytes,
    /// never its name; at most `server.upload_limit_bytes` and
    /// `schedules.max_cells` cells.
    #[schema(value_type = String, format = Binary, content_media_type = "application/vnd.oasis.opendocument.spreadsheet")]
    pub file: Vec<u8>,
    /// The hospital (`POST /v1/hospitals`).
    pub hospital_id: Uuid,
    /// First day to import (ISO date); default: the sheet's first.
    pub period_start: Option<NaiveDate>,
    /// Last day to import (ISO date, not before `periodStart`); default: the sheet's
    /// last.
    pub period_end: Option<NaiveDate>,
    /// The Amion access code used to fetch the roster; never echoed. Without it the
    /// roster phase is skipped.
    #[schema(min_length = 1, max_length = 200)]
    pub amion_login: Option<String>,
}
