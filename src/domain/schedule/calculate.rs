//! Calculating and storing a version's coverage, as the import's third phase and a
//! later recalculation both do it: read the shifts and assignments, check the bound,
//! compute, and replace the stored coverage in one transaction.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::coverage::{CoverageReport, CoverageStatus, compute_coverage};
use super::staffing::coverage_inputs;
use crate::store::{CoverageWrite, ShiftCoverageRow, Store, StoreError, TenantId};

/// Why coverage could not be calculated.
#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    /// The version does not exist in the tenant.
    #[error("no such schedule version")]
    VersionNotFound,
    /// The version has more shifts than one calculation may cover.
    #[error(
        "the version has {shifts} shift instances, above schedules.max_coverage_shifts ({limit}); no coverage was stored"
    )]
    TooManyShifts {
        /// Shift instances of the version.
        shifts: usize,
        /// The configured bound.
        limit: u32,
    },
    /// Reading or writing failed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}

impl CoverageError {
    /// True when another attempt may succeed (the database was unavailable).
    pub fn is_retryable(&self) -> bool {
        matches!(self, CoverageError::Store(StoreError::Unavailable(_)))
    }
}

/// The stored name of a coverage status.
pub fn status_name(status: CoverageStatus) -> &'static str {
    match status {
        CoverageStatus::Covered => "covered",
        CoverageStatus::Under => "under",
        CoverageStatus::Uncovered => "uncovered",
    }
}

/// Computes the coverage of `version` and stores it, replacing any earlier one.
pub async fn calculate_and_store(
    store: &dyn Store,
    tenant: &TenantId,
    version: Uuid,
    max_shifts: u32,
    now: DateTime<Utc>,
) -> Result<CoverageReport, CoverageError> {
    if store.get_version(tenant, version).await?.is_none() {
        return Err(CoverageError::VersionNotFound);
    }
    let shifts = store.list_shifts(tenant, version).await?;
    if shifts.len() > max_shifts as usize {
        return Err(CoverageError::TooManyShifts {
            shifts: shifts.len(),
            limit: max_shifts,
        });
    }
    let assignments = store.list_assignments(tenant, version).await?;
    let report = compute_coverage(&coverage_inputs(&shifts, &assignments));
    let (required, assigned) = report
        .days
        .iter()
        .fold((0, 0), |(r, a), d| (r + d.required, a + d.assigned));
    let write = CoverageWrite {
        version_id: version,
        computed_at: now,
        overall_percentage: report.overall_percentage,
        required_staff: i64::try_from(required).unwrap_or(i64::MAX),
        assigned_staff: i64::try_from(assigned).unwrap_or(i64::MAX),
        days: serde_json::to_value(&report.days).unwrap_or_default(),
        shifts: report
            .shifts
            .iter()
            .map(|s| ShiftCoverageRow {
                shift_id: s.id,
                required_staff: i32::try_from(s.required).unwrap_or(i32::MAX),
                assigned_staff: i32::try_from(s.assigned).unwrap_or(i32::MAX),
                status: status_name(s.status).to_owned(),
            })
            .collect(),
    };
    store
        .store_coverage(tenant, &write)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => CoverageError::VersionNotFound,
            e => CoverageError::Store(e),
        })?;
    tracing::info!(
        version.id = %version,
        shifts = report.shifts.len(),
        uncovered = report.uncovered.len(),
        under_covered = report.under_covered.len(),
        "coverage stored"
    );
    Ok(report)
}
