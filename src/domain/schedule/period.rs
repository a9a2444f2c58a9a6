//! The period an import covers: the optional bounds a request gives, the rows that
//! fall outside them, and the date range a version records.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ods::{ImportMessage, ParsedSchedule, Severity, date_range};

/// The optional first and last day an import is limited to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    /// First day; rows before it are left out.
    pub start: Option<NaiveDate>,
    /// Last day; rows after it are left out.
    pub end: Option<NaiveDate>,
}

impl Period {
    fn contains(&self, date: NaiveDate) -> bool {
        self.start.is_none_or(|s| date >= s) && self.end.is_none_or(|e| date <= e)
    }

    /// Leaves out the shifts outside the period, with an error message each.
    pub fn keep_within(&self, parsed: &mut ParsedSchedule) {
        let (inside, outside): (Vec<_>, Vec<_>) = std::mem::take(&mut parsed.shifts)
            .into_iter()
            .partition(|s| self.contains(s.date));
        parsed.shifts = inside;
        for shift in outside {
            parsed.messages.push(ImportMessage::cell(
                Severity::Error,
                &shift.sheet,
                shift.row,
                None,
                format!(
                    "the date {} is outside the import period{}{}; row left out",
                    shift.date,
                    self.start.map(|s| format!(" from {s}")).unwrap_or_default(),
                    self.end.map(|e| format!(" to {e}")).unwrap_or_default(),
                ),
            ));
        }
    }

    /// The days a version covers: the period's bounds where given, else the first and
    /// last shift date. `None` without shifts.
    pub fn range_of(&self, parsed: &ParsedSchedule) -> Option<(NaiveDate, NaiveDate)> {
        let (first, last) = date_range(&parsed.shifts)?;
        Some((self.start.unwrap_or(first), self.end.unwrap_or(last)))
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::schedule::ods::ShiftRow;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    fn row(row: u32, day: u32) -> ShiftRow {
        ShiftRow {
            sheet: "Week 10".into(),
            row,
            date: d(day),
            shift_name: "Day".into(),
            start: d(day).and_hms_opt(7, 0, 0).unwrap(),
            end: d(day).and_hms_opt(19, 0, 0).unwrap(),
            service: "ICU".into(),
            required_staff: 1,
        }
    }

    fn parsed() -> ParsedSchedule {
        ParsedSchedule {
            roster: Vec::new(),
            shifts: vec![row(2, 1), row(3, 2), row(4, 5)],
            messages: vec![],
            sheets_read: 1,
            rows_seen: 3,
        }
    }

    #[test]
    fn rows_outside_the_period_are_left_out_by_row_number() {
        let period = Period {
            start: Some(d(2)),
            end: Some(d(4)),
        };
        let mut p = parsed();
        period.keep_within(&mut p);
        assert_eq!(p.shifts.iter().map(|s| s.row).collect::<Vec<_>>(), vec![3]);
        let rows: Vec<_> = p.messages.iter().map(|m| (m.severity, m.row)).collect();
        assert_eq!(
            rows,
            vec![(Severity::Error, Some(2)), (Severity::Error, Some(4))]
        );
        assert!(
            p.messages[0]
                .message
                .contains("from 2026-03-02 to 2026-03-04")
        );
        assert_eq!(period.range_of(&p), Some((d(2), d(4))));
    }

    #[test]
    fn without_bounds_the_range_is_the_first_and_last_shift_date() {
        let mut p = parsed();
        Period::default().keep_within(&mut p);
        assert_eq!(p.shifts.len(), 3);
        assert_eq!(Period::default().range_of(&p), Some((d(1), d(5))));
        let half = Period {
            start: None,
            end: Some(d(9)),
        };
        assert_eq!(half.range_of(&p), Some((d(1), d(9))));
    }
}
