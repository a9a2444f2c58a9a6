//! Schedule routes: hospitals, schedule imports (multipart upload, status, result),
//! schedule versions (list, publish, roster refresh) and coverage recalculation.

mod form;
pub(crate) mod hospitals;
pub(crate) mod imports;
pub(crate) mod lifecycle;
pub(crate) mod versions;

pub use hospitals::{create_hospital, list_hospitals};
pub use imports::{get_import, import_status, submit_import};
pub use lifecycle::{list_versions, publish_version, refresh_assignments};
pub use versions::{get_version, recalculate_coverage};

use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::domain::validation::Problems;
use crate::store::TenantId;

/// Resolves a `hospitalId` field: missing, malformed and unknown hospitals (another
/// tenant's included) are all validation problems at `pointer`.
async fn known_hospital(
    state: &AppState,
    tenant: &TenantId,
    raw: Option<&str>,
    pointer: &str,
    problems: &mut Problems,
) -> ApiResult<Option<Uuid>> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        problems.push(pointer, "is required");
        return Ok(None);
    };
    let Ok(id) = raw.parse::<Uuid>() else {
        problems.push(pointer, "must be a hospital id (a UUID)");
        return Ok(None);
    };
    match state.store.get_hospital(tenant, id).await {
        Ok(Some(_)) => Ok(Some(id)),
        Ok(None) => {
            problems.push(pointer, "names no hospital of this tenant");
            Ok(None)
        }
        Err(e) => Err(ApiError::from(e)),
    }
}
