//! The schedules area's operations, schemas and tags: apart from the
//! types (`openapi::schedules`), so that handlers naming those types and this list
//! naming the handlers do not import each other.

use utoipa::OpenApi;

use crate::domain::schedule::version_view::VersionStatus;
use crate::http::openapi::schedules::{ImportForm, NewHospital};
use crate::http::schedule::{hospitals, imports, lifecycle, versions};
use crate::workflows::schedule_import::result::{
    AssignmentOutcome, ImportAssignments, ImportedVersion, PhaseMessage,
};

/// The hospital and schedule area of the description.
#[derive(OpenApi)]
#[openapi(
    paths(
        hospitals::create_hospital,
        hospitals::list_hospitals,
        lifecycle::list_versions,
        imports::submit_import,
        imports::import_status,
        imports::get_import,
        versions::get_version,
        versions::recalculate_coverage,
        lifecycle::publish_version,
        lifecycle::refresh_assignments,
    ),
    components(schemas(NewHospital, ImportForm, PhaseMessage, ImportedVersion, ImportAssignments, AssignmentOutcome, VersionStatus)),
    tags(
        (name = "hospitals", description = "The hospitals schedules are imported for, and \
            their schedule versions."),
        (name = "schedules", description = "Schedule imports (an `.ods` upload read by a \
            `schedule-import` run), schedule versions, their coverage and publication."),
    )
)]
pub struct SchedulesApi;
