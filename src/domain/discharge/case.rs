//! The discharge case: what the clinic tells us about a patient leaving care,
//! whether it arrived as structured data or was extracted from free text.
//! Also the contact-syntax checks (email, E.164 phone) other modules reuse.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use super::validate::validate_structured;

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
    /// Anything else the clinic wrote that did not fit a field.
    #[serde(default)]
    pub notes: Vec<String>,
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
    /// The original line, e.g. "Carprofen 75 mg - 1 tablet twice daily for 7 days".
    pub text: String,
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

/// True when `s` looks like a deliverable email address: one `@`, a local part of
/// ordinary characters, and a dotted domain whose labels are letters, digits and
/// inner hyphens, ending in an alphabetic top-level label. Deliberately stricter
/// than RFC 5322 (no quoted local parts, no address literals) because a mail
/// relay rejects those far more often than it accepts them.
pub fn is_valid_email(s: &str) -> bool {
    if s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// True when `s` is an E.164 number: `+`, then 8 to 15 digits, the first not 0.
/// No spaces or punctuation: callers that accept human input normalise first.
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_email_addresses_are_accepted() {
        for ok in [
            "jane.doe@example.com",
            "j+vet@mail.example.co.uk",
            "o'brien@clinic-mail.org",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
    }

    #[test]
    fn malformed_email_addresses_are_rejected() {
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "jane@@example.com",
            "jane doe@example.com",
            "jane@-example.com",
            "jane..doe@example.com",
            "jane@example.c0m",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn e164_needs_a_plus_and_eight_to_fifteen_digits() {
        assert!(is_e164("+15551234567"));
        assert!(is_e164("+4915112345678"));
        assert!(!is_e164("15551234567"));
        assert!(!is_e164("+1 555 123 4567"));
        assert!(!is_e164("+1234567"));
        assert!(!is_e164("+1234567890123456"));
        assert!(!is_e164("+05551234567"));
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
        };
        let json = serde_json::to_value(&case).unwrap();
        assert_eq!(json["followUp"]["inDays"], 14);
        let back: CaseData = serde_json::from_value(json).unwrap();
        assert_eq!(back, case);
    }
}
