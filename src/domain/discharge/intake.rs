//! Intake: the `rawData` a clinic sends, in either mode, read into a case.
//!
//! `{"mode": "text", "source": "...", "text": "..."}` goes through the text
//! extractor; `{"mode": "structured", "source": "...", "data": {...}}` through the
//! structured validation. Both give the same [`CaseData`] and an [`Entities`] tally,
//! and report every problem with a pointer relative to `rawData`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::case::CaseData;
use super::extract::{Entities, extract_case};
use super::phone::PhoneRegion;
use super::validate::validate_structured;
use crate::domain::validation::Problems;

/// Longest accepted `source` label.
const MAX_SOURCE: usize = 100;

/// How the case arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntakeMode {
    /// Free clinical text, read by the extractor.
    Text,
    /// Structured JSON, validated field by field.
    Structured,
}

impl IntakeMode {
    /// `text` or `structured`.
    pub fn as_str(self) -> &'static str {
        match self {
            IntakeMode::Text => "text",
            IntakeMode::Structured => "structured",
        }
    }
}

/// A case read from `rawData`; it serializes so a run can carry it from the
/// request to the step that stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intake {
    /// How it arrived.
    pub mode: IntakeMode,
    /// Where the clinic says it came from, e.g. `ehr-export`.
    pub source: Option<String>,
    /// The case.
    pub case: CaseData,
    /// What was recognised.
    pub entities: Entities,
}

/// Reads `rawData`, listing every problem with pointers relative to it. Phone
/// numbers without a country code are read in `region`.
pub fn read_raw_data(raw: &Value, region: &PhoneRegion) -> Result<Intake, Problems> {
    let mut problems = Problems::new();
    let Some(map) = raw.as_object() else {
        problems.push("", "must be an object with `mode` and `text` or `data`");
        return Err(problems);
    };
    for key in map.keys() {
        if !matches!(key.as_str(), "mode" | "source" | "text" | "data") {
            problems.push(
                format!("/{}", crate::domain::validation::escape_pointer(key)),
                "unknown member; rawData has mode, source, and text or data",
            );
        }
    }
    let source = match map.get("source") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= MAX_SOURCE => {
            Some(s.trim().to_string())
        }
        Some(_) => {
            problems.push(
                "/source",
                format!("must be a string of 1-{MAX_SOURCE} characters"),
            );
            None
        }
    };
    let mode = match map.get("mode").and_then(Value::as_str) {
        Some("text") => Some(IntakeMode::Text),
        Some("structured") => Some(IntakeMode::Structured),
        _ => {
            problems.push("/mode", "must be `text` or `structured`");
            None
        }
    };
    let read = match mode {
        Some(IntakeMode::Text) => {
            if map.contains_key("data") {
                problems.push("/data", "is only read in structured mode; send `text`");
            }
            match map.get("text") {
                Some(Value::String(text)) => Some(
                    extract_case(text, region)
                        .map(|e| (e.data, e.entities))
                        .map_err(|p| problems.extend_under("", p)),
                ),
                Some(_) => {
                    problems.push("/text", "must be a string");
                    None
                }
                None => {
                    problems.push("/text", "is required in text mode");
                    None
                }
            }
        }
        Some(IntakeMode::Structured) => {
            if map.contains_key("text") {
                problems.push("/text", "is only read in text mode; send `data`");
            }
            match map.get("data") {
                None | Some(Value::Null) => {
                    problems.push("/data", "is required in structured mode");
                    None
                }
                Some(data) => Some(
                    validate_structured(data, region)
                        .map(|case| {
                            let entities = entities_of(&case);
                            (case, entities)
                        })
                        .map_err(|p| problems.extend_under("/data", p)),
                ),
            }
        }
        None => None,
    };
    match (mode, read) {
        (Some(mode), Some(Ok((case, entities)))) if problems.is_empty() => Ok(Intake {
            mode,
            source,
            case,
            entities,
        }),
        _ => Err(problems),
    }
}

/// The tally of a structured case: which fields it fills and how many items each
/// list holds, like the extractor reports for text.
pub fn entities_of(case: &CaseData) -> Entities {
    let p = &case.patient;
    let o = &case.owner;
    let fields = [
        ("/patient/name", Some(&p.name).filter(|n| !n.is_empty())),
        ("/patient/species", p.species.as_ref()),
        ("/patient/breed", p.breed.as_ref()),
        ("/patient/age", p.age.as_ref()),
        ("/patient/sex", p.sex.as_ref()),
        ("/patient/weight", p.weight.as_ref()),
        ("/owner/name", o.name.as_ref()),
        ("/owner/email", o.email.as_ref()),
        ("/owner/phone", o.phone.as_ref()),
        ("/veterinarian", case.veterinarian.as_ref()),
    ];
    Entities {
        fields: fields
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k.to_string())
            .collect(),
        diagnoses: case.diagnoses.len(),
        medications: case.medications.len(),
        instructions: case.instructions.len(),
        follow_up: case.follow_up.is_some(),
        other_items: super::extract::other_items(case),
        unknown_lines: 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pointers(p: Problems) -> Vec<String> {
        p.into_vec().into_iter().map(|p| p.pointer).collect()
    }

    #[test]
    fn text_mode_reads_the_note_with_the_extractor() {
        let intake = read_raw_data(&json!({
            "mode": "text",
            "source": "ehr-export",
            "text": "Patient: Bella\nSpecies: canine\nOwner email: owner@example.com\nMedications:\n- Carprofen 75 mg twice daily"
        }), &PhoneRegion::default())
        .unwrap();
        assert_eq!(intake.mode, IntakeMode::Text);
        assert_eq!(intake.source.as_deref(), Some("ehr-export"));
        assert_eq!(intake.case.patient.name, "Bella");
        assert_eq!(intake.entities.medications, 1);
        assert!(intake.entities.fields.contains(&"/owner/email".to_string()));
    }

    #[test]
    fn structured_mode_validates_the_data_and_tallies_it() {
        let intake = read_raw_data(
            &json!({
                "mode": "structured",
                "data": {
                    "patient": {"name": "Max", "species": "Canine"},
                    "owner": {"phone": "+15551234567"},
                    "diagnoses": ["Otitis externa"],
                    "instructions": ["Clean the ear daily", "No swimming"]
                }
            }),
            &PhoneRegion::default(),
        )
        .unwrap();
        assert_eq!(intake.mode, IntakeMode::Structured);
        assert_eq!(
            intake.entities.fields,
            ["/patient/name", "/patient/species", "/owner/phone"]
        );
        assert_eq!(
            (intake.entities.diagnoses, intake.entities.instructions),
            (1, 2)
        );
    }

    #[test]
    fn every_problem_is_located_relative_to_raw_data() {
        let err = read_raw_data(
            &json!({
                "mode": "structured",
                "source": 7,
                "text": "Patient: Max",
                "extra": true,
                "data": {"patient": {}, "owner": {"email": "nope", "phone": "555"}}
            }),
            &PhoneRegion::default(),
        )
        .unwrap_err();
        assert_eq!(
            pointers(err),
            [
                "/extra",
                "/source",
                "/text",
                "/data/patient/name",
                "/data/owner/email",
                "/data/owner/phone"
            ]
        );
        let err = read_raw_data(&json!({"mode": "fax"}), &PhoneRegion::default()).unwrap_err();
        assert_eq!(pointers(err), ["/mode"]);
        let err = read_raw_data(
            &json!({"mode": "text", "text": "Species: cat"}),
            &PhoneRegion::default(),
        )
        .unwrap_err();
        assert_eq!(pointers(err), ["/text"]);
    }
}
