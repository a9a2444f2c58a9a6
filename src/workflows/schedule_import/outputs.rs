//! The outputs of the import's phases, typed: each phase writes one of these, the
//! phases after it read them back with `dep_as`, and the import's result
//! ([`super::result::ImportResult`]) is shaped from them. Field names are the stored
//! JSON's; members added after the first version default, so imports stored before
//! still read.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::schedule::version_view::CoverageSummary;

/// The days a version covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

/// `odsImport`: the draft version created (or found) from the spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Imported {
    /// The version.
    pub version_id: Uuid,
    /// Its status once imported (`draft`).
    pub status: String,
    /// Shifts it holds.
    pub shift_count: i64,
    /// The days it covers.
    pub date_range: DateRange,
    /// Sheets read.
    #[serde(default)]
    pub sheets_read: u32,
    /// Rows seen.
    #[serde(default)]
    pub rows_seen: u32,
    /// Rows that became no shift.
    #[serde(default)]
    pub rows_left_out: i64,
    /// Assignments a roster grid named (older imports did not record them).
    #[serde(default)]
    pub roster_assignments: usize,
}

/// `amionScrape`: what the roster phase stored, or why it stored nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Roster {
    /// The version worked on.
    pub version_id: Uuid,
    /// `stored`, `failed`, `not_configured`, `no_access_code` or `range_too_long`
    /// (older imports may say `notConfigured`).
    pub outcome: String,
    /// Assignments stored.
    pub count: usize,
    /// Assignments Amion listed that matched no shift.
    pub unmatched_count: usize,
    /// Assignments Amion listed.
    #[serde(default)]
    pub fetched: usize,
    /// Requests made.
    #[serde(default)]
    pub requests: u32,
    /// Why nothing was stored, after a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Roster {
    /// Nothing stored, for `outcome`.
    pub(super) fn none(version_id: Uuid, outcome: &str) -> Self {
        Self {
            version_id,
            outcome: outcome.to_owned(),
            count: 0,
            unmatched_count: 0,
            fetched: 0,
            requests: 0,
            reason: None,
        }
    }
}

/// `coverageCalculation`: the coverage stored, with the version it is of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// The version.
    pub version_id: Uuid,
    /// The coverage, its members beside `versionId`.
    #[serde(flatten)]
    pub summary: CoverageSummary,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::workflows::support::output_tests::round_trip;

    #[test]
    fn an_import_output_reads_as_stored_and_one_from_before_roster_grids_too() {
        let v = Uuid::nil();
        round_trip::<Imported>(json!({
            "versionId": v, "status": "draft", "shiftCount": 3,
            "dateRange": {"start": "2026-03-02", "end": "2026-03-03"},
            "sheetsRead": 1, "rowsSeen": 4, "rowsLeftOut": 1, "rosterAssignments": 2,
        }));
        let older: Imported = serde_json::from_value(json!({
            "versionId": v, "status": "draft", "shiftCount": 3,
            "dateRange": {"start": "2026-03-02", "end": "2026-03-03"},
            "sheetsRead": 1, "rowsSeen": 4, "rowsLeftOut": 1,
        }))
        .expect("reads");
        assert_eq!(older.roster_assignments, 0);
    }

    #[test]
    fn a_roster_output_reads_as_stored_with_or_without_a_reason() {
        let v = Uuid::nil();
        let stored: Roster = round_trip(json!({
            "versionId": v, "outcome": "stored", "count": 2, "unmatchedCount": 1,
            "fetched": 3, "requests": 1,
        }));
        assert_eq!(stored.reason, None);
        let failed: Roster = round_trip(json!({
            "versionId": v, "outcome": "failed", "count": 0, "unmatchedCount": 0,
            "fetched": 0, "requests": 2, "reason": "Amion did not answer within 10s",
        }));
        assert_eq!(failed.requests, 2);
    }

    #[test]
    fn a_coverage_output_reads_as_stored() {
        let typed: Coverage = round_trip(json!({
            "versionId": Uuid::nil(),
            "computedAt": "2026-03-02T08:00:00Z",
            "overallPercentage": 50.5,
            "requiredStaff": 2, "assignedStaff": 1,
            "perDay": [], "uncoveredShifts": [], "underCoveredShifts": [],
        }));
        assert_eq!(typed.summary.required_staff, 2);
    }

    #[test]
    fn an_output_of_another_shape_is_an_error_not_a_panic() {
        assert!(serde_json::from_value::<Imported>(json!({"versionId": "x"})).is_err());
    }
}
