//! Who staffs each shift: the distinct people among a shift's assignments, so that a
//! person listed twice for one slot (split shifts, double teams) counts once.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::coverage::CoverageShift;
use crate::store::{AssignmentRow, ShiftInstanceRow};

/// The coverage inputs of a version: each shift with its requirement and the number
/// of distinct staff (by normalised name) assigned to it.
pub fn coverage_inputs(
    shifts: &[ShiftInstanceRow],
    assignments: &[AssignmentRow],
) -> Vec<CoverageShift> {
    let mut staff: HashMap<Uuid, HashSet<&str>> = HashMap::new();
    for a in assignments {
        staff.entry(a.shift_id).or_default().insert(&a.staff_key);
    }
    shifts
        .iter()
        .map(|s| CoverageShift {
            id: s.shift_id,
            date: s.shift_date,
            shift_name: s.shift_name.clone(),
            service: s.service.clone(),
            required: u32::try_from(s.required_staff).unwrap_or(0),
            assigned: staff
                .get(&s.shift_id)
                .map_or(0, |people| u32::try_from(people.len()).unwrap_or(u32::MAX)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn shift(n: u128, required: i32) -> ShiftInstanceRow {
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        ShiftInstanceRow {
            shift_id: Uuid::from_u128(n),
            position: n as i32,
            sheet: "Week 10".into(),
            row_number: n as i32 + 1,
            shift_date: date,
            shift_name: "Day".into(),
            service: "ICU".into(),
            starts_at: date.and_hms_opt(7, 0, 0).unwrap(),
            ends_at: date.and_hms_opt(19, 0, 0).unwrap(),
            required_staff: required,
        }
    }

    fn assigned(n: u128, shift: u128, key: &str) -> AssignmentRow {
        let s = self::shift(shift, 1);
        AssignmentRow {
            assignment_id: Uuid::from_u128(100 + n),
            shift_id: s.shift_id,
            position: n as i32,
            staff_name: key.into(),
            staff_key: key.into(),
            staff_ref: None,
            assignment_name: "Day".into(),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
        }
    }

    #[test]
    fn a_person_listed_twice_on_one_shift_counts_once() {
        let shifts = [shift(1, 2), shift(2, 1)];
        let assignments = [
            assigned(1, 1, "ada okafor"),
            assigned(2, 1, "ada okafor"),
            assigned(3, 1, "per lindqvist"),
            assigned(4, 1, "ines moreau"),
        ];
        let inputs = coverage_inputs(&shifts, &assignments);
        assert_eq!(
            inputs
                .iter()
                .map(|c| (c.required, c.assigned))
                .collect::<Vec<_>>(),
            vec![(2, 3), (1, 0)]
        );
    }
}
