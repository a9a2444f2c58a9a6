//! Text-mode extraction: reads a free-text discharge note into a [`CaseData`].
//!
//! The reading is deterministic, line by line:
//!
//! - A line is *labelled* when it starts with a known label followed by `:`,
//!   or by a dash and a space (`Weight - 32 kg`); a label alone on its line
//!   (`MEDICATIONS`, `Instructions:`) opens a section. Case, spacing, hyphens
//!   in labels (`follow up`, `Follow-Up`), Markdown `#`/`**` and a leading
//!   bullet are ignored. The dash form is not accepted for list sections, so a
//!   title such as `Discharge instructions - Happy Paws` is not misread, nor is
//!   the `Sig:` label.
//! - Field labels: Patient/Patient name/Pet/Name, Species, Breed, Age,
//!   Sex/Gender, Weight/Wt, Owner/Client, Owner email/Email, Owner phone/Phone,
//!   Veterinarian/Vet/DVM/Attending. `Name` means the owner's name inside an
//!   `Owner:` block and the patient's otherwise. A field label with nothing after
//!   it takes the next unlabelled line. The first value of a field wins; a
//!   repeated one is kept as an unrecognised line.
//! - Section labels (the full list is in `vocabulary.rs`): Diagnosis/Dx/
//!   Assessment/A, Medications/Meds/Rx/Discharge meds (with `Sig:` joining the
//!   medication above it), Instructions/Home care/Plan/P, Follow-up/F/U,
//!   History/Hx/Presenting complaint/CC/S, Findings/Exam/PE/Results/O,
//!   Procedures/Surgery/Treatment/Tx, Return if/Call us if/Warning signs,
//!   Prognosis, Notes. Topics keep their label on each item: `Diet`, `Activity`,
//!   `Exercise`, `Incision care` (instructions), `Recheck`, `Suture removal`,
//!   `Next appointment`, `RTC` (follow-up). Administrative labels (`Discharge
//!   date`, `Microchip`, `Clinic`, ...) are kept as details. Under a bare header
//!   every following unlabelled line belongs to the section until the next label;
//!   after an inline value (`Diagnosis: Otitis`) only bulleted or indented lines do.
//! - In list sections each bulleted line (`-`, `*`, `•`, `1.`, `1)`) starts an
//!   item; an unbulleted line continues the previous item when that item was
//!   bulleted or the line is indented deeper, and otherwise starts a new item.
//!   A blank line ends the current item. Follow-up lines join into one text.
//! - A line outside any section that opens like a warning ("Return if ...",
//!   "Call us if ...") is a warning sign. Any other line is kept, as written, in
//!   `unrecognised`: the owner's email shows it under a heading of its own and the
//!   answer lists it in a warning.
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
use label_kinds::Field;

mod label_kinds;
mod labels;
mod reader;
mod vocabulary;

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
    /// Number of history, findings, procedure, warning-sign and prognosis items.
    #[serde(default)]
    pub other_items: usize,
    /// Number of lines no rule recognised (shown to the owner as written).
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
        history: read.history,
        findings: read.findings,
        procedures: read.procedures,
        warning_signs: read.warning_signs,
        prognosis: read.prognosis,
        veterinarian: value(Field::Veterinarian),
        details: read.details,
        unrecognised: read.unrecognised,
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
        other_items: other_items(&data),
        unknown_lines: data.unrecognised.len(),
    };
    problems.into_result(ExtractedCase { data, entities })
}

/// Items of the sections beyond diagnoses, medications and instructions.
pub(super) fn other_items(case: &CaseData) -> usize {
    case.history.len()
        + case.findings.len()
        + case.procedures.len()
        + case.warning_signs.len()
        + case.prognosis.len()
}

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod tests;
