//! How well the required shifts are staffed: per shift, per day and overall, counting
//! at most the required number of staff on each shift so that over-staffing one shift
//! never hides a gap on another.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One shift with its requirement and how many staff are assigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoverageShift {
    /// Shift instance id.
    pub id: Uuid,
    /// Day the shift starts on.
    pub date: NaiveDate,
    /// Shift name.
    pub shift_name: String,
    /// Service, location or unit.
    pub service: String,
    /// Staff needed.
    pub required: u32,
    /// Staff assigned.
    pub assigned: u32,
}

/// How a shift is staffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum CoverageStatus {
    /// At least as many staff as required.
    Covered,
    /// Some staff, fewer than required.
    Under,
    /// Staff required and nobody assigned.
    Uncovered,
}

/// Coverage of one shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShiftCoverage {
    /// Shift instance id.
    pub id: Uuid,
    /// Day the shift starts on.
    pub date: NaiveDate,
    /// Shift name.
    pub shift_name: String,
    /// Service, location or unit.
    pub service: String,
    /// Staff needed.
    pub required: u32,
    /// Staff assigned (not capped).
    pub assigned: u32,
    /// Covered, under-covered or uncovered.
    pub status: CoverageStatus,
}

/// Coverage of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayCoverage {
    /// The day.
    pub date: NaiveDate,
    /// Staff needed over all shifts of the day.
    pub required: u64,
    /// Staff assigned, each shift counted at most up to its requirement.
    pub assigned: u64,
    /// `assigned / required` in percent, one decimal; 100 when nothing is required.
    pub percentage: f64,
}

/// Coverage of a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoverageReport {
    /// Every shift, in input order.
    pub shifts: Vec<ShiftCoverage>,
    /// Every day that has a shift, in date order.
    pub days: Vec<DayCoverage>,
    /// Capped assigned staff over required staff, in percent, one decimal.
    pub overall_percentage: f64,
    /// Shifts with nobody assigned.
    pub uncovered: Vec<ShiftCoverage>,
    /// Shifts with some but not enough staff.
    pub under_covered: Vec<ShiftCoverage>,
}

/// Computes coverage; a shift's surplus staff count for nothing.
pub fn compute_coverage(shifts: &[CoverageShift]) -> CoverageReport {
    let mut per_day: BTreeMap<NaiveDate, (u64, u64)> = BTreeMap::new();
    let mut report_shifts = Vec::with_capacity(shifts.len());
    for shift in shifts {
        let status = match (shift.assigned, shift.required) {
            (a, r) if a >= r => CoverageStatus::Covered,
            (0, _) => CoverageStatus::Uncovered,
            _ => CoverageStatus::Under,
        };
        let day = per_day.entry(shift.date).or_default();
        day.0 += u64::from(shift.required);
        day.1 += u64::from(shift.assigned.min(shift.required));
        report_shifts.push(ShiftCoverage {
            id: shift.id,
            date: shift.date,
            shift_name: shift.shift_name.clone(),
            service: shift.service.clone(),
            required: shift.required,
            assigned: shift.assigned,
            status,
        });
    }
    let (required, assigned) = per_day
        .values()
        .fold((0, 0), |(r, a), (dr, da)| (r + dr, a + da));
    let with_status = |wanted: CoverageStatus| -> Vec<ShiftCoverage> {
        report_shifts
            .iter()
            .filter(|s| s.status == wanted)
            .cloned()
            .collect()
    };
    CoverageReport {
        uncovered: with_status(CoverageStatus::Uncovered),
        under_covered: with_status(CoverageStatus::Under),
        days: per_day
            .into_iter()
            .map(|(date, (required, assigned))| DayCoverage {
                date,
                required,
                assigned,
                percentage: percentage(assigned, required),
            })
            .collect(),
        overall_percentage: percentage(assigned, required),
        shifts: report_shifts,
    }
}

/// Percent rounded half up to one decimal, in integers so 2/3 is exactly 66.7.
fn percentage(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 100.0;
    }
    let tenths = (u128::from(part) * 2000 + u128::from(whole)) / (2 * u128::from(whole));
    tenths as f64 / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift(n: u128, day: u32, required: u32, assigned: u32) -> CoverageShift {
        CoverageShift {
            id: Uuid::from_u128(n),
            date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
            shift_name: format!("Shift {n}"),
            service: "Medicine".into(),
            required,
            assigned,
        }
    }

    /// Three days, seven shifts, figures worked out by hand:
    /// day 2: 2/2, 0/1, 5/3 -> 5 of 6 = 83.3 %; day 3: 1/2, 1/1 -> 2 of 3 = 66.7 %;
    /// day 4: 4/4, 3/2 -> 6 of 6 = 100 %; overall 13 of 15 = 86.7 %.
    fn week() -> Vec<CoverageShift> {
        vec![
            shift(1, 2, 2, 2),
            shift(2, 2, 1, 0),
            shift(3, 2, 3, 5),
            shift(4, 3, 2, 1),
            shift(5, 3, 1, 1),
            shift(6, 4, 4, 4),
            shift(7, 4, 2, 3),
        ]
    }

    #[test]
    fn day_and_overall_percentages_match_the_hand_computed_figures() {
        let report = compute_coverage(&week());
        let days: Vec<(u32, u64, u64, f64)> = report
            .days
            .iter()
            .map(|d| {
                (
                    chrono::Datelike::day(&d.date),
                    d.required,
                    d.assigned,
                    d.percentage,
                )
            })
            .collect();
        assert_eq!(
            days,
            vec![(2, 6, 5, 83.3), (3, 3, 2, 66.7), (4, 6, 6, 100.0)]
        );
        assert_eq!(report.overall_percentage, 86.7);
    }

    #[test]
    fn each_shift_gets_its_status_and_the_gaps_are_listed() {
        let report = compute_coverage(&week());
        let statuses: Vec<CoverageStatus> = report.shifts.iter().map(|s| s.status).collect();
        use CoverageStatus::*;
        assert_eq!(
            statuses,
            vec![
                Covered, Uncovered, Covered, Under, Covered, Covered, Covered
            ]
        );
        assert_eq!(
            report.shifts[2].assigned, 5,
            "the uncapped count is still shown"
        );
        let ids = |list: &[ShiftCoverage]| list.iter().map(|s| s.id.as_u128()).collect::<Vec<_>>();
        assert_eq!(ids(&report.uncovered), vec![2]);
        assert_eq!(ids(&report.under_covered), vec![4]);
    }

    #[test]
    fn overstaffing_never_compensates_another_shift_or_exceeds_100() {
        let report = compute_coverage(&[shift(1, 2, 1, 10), shift(2, 2, 1, 0)]);
        assert_eq!(report.overall_percentage, 50.0);
        assert_eq!(
            compute_coverage(&[shift(1, 2, 1, 10)]).overall_percentage,
            100.0
        );
    }

    #[test]
    fn nothing_required_is_fully_covered() {
        assert_eq!(compute_coverage(&[]).overall_percentage, 100.0);
        let report = compute_coverage(&[shift(1, 2, 0, 0)]);
        assert_eq!(report.days[0].percentage, 100.0);
        assert_eq!(report.shifts[0].status, CoverageStatus::Covered);
    }

    #[test]
    fn the_report_serialises_in_camel_case() {
        let json = serde_json::to_value(compute_coverage(&week())).unwrap();
        assert_eq!(json["overallPercentage"], 86.7);
        assert_eq!(json["underCovered"][0]["shiftName"], "Shift 4");
        assert_eq!(json["uncovered"][0]["status"], "uncovered");
    }
}
