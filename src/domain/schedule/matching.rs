//! Joins the shifts a hospital needs with the roster service's assignments: same date,
//! same shift or service name once normalised, overlapping times. Also normalises staff
//! names so the same person written two ways compares equal.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::providers::amion::AmionAssignment;

/// A stored shift instance, as much of it as matching needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftInstanceRef {
    /// Shift instance id.
    pub id: Uuid,
    /// Day the shift starts on.
    pub date: NaiveDate,
    /// Shift name as imported.
    pub shift_name: String,
    /// Service, location or unit as imported.
    pub service: String,
    /// Start, local facility time.
    pub start: NaiveDateTime,
    /// End, local facility time.
    pub end: NaiveDateTime,
}

/// Which assignment fills which shift, and which assignments fill none.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchOutcome {
    /// Shift instance id with the assignment that fills it, in assignment order.
    pub matched: Vec<(Uuid, AmionAssignment)>,
    /// Assignments that match no shift, in their original order.
    pub unmatched: Vec<AmionAssignment>,
}

/// Assigns each assignment to at most one shift.
///
/// A shift qualifies when it is on the assignment's date, its shift name or service
/// equals the assignment name after [`normalise_label`], and the two time spans overlap.
/// Among qualifying shifts the largest overlap wins; on equal overlap, the earlier shift
/// in `shifts` wins, so the result does not depend on hashing.
pub fn match_assignments(
    shifts: &[ShiftInstanceRef],
    assignments: &[AmionAssignment],
) -> MatchOutcome {
    let labels: Vec<(String, String)> = shifts
        .iter()
        .map(|s| (normalise_label(&s.shift_name), normalise_label(&s.service)))
        .collect();
    let mut outcome = MatchOutcome::default();
    for assignment in assignments {
        let wanted = normalise_label(&assignment.assignment_name);
        let mut best: Option<(Uuid, i64)> = None;
        for (shift, (shift_label, service_label)) in shifts.iter().zip(&labels) {
            let named = !wanted.is_empty() && (*shift_label == wanted || *service_label == wanted);
            if !named || shift.date != assignment.date {
                continue;
            }
            let overlap = overlap_seconds(shift, assignment);
            if overlap > 0 && best.is_none_or(|(_, most)| overlap > most) {
                best = Some((shift.id, overlap));
            }
        }
        match best {
            Some((id, _)) => outcome.matched.push((id, assignment.clone())),
            None => outcome.unmatched.push(assignment.clone()),
        }
    }
    tracing::debug!(
        matched = outcome.matched.len(),
        unmatched = outcome.unmatched.len(),
        "assignments matched to shifts"
    );
    outcome
}

fn overlap_seconds(shift: &ShiftInstanceRef, assignment: &AmionAssignment) -> i64 {
    let start = shift.start.max(assignment.start);
    let end = shift.end.min(assignment.end);
    (end - start).num_seconds()
}

/// Lower-case letters and digits only: `ICU Call`, `icu-call` and `I.C.U. call` agree.
pub fn normalise_label(label: &str) -> String {
    label
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Suffixes that say what someone is, not who.
const SUFFIXES: [&str; 8] = ["md", "phd", "rn", "np", "jr", "sr", "ii", "iii"];

/// A comparable form of a person's name: "Last, First" is turned around, case,
/// punctuation, middle initials and common suffixes (MD, Jr) are dropped, so
/// "Okafor, Ada", "Ada Okafor" and "Ada B. Okafor" all give `ada okafor`.
pub fn normalise_person_name(name: &str) -> String {
    let ordered = match name.split_once(',') {
        Some((last, first)) => format!("{first} {last}"),
        None => name.to_owned(),
    };
    let cleaned: String = ordered
        .chars()
        .filter_map(|c| match c {
            '\'' | '’' | '.' => None,
            c if c.is_alphanumeric() => Some(c),
            _ => Some(' '),
        })
        .flat_map(char::to_lowercase)
        .collect();
    let tokens: Vec<&str> = cleaned
        .split_whitespace()
        .filter(|t| !SUFFIXES.contains(t))
        .collect();
    let last = tokens.len().saturating_sub(1);
    tokens
        .iter()
        .enumerate()
        // A single letter between first and last name is a middle initial.
        .filter(|(i, t)| *i == 0 || *i == last || t.chars().count() > 1)
        .map(|(_, t)| *t)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 3, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    fn shift(
        n: u128,
        name: &str,
        service: &str,
        start: NaiveDateTime,
        end: NaiveDateTime,
    ) -> ShiftInstanceRef {
        ShiftInstanceRef {
            id: Uuid::from_u128(n),
            date: start.date(),
            shift_name: name.into(),
            service: service.into(),
            start,
            end,
        }
    }

    fn assignment(
        who: &str,
        name: &str,
        start: NaiveDateTime,
        end: NaiveDateTime,
    ) -> AmionAssignment {
        AmionAssignment {
            staff_name: who.into(),
            staff_id: None,
            assignment_name: name.into(),
            assignment_id: None,
            date: start.date(),
            start,
            end,
        }
    }

    #[test]
    fn assignments_match_by_shift_or_service_name_regardless_of_spelling() {
        let shifts = [
            shift(1, "Day", "Hospitalist 1", at(3, 7), at(3, 19)),
            shift(2, "night-admitter", "Medicine", at(3, 19), at(4, 7)),
        ];
        let assignments = [
            assignment("Okafor, Ada", "HOSPITALIST  1", at(3, 7), at(3, 19)),
            assignment("Lindqvist, Per", "Night Admitter", at(3, 19), at(4, 7)),
        ];
        let out = match_assignments(&shifts, &assignments);
        let ids: Vec<u128> = out.matched.iter().map(|(id, _)| id.as_u128()).collect();
        assert_eq!(ids, vec![1, 2]);
        assert!(out.unmatched.is_empty());
    }

    #[test]
    fn an_assignment_needs_the_same_date_and_overlapping_times() {
        let shifts = [shift(1, "ICU Call", "ICU", at(3, 8), at(4, 8))];
        let assignments = [
            assignment("Moreau, Ines", "ICU Call", at(4, 8), at(5, 8)),
            assignment("Moreau, Ines", "ICU Call", at(3, 8), at(4, 8)),
            assignment("Okafor, Ada", "Cardiology", at(3, 8), at(3, 20)),
        ];
        let out = match_assignments(&shifts, &assignments);
        assert_eq!(out.matched.len(), 1);
        assert_eq!(out.matched[0].1.date, at(3, 0).date());
        assert_eq!(out.unmatched.len(), 2);
        assert_eq!(out.unmatched[0].date, at(4, 0).date());
        assert_eq!(out.unmatched[1].assignment_name, "Cardiology");
    }

    #[test]
    fn touching_but_not_overlapping_times_do_not_match() {
        let shifts = [shift(1, "Day", "Hospitalist 1", at(3, 7), at(3, 19))];
        let assignments = [assignment(
            "Okafor, Ada",
            "Hospitalist 1",
            at(3, 19),
            at(3, 23),
        )];
        assert_eq!(match_assignments(&shifts, &assignments).unmatched.len(), 1);
    }

    #[test]
    fn of_two_candidate_shifts_the_one_overlapping_most_wins() {
        let shifts = [
            shift(1, "Early", "ED", at(3, 6), at(3, 14)),
            shift(2, "Late", "ED", at(3, 12), at(3, 22)),
        ];
        let assignments = [assignment("Okafor, Ada", "ED", at(3, 11), at(3, 21))];
        let out = match_assignments(&shifts, &assignments);
        assert_eq!(out.matched[0].0, Uuid::from_u128(2));
    }

    #[test]
    fn equal_overlaps_go_to_the_first_listed_shift() {
        let shifts = [
            shift(7, "Day A", "ED", at(3, 7), at(3, 19)),
            shift(3, "Day B", "ED", at(3, 7), at(3, 19)),
        ];
        let assignments = [assignment("Okafor, Ada", "ED", at(3, 7), at(3, 19))];
        assert_eq!(
            match_assignments(&shifts, &assignments).matched[0].0,
            Uuid::from_u128(7)
        );
    }

    #[test]
    fn the_same_person_written_three_ways_normalises_alike() {
        let forms = [
            "Okafor, Ada",
            "Ada Okafor",
            "Ada B. Okafor",
            "  OKAFOR,  ada  ",
            "Okafor, Ada MD",
        ];
        for form in forms {
            assert_eq!(normalise_person_name(form), "ada okafor", "{form}");
        }
        assert_eq!(
            normalise_person_name("O'Brien-Hale, Sean"),
            "sean obrien hale"
        );
        assert_eq!(normalise_person_name("A. Okafor"), "a okafor");
        assert_ne!(
            normalise_person_name("Ada Okafor"),
            normalise_person_name("Ada Okoro")
        );
    }
}
