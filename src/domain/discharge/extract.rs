//! Text-mode extraction: reads a free-text discharge note into a [`CaseData`].
//!
//! The reading is deterministic, line by line:
//!
//! - A line is *labelled* when it starts with a known label followed by `:`,
//!   or by a dash and a space (`Weight - 32 kg`); a label alone on its line
//!   (`MEDICATIONS`, `Instructions:`) opens a section. Case, spacing, hyphens
//!   in labels (`follow up`, `Follow-Up`), Markdown `#`/`**` and a leading
//!   bullet are ignored. The dash form is not accepted for list sections, so a
//!   title such as `Discharge instructions - Happy Paws` is not misread.
//! - Field labels: Patient/Patient name/Pet/Name, Species, Breed, Age,
//!   Sex/Gender, Weight, Owner/Client, Owner email/Email, Owner phone/Phone.
//!   `Name` means the owner's name inside an `Owner:` block and the patient's
//!   otherwise. A field label with nothing after it takes the next unlabelled
//!   line. The first value of a field wins; a repeated one is kept as a note.
//! - Section labels: Diagnosis/Diagnoses, Medications/Meds, Instructions/Home
//!   care, Follow-up/Recheck, Notes. Under a bare header every following
//!   unlabelled line belongs to the section until the next label; after an
//!   inline value (`Diagnosis: Otitis`) only bulleted or indented lines do.
//! - In list sections each bulleted line (`-`, `*`, `•`, `1.`, `1)`) starts an
//!   item; an unbulleted line continues the previous item when that item was
//!   bulleted or the line is indented deeper, and otherwise starts a new item.
//!   A blank line ends the current item. Follow-up lines join into one text.
//! - Any other line is kept, as written, in `notes` and counted as unknown.
//!
//! Medication, diagnosis and follow-up items are then read best-effort (see
//! [`Medication::from_line`], [`FollowUp::from_text`], [`Diagnosis::from_text`]).
//! Phones are read into E.164 (see [`super::phone`]; a number without a country
//! code in the configured default region); emails must be valid, internationalised
//! domains included. A missing patient name, a bad email or a bad phone is a
//! problem at `/text`.

use serde::{Deserialize, Serialize};

use super::case::is_valid_email;
use super::case::{CaseData, Diagnosis, FollowUp, Medication, Owner, Patient};
use super::phone::PhoneRegion;
use crate::domain::validation::Problems;
use labels::Field;

mod labels;
mod reader;

/// The case read from the text and a tally of what was recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractedCase {
    /// The case, as if it had been sent structured.
    pub data: CaseData,
    /// What the extractor recognised, for the API's `entities` field.
    pub entities: Entities,
}

/// Counts of what was recognised; holds no patient data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entities {
    /// Pointers of the labelled fields found, e.g. `/patient/species`.
    pub fields: Vec<String>,
    /// Number of diagnoses.
    pub diagnoses: usize,
    /// Number of medications.
    pub medications: usize,
    /// Number of instructions.
    pub instructions: usize,
    /// Whether a follow-up was found.
    pub follow_up: bool,
    /// Number of lines no rule recognised (kept as notes).
    pub unknown_lines: usize,
}

/// Reads a free-text discharge note; see the module documentation for the rules.
/// Phone numbers without a country code are read in `region`.
pub fn extract_case(text: &str, region: &PhoneRegion) -> Result<ExtractedCase, Problems> {
    let mut problems = Problems::new();
    if text.trim().is_empty() {
        problems.push("/text", "must not be empty");
        return Err(problems);
    }
    let read = reader::read(text);
    let value = |f: Field| read.fields.get(&f).cloned();
    if value(Field::PatientName).is_none() {
        problems.push(
            "/text",
            "no patient name found; add a line such as 'Patient: Max'",
        );
    }
    let email = value(Field::OwnerEmail).map(|e| {
        e.trim_start_matches("mailto:")
            .trim_matches(['<', '>'])
            .to_string()
    });
    if email.as_deref().is_some_and(|e| !is_valid_email(e)) {
        problems.push(
            "/text",
            "the owner email line does not hold a valid email address",
        );
    }
    let phone = value(Field::OwnerPhone).and_then(|p| match region.normalise(&p) {
        Ok(e164) => Some(e164),
        Err(why) => {
            problems.push("/text", format!("the number on the owner phone line {why}"));
            None
        }
    });
    let follow_up =
        (!read.follow_up.is_empty()).then(|| FollowUp::from_text(&read.follow_up.join(" ")));
    let data = CaseData {
        patient: Patient {
            name: value(Field::PatientName).unwrap_or_default(),
            species: value(Field::Species),
            breed: value(Field::Breed),
            age: value(Field::Age),
            sex: value(Field::Sex),
            weight: value(Field::Weight),
        },
        owner: Owner {
            name: value(Field::OwnerName),
            email,
            phone,
        },
        diagnoses: read
            .diagnoses
            .iter()
            .map(|d| Diagnosis::from_text(d))
            .collect(),
        medications: read
            .medications
            .iter()
            .map(|m| Medication::from_line(m))
            .collect(),
        instructions: read.instructions,
        follow_up,
        notes: read.notes,
    };
    let entities = Entities {
        fields: Field::ALL
            .iter()
            .filter(|f| read.fields.contains_key(*f))
            .map(|f| f.pointer().to_string())
            .collect(),
        diagnoses: data.diagnoses.len(),
        medications: data.medications.len(),
        instructions: data.instructions.len(),
        follow_up: data.follow_up.is_some(),
        unknown_lines: read.unknown_lines,
    };
    problems.into_result(ExtractedCase { data, entities })
}

#[cfg(test)]
mod tests;
