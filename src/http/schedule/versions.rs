//! `GET /v1/schedules/versions/{id}` (a version with its shifts, assignments and
//! coverage) and `POST /v1/schedules/versions/{id}/coverage` (recalculate coverage).

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Principal;
use crate::domain::schedule::calculate::{CoverageError, calculate_and_store};
use crate::domain::schedule::version_view::{CoverageSummary, VersionView};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path};

fn version_id(raw: &str) -> ApiResult<Uuid> {
    raw.parse()
        .map_err(|_| ApiError::NotFound("schedule version"))
}

/// `POST /v1/schedules/versions/{id}/coverage`: the coverage just calculated.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoverageRecalculated {
    /// The version.
    pub version_id: Uuid,
    /// Its new coverage, now stored.
    pub coverage: CoverageSummary,
}

/// `GET /v1/schedules/versions/{id}`.
#[utoipa::path(get, path = "/v1/schedules/versions/{id}", operation_id = "getSchedulesVersionsId", tag = "schedules",
    params(("id" = String, Path, description = "The version's id (a UUID; any other text is an unknown version).")),
    responses((status = 200, description = "The version with its shifts (times with the hospital's offset), their assignments and coverage.", body = VersionView)))]
pub async fn get_version(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<VersionView>> {
    let id = version_id(&id)?;
    VersionView::load(state.store.as_ref(), &principal.tenant, id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("schedule version"))
}

/// `POST /v1/schedules/versions/{id}/coverage`: computes the coverage from the stored
/// shifts and assignments and replaces the stored one; `409` when the version has more
/// shifts than `schedules.max_coverage_shifts`.
#[utoipa::path(post, path = "/v1/schedules/versions/{id}/coverage", operation_id = "postSchedulesVersionsIdCoverage", tag = "schedules",
    params(("id" = String, Path, description = "The version's id (a UUID; any other text is an unknown version).")),
    responses(
        (status = 200, description = "The coverage calculated from the stored shifts and assignments, which replaces the stored one.", body = CoverageRecalculated),
        (status = 409, description = "The version has more shifts than `schedules.max_coverage_shifts`.", content_type = "application/problem+json", body = crate::http::error::Problem),
    ))]
pub async fn recalculate_coverage(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CoverageRecalculated>> {
    let id = version_id(&id)?;
    let now = state.engine.clock().now();
    let max = state.settings.schedules.max_coverage_shifts;
    match calculate_and_store(state.store.as_ref(), &principal.tenant, id, max, now).await {
        Ok(report) => Ok(Json(CoverageRecalculated {
            version_id: id,
            coverage: CoverageSummary::from_report(&report, now),
        })),
        Err(CoverageError::VersionNotFound) => Err(ApiError::NotFound("schedule version")),
        Err(e @ CoverageError::TooManyShifts { .. }) => Err(ApiError::Conflict(format!(
            "Coverage cannot be calculated: {e}."
        ))),
        Err(CoverageError::Store(e)) => Err(e.into()),
    }
}
