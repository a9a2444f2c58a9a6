//! The discharge case: what the clinic tells us about a patient leaving care,
//! whether it arrived as structured data or was extracted from free text.
//! The contact-syntax checks (email, E.164 phone) live in `contact` and are
//! re-exported here, where other modules have always found them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use super::contact::{ascii_email, is_e164, is_valid_email};

/// Everything known about one discharge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseData {
    /// The animal being discharged.
    pub patient: Patient,
    /// The person the summary and the follow-up call are for.
    #[serde(default)]
    pub owner: Owner,
    /// What the animal was treated for.
    #[serde(default)]
    pub diagnoses: Vec<Diagnosis>,
    /// Medications to give at home.
    #[serde(default)]
    pub medications: Vec<Medication>,
    /// Home-care instructions, one per entry.
    #[serde(default)]
    pub instructions: Vec<String>,
    /// When the clinic wants to see or call the patient again.
    #[serde(default)]
    pub follow_up: Option<FollowUp>,
    /// What the clinic filed as notes.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Why the animal came in: history, presenting complaint.
    #[serde(default)]
    pub history: Vec<String>,
    /// Examination and test findings.
    #[serde(default)]
    pub findings: Vec<String>,
    /// Procedures and treatments given at the clinic.
    #[serde(default)]
    pub procedures: Vec<String>,
    /// When the owner should call or come back at once.
    #[serde(default)]
    pub warning_signs: Vec<String>,
    /// The outlook the clinic gave.
    #[serde(default)]
    pub prognosis: Vec<String>,
    /// The veterinarian responsible, when named.
    #[serde(default)]
    pub veterinarian: Option<String>,
    /// Administrative details as written (`Discharge date: 2024-06-01`).
    #[serde(default)]
    pub details: Vec<String>,
    /// Lines of a clinical note that no rule recognised, as written. They reach
    /// the owner under a heading of their own, never silently dropped.
    #[serde(default)]
    pub unrecognised: Vec<String>,
}

/// The animal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    /// The animal's name; always present.
    pub name: String,
    /// e.g. "Canine".
    pub species: Option<String>,
    /// e.g. "Labrador Retriever".
    pub breed: Option<String>,
    /// Free form, e.g. "7 years".
    pub age: Option<String>,
    /// Free form, e.g. "Male neutered".
    pub sex: Option<String>,
    /// Free form with its unit, e.g. "32 kg".
    pub weight: Option<String>,
}

/// The animal's owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    /// How to address the owner.
    pub name: Option<String>,
    /// A syntactically valid email address when present.
    pub email: Option<String>,
    /// An E.164 phone number (`+` and 8 to 15 digits) when present.
    pub phone: Option<String>,
}

/// One diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    /// The diagnosis as the clinic wrote it.
    pub text: String,
    /// A coding-system code, when the clinic gave one.
    pub code: Option<String>,
}

/// One medication, parsed best-effort; `text` always keeps what the clinic wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Medication {
    /// Drug name, e.g. "Carprofen".
    pub name: String,
    /// Strength and amount, e.g. "75 mg, 1 tablet".
    pub dose: Option<String>,
    /// e.g. "twice daily".
    pub frequency: Option<String>,
    /// e.g. "7 days".
    pub duration: Option<String>,
    /// Given only when needed ("as needed", "PRN"), not on a fixed schedule.
    #[serde(default)]
    pub as_needed: bool,
    /// The original line, e.g. "Carprofen 75 mg - 1 tablet twice daily for 7 days".
    pub text: String,
}

impl Medication {
    /// How often, as the owner should read it: the frequency, with "as needed"
    /// when the medication is given only when needed and the frequency does not
    /// already say so.
    pub fn how_often(&self) -> Option<String> {
        match (&self.frequency, self.as_needed) {
            (Some(f), true) if !says_as_needed(f) => Some(format!("{f}, as needed")),
            (Some(f), _) => Some(f.clone()),
            (None, true) => Some("as needed".into()),
            (None, false) => None,
        }
    }
}

/// True when `text` says a medication is given only when needed: "as needed",
/// "as required", "PRN" (also "p.r.n."). "If needed" is not enough: "crush into
/// food if needed" says how, not when.
pub fn says_as_needed(text: &str) -> bool {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| ",;:()[]".contains(c))
                .to_lowercase()
        })
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        matches!(w.trim_end_matches('.'), "prn" | "p.r.n")
            || (w == "as"
                && words
                    .get(i + 1)
                    .is_some_and(|n| matches!(n.trim_end_matches('.'), "needed" | "required")))
    })
}

/// The follow-up the clinic asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUp {
    /// What the clinic wrote, e.g. "Recheck in 14 days".
    pub text: String,
    /// Days from discharge, when stated as a relative delay.
    pub in_days: Option<u32>,
    /// The calendar date, when stated as an ISO date.
    pub date: Option<NaiveDate>,
}

impl FollowUp {
    /// The follow-up as the owner should read it: the text, and its timing when the
    /// text does not state it already ("Recheck urinalysis" with 7 days reads
    /// "Recheck urinalysis in 7 days"; with a date, "... on Monday, June 17, 2030").
    pub fn display(&self) -> String {
        let text = self.text.trim().trim_end_matches('.').trim_end();
        let stated = FollowUp::from_text(text);
        let timing = match (self.date, self.in_days) {
            (Some(date), _) if stated.date.is_none() => {
                Some(format!("on {}", date.format("%A, %B %-d, %Y")))
            }
            (None, Some(days)) if stated.date.is_none() && stated.in_days.is_none() => {
                Some(match days {
                    0 => "today".to_string(),
                    1 => "in 1 day".to_string(),
                    n => format!("in {n} days"),
                })
            }
            _ => None,
        };
        match timing {
            Some(t) if text.is_empty() => format!("Follow-up {t}"),
            Some(t) => format!("{text} {t}"),
            None => text.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follow_up_shows_its_timing_once() {
        let f = |text: &str, in_days: Option<u32>, date: Option<&str>| FollowUp {
            text: text.into(),
            in_days,
            date: date.map(|d| d.parse().unwrap()),
        };
        let table = [
            (
                f("Recheck urinalysis", Some(7), None),
                "Recheck urinalysis in 7 days",
            ),
            (
                f("Recheck in 2 weeks.", Some(14), None),
                "Recheck in 2 weeks",
            ),
            (
                f("Suture removal", Some(1), None),
                "Suture removal in 1 day",
            ),
            (
                f("Recheck bloodwork", None, Some("2030-06-17")),
                "Recheck bloodwork on Monday, June 17, 2030",
            ),
            (
                f("Recheck on 2030-06-17", None, Some("2030-06-17")),
                "Recheck on 2030-06-17",
            ),
            (f("Call with results", None, None), "Call with results"),
        ];
        for (follow_up, want) in table {
            assert_eq!(follow_up.display(), want);
        }
    }

    #[test]
    fn as_needed_is_recognised_in_its_usual_spellings() {
        for yes in [
            "as needed",
            "every 8 hours PRN",
            "p.r.n. for pain",
            "As required",
        ] {
            assert!(says_as_needed(yes), "{yes}");
        }
        for no in [
            "twice daily",
            "needed daily",
            "as directed",
            "crush into food if needed",
        ] {
            assert!(!says_as_needed(no), "{no}");
        }
    }

    #[test]
    fn case_serialises_with_camel_case_keys() {
        let case = CaseData {
            patient: Patient {
                name: "Max".into(),
                ..Patient::default()
            },
            owner: Owner::default(),
            diagnoses: vec![],
            medications: vec![],
            instructions: vec![],
            follow_up: Some(FollowUp {
                text: "Recheck in 14 days".into(),
                in_days: Some(14),
                date: None,
            }),
            notes: vec![],
            history: vec![],
            findings: vec![],
            procedures: vec![],
            warning_signs: vec![],
            prognosis: vec![],
            veterinarian: None,
            details: vec![],
            unrecognised: vec![],
        };
        let json = serde_json::to_value(&case).unwrap();
        assert_eq!(json["followUp"]["inDays"], 14);
        let back: CaseData = serde_json::from_value(json).unwrap();
        assert_eq!(back, case);
    }
}
