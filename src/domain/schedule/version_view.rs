//! How a schedule version and its coverage are shown to API clients: the version with
//! its shift instances, each with its assignments and coverage, and the coverage
//! summary (overall, per day, the gaps) in the same shape wherever it appears. Shift
//! and assignment times are instants with the hospital time zone's offset.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::calculate::status_name;
use super::coverage::{CoverageReport, CoverageStatus, DayCoverage, ShiftCoverage};
use super::zone::{instant, zone_or_utc};
use crate::store::{
    AssignmentRow, CoverageRow, RunId, ShiftCoverageRow, ShiftInstanceRow, Store, StoreResult,
    TenantId, VersionRow,
};

/// First and last day of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct DateRange {
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

/// Coverage as clients see it, from a fresh calculation or from the store.
// `Deserialize`: the import's coverage phase stores it in its output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Coverage)]
pub struct CoverageSummary {
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// Capped assigned over required staff, in percent with one decimal.
    pub overall_percentage: f64,
    /// Staff needed over all shifts.
    pub required_staff: u64,
    /// Staff assigned, each shift counted up to its requirement.
    pub assigned_staff: u64,
    /// Every day with a shift, in date order.
    pub per_day: Vec<DayCoverage>,
    /// Shifts nobody is assigned to.
    pub uncovered_shifts: Vec<ShiftCoverage>,
    /// Shifts with some staff but fewer than required.
    pub under_covered_shifts: Vec<ShiftCoverage>,
}

impl CoverageSummary {
    /// The summary of a calculation just made.
    pub fn from_report(report: &CoverageReport, computed_at: DateTime<Utc>) -> Self {
        let (required, assigned) = report
            .days
            .iter()
            .fold((0, 0), |(r, a), d| (r + d.required, a + d.assigned));
        Self {
            computed_at,
            overall_percentage: report.overall_percentage,
            required_staff: required,
            assigned_staff: assigned,
            per_day: report.days.clone(),
            uncovered_shifts: report.uncovered.clone(),
            under_covered_shifts: report.under_covered.clone(),
        }
    }

    fn from_stored(
        row: &CoverageRow,
        per_shift: &[ShiftCoverageRow],
        shifts: &HashMap<Uuid, &ShiftInstanceRow>,
    ) -> Self {
        let gaps = |wanted: CoverageStatus| -> Vec<ShiftCoverage> {
            per_shift
                .iter()
                .filter(|c| c.status == status_name(wanted))
                .filter_map(|c| {
                    let s = shifts.get(&c.shift_id)?;
                    Some(ShiftCoverage {
                        id: c.shift_id,
                        date: s.shift_date,
                        shift_name: s.shift_name.clone(),
                        service: s.service.clone(),
                        required: u32::try_from(c.required_staff).unwrap_or(0),
                        assigned: u32::try_from(c.assigned_staff).unwrap_or(0),
                        status: wanted,
                    })
                })
                .collect()
        };
        Self {
            computed_at: row.computed_at,
            overall_percentage: row.overall_percentage,
            required_staff: u64::try_from(row.required_staff).unwrap_or(0),
            assigned_staff: u64::try_from(row.assigned_staff).unwrap_or(0),
            per_day: serde_json::from_value(row.days.0.clone()).unwrap_or_default(),
            uncovered_shifts: gaps(CoverageStatus::Uncovered),
            under_covered_shifts: gaps(CoverageStatus::Under),
        }
    }
}

/// One roster assignment on a shift.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ScheduleAssignment)]
pub struct AssignmentView {
    /// Id.
    pub id: Uuid,
    /// Staff name as the roster has it.
    pub staff_name: String,
    /// The roster's unique staff id, when it has one.
    pub staff_id: Option<String>,
    /// The roster's assignment name.
    pub assignment_name: String,
    /// Start, with the hospital's offset.
    pub start: DateTime<FixedOffset>,
    /// End, with the hospital's offset.
    pub end: DateTime<FixedOffset>,
}

/// One shift instance with its staffing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ScheduleShift)]
pub struct ShiftView {
    /// Id.
    pub id: Uuid,
    /// Sheet it was read from.
    pub sheet: String,
    /// Row number in that sheet.
    pub row: i32,
    /// Day it starts on.
    pub date: NaiveDate,
    /// Shift name.
    pub shift_name: String,
    /// Service, location or unit.
    pub service: String,
    /// Start, with the hospital's offset.
    pub start: DateTime<FixedOffset>,
    /// End, with the hospital's offset.
    pub end: DateTime<FixedOffset>,
    /// Staff needed.
    pub required_staff: i32,
    /// Coverage status at the last calculation (`covered`, `under`, `uncovered`);
    /// `null` before the first.
    #[schema(value_type = Option<CoverageStatus>)]
    pub coverage_status: Option<String>,
    /// Who is assigned.
    pub assignments: Vec<AssignmentView>,
}

/// The roster phase's result.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = VersionAssignments)]
pub struct AssignmentSummary {
    /// When assignments were last stored; `None` when never.
    pub fetched_at: Option<DateTime<Utc>>,
    /// Assignments matched to a shift.
    pub count: i32,
    /// Assignments that matched no shift.
    pub unmatched_count: i32,
}

/// A schedule version as `GET /v1/schedules/versions/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ScheduleVersion)]
pub struct VersionView {
    /// Id.
    pub id: Uuid,
    /// The hospital.
    pub hospital_id: Uuid,
    /// The hospital's IANA time zone, in which its shift times are wall-clock times.
    pub time_zone: String,
    /// `draft`, `published` or `superseded`.
    #[schema(value_type = VersionStatus)]
    pub status: String,
    /// The upload it was read from.
    pub upload_id: Uuid,
    /// The import's run.
    pub run_id: Option<RunId>,
    /// Who imported it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Days covered.
    pub date_range: DateRange,
    /// Number of shift instances.
    pub shift_count: i32,
    /// Every shift instance, in sheet and row order.
    pub shifts: Vec<ShiftView>,
    /// The roster phase's result.
    pub assignments: AssignmentSummary,
    /// The last coverage calculation, if any.
    pub coverage: Option<CoverageSummary>,
}

impl VersionView {
    /// Reads everything about a version; `None` when the tenant has no such version.
    pub async fn load(
        store: &dyn Store,
        tenant: &TenantId,
        id: Uuid,
    ) -> StoreResult<Option<VersionView>> {
        let Some(version) = store.get_version(tenant, id).await? else {
            return Ok(None);
        };
        let time_zone = store
            .get_hospital(tenant, version.hospital_id)
            .await?
            .map(|h| h.time_zone)
            .unwrap_or_else(|| "UTC".to_owned());
        let shifts = store.list_shifts(tenant, id).await?;
        let assignments = store.list_assignments(tenant, id).await?;
        let coverage = store.get_coverage(tenant, id).await?;
        let per_shift = match coverage {
            Some(_) => store.list_shift_coverage(tenant, id).await?,
            None => Vec::new(),
        };
        Ok(Some(Self::assemble(
            version,
            time_zone,
            &shifts,
            assignments,
            coverage.as_ref(),
            &per_shift,
        )))
    }

    fn assemble(
        version: VersionRow,
        time_zone: String,
        shifts: &[ShiftInstanceRow],
        assignments: Vec<AssignmentRow>,
        coverage: Option<&CoverageRow>,
        per_shift: &[ShiftCoverageRow],
    ) -> Self {
        let zone: Tz = zone_or_utc(&time_zone);
        let mut by_shift: HashMap<Uuid, Vec<AssignmentView>> = HashMap::new();
        for a in assignments {
            by_shift
                .entry(a.shift_id)
                .or_default()
                .push(AssignmentView {
                    id: a.assignment_id,
                    staff_name: a.staff_name,
                    staff_id: a.staff_ref,
                    assignment_name: a.assignment_name,
                    start: instant(zone, a.starts_at),
                    end: instant(zone, a.ends_at),
                });
        }
        let status: HashMap<Uuid, &str> = per_shift
            .iter()
            .map(|c| (c.shift_id, c.status.as_str()))
            .collect();
        let index: HashMap<Uuid, &ShiftInstanceRow> =
            shifts.iter().map(|s| (s.shift_id, s)).collect();
        Self {
            id: version.version_id,
            hospital_id: version.hospital_id,
            time_zone,
            status: version.status,
            upload_id: version.upload_id,
            run_id: version.run_id,
            created_by: version.created_by,
            created_at: version.created_at,
            date_range: DateRange {
                start: version.period_start,
                end: version.period_end,
            },
            shift_count: version.shift_count,
            shifts: shifts
                .iter()
                .map(|s| ShiftView {
                    id: s.shift_id,
                    sheet: s.sheet.clone(),
                    row: s.row_number,
                    date: s.shift_date,
                    shift_name: s.shift_name.clone(),
                    service: s.service.clone(),
                    start: instant(zone, s.starts_at),
                    end: instant(zone, s.ends_at),
                    required_staff: s.required_staff,
                    coverage_status: status.get(&s.shift_id).map(|s| (*s).to_owned()),
                    assignments: by_shift.remove(&s.shift_id).unwrap_or_default(),
                })
                .collect(),
            assignments: AssignmentSummary {
                fetched_at: version.assignments_fetched_at,
                count: version.assignments_matched.unwrap_or(0),
                unmatched_count: version.assignments_unmatched.unwrap_or(0),
            },
            coverage: coverage.map(|c| CoverageSummary::from_stored(c, per_shift, &index)),
        }
    }
}
// Documents `VersionView::status`, which the store keeps as text. (Its doc comment
// is the schema's description.)
/// Where a schedule version stands: imported (`draft`), published, or replaced by a
/// later publication for the same period (`superseded`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Imported, not published.
    Draft,
    /// The hospital's schedule for its period.
    Published,
    /// Replaced by a later publication.
    Superseded,
}
