//! The discharge run's input, read once: the API's edge reads `input` into a
//! [`DischargeInput`] (its problems listed with the rest of the request's), hands
//! the engine the stored form without the workflow's input reader running again,
//! and `ingest` takes the case from it without reading the clinic's data again.
//! Other routes (the runs route, a rerun, an `invoke`) go through the reader,
//! [`DischargeInput::for_submission`].
//!
//! Stored form: `{"rawData": <as sent>, "intake": <the case read from it>}` or
//! `{"existingCase": {"caseId": ...}}`. `rawData` stays as the clinic sent it, so
//! a run shows its input as given and a rerun starts from the same request. An
//! input without `intake` (a run submitted through the generic runs route, or queued
//! before inputs were stored read) is read by `ingest` with the same
//! [`DischargeInput::read`] the edge uses.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::discharge::intake::{Intake, read_raw_data};
use crate::domain::discharge::phone::PhoneRegion;
use crate::domain::validation::Problems;
use crate::engine::{StepError, escape_pointer};

/// A stored case named by `existingCase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseRef {
    /// The case to reuse.
    pub case_id: Uuid,
}

/// What a discharge run starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DischargeInput {
    /// A case the clinic sent, read.
    #[serde(rename_all = "camelCase")]
    New {
        /// The clinic's `rawData`, as sent.
        raw_data: Value,
        /// The case read from it (boxed: a case is large beside a case id).
        intake: Box<Intake>,
    },
    /// A stored case, used as it is.
    #[serde(rename_all = "camelCase")]
    Existing {
        /// Which one.
        existing_case: CaseRef,
    },
}

impl DischargeInput {
    /// Reads a request's `input`, listing every problem with pointers relative to
    /// it. Phone numbers without a country code are read in `region`.
    pub fn read(value: Option<&Value>, region: &PhoneRegion) -> Result<Self, Problems> {
        let mut problems = Problems::new();
        let map = match value {
            None | Some(Value::Null) => {
                problems.push(
                    "",
                    "is required: give `rawData` (the case) or `existingCase` (a stored case)",
                );
                return Err(problems);
            }
            Some(Value::Object(map)) => map,
            Some(_) => {
                problems.push("", "must be an object");
                return Err(problems);
            }
        };
        unknown_members(map, "", &["rawData", "existingCase"], &mut problems);
        let raw = map.get("rawData").filter(|v| !v.is_null());
        let existing = map.get("existingCase").filter(|v| !v.is_null());
        match (raw, existing) {
            (Some(_), Some(_)) => problems.push(
                "",
                "give exactly one of `rawData` and `existingCase`, not both",
            ),
            (None, None) => problems.push(
                "",
                "give exactly one of `rawData` (the case) and `existingCase` (a stored case)",
            ),
            _ => {}
        }
        let intake = raw.and_then(|raw| {
            read_raw_data(raw, region)
                .map_err(|p| problems.extend_under("/rawData", p))
                .ok()
        });
        let case = existing.and_then(|e| case_ref(e, &mut problems));
        if !problems.is_empty() {
            return Err(problems);
        }
        match (raw, intake, case) {
            (Some(raw), Some(intake), _) => Ok(Self::New {
                raw_data: raw.clone(),
                intake: Box::new(intake),
            }),
            (None, _, Some(case)) => Ok(Self::Existing {
                existing_case: case,
            }),
            // Every other combination recorded a problem above.
            _ => Err(problems),
        }
    }

    /// Reads a new run's input on any route into the form the run stores. A stored
    /// input given again (a rerun) carries the case read from it before: that is
    /// dropped and read again from `rawData`, so a case nobody read is never
    /// trusted, whoever sent it.
    pub fn for_submission(input: &Value, region: &PhoneRegion) -> Result<Value, Problems> {
        let mut given = input.clone();
        if let Some(map) = given.as_object_mut() {
            map.remove("intake");
        }
        Self::read(Some(&given), region).map(|read| read.to_value())
    }

    /// The stored case to reuse, if the input names one.
    pub fn existing_case(&self) -> Option<Uuid> {
        match self {
            Self::Existing { existing_case } => Some(existing_case.case_id),
            Self::New { .. } => None,
        }
    }

    /// The input a run carries: as stored when the edge read it; read here when it
    /// was not (pointers are then located under `/input`).
    pub(super) fn from_run(input: &Value, region: &PhoneRegion) -> Result<Self, StepError> {
        if let Ok(read) = Self::deserialize(input) {
            return Ok(read);
        }
        Self::read(Some(input), region).map_err(|p| {
            let mut located = Problems::new();
            located.extend_under("/input", p);
            super::invalid("the input is invalid", &located)
        })
    }

    /// The form stored as the run's input.
    pub fn to_value(&self) -> Value {
        // Serializing plain data (strings, numbers, maps with string keys) cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The input of a `discharge-email-delivery` run: the email it delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailDelivery {
    /// The email.
    pub email_id: Uuid,
}

/// The input of a `discharge-call-placement` run: the call it places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallPlacement {
    /// The call.
    pub call_id: Uuid,
}

/// A delivery run's input as its type; one that does not read fails the step for
/// good (the run was submitted with another input, which no retry changes).
pub(super) fn child_input<T: serde::de::DeserializeOwned>(input: &Value) -> Result<T, StepError> {
    T::deserialize(input)
        .map_err(|e| StepError::permanent(format!("the run's input is unreadable: {e}")))
}

/// A delivery run's input as stored.
pub(super) fn child_value<T: Serialize>(input: &T) -> Result<Value, StepError> {
    serde_json::to_value(input)
        .map_err(|e| StepError::permanent(format!("the input cannot be written: {e}")))
}

fn unknown_members(map: &Map<String, Value>, at: &str, known: &[&str], problems: &mut Problems) {
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            problems.push(
                format!("{at}/{}", escape_pointer(key)),
                format!("unknown member; expected {}", known.join(", ")),
            );
        }
    }
}

fn case_ref(value: &Value, problems: &mut Problems) -> Option<CaseRef> {
    let at = "/existingCase";
    let Some(map) = value.as_object() else {
        problems.push(at, "must be an object with `caseId`");
        return None;
    };
    unknown_members(map, at, &["caseId"], problems);
    let id = map
        .get("caseId")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<Uuid>().ok());
    if id.is_none() {
        problems.push(format!("{at}/caseId"), "must be a case id (a UUID)");
    }
    id.map(|case_id| CaseRef { case_id })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(v: Value) -> Result<DischargeInput, Problems> {
        DischargeInput::read(Some(&v), &PhoneRegion::default())
    }

    #[test]
    fn a_read_input_is_stored_in_a_form_that_reads_back_without_reading_the_case_again() {
        let sent = json!({"rawData": {"mode": "text", "text": "Patient: Bella\nSpecies: canine"}});
        let input = read(sent.clone()).unwrap();
        let stored = input.to_value();
        assert_eq!(stored["rawData"], sent["rawData"], "rawData stays as sent");
        let back: DischargeInput = serde_json::from_value(stored).unwrap();
        assert_eq!(back, input);
        let DischargeInput::New { intake, .. } = back else {
            panic!("a new case")
        };
        assert_eq!(intake.case.patient.name, "Bella");
    }

    #[test]
    fn the_edge_stores_what_the_workflow_reader_would_so_the_engine_need_not_read_again() {
        let region = PhoneRegion::default();
        for sent in [
            json!({"rawData": {"mode": "text", "text": "Patient: Bella\nSpecies: canine"}}),
            json!({"rawData": {"mode": "structured", "data": {"patient": {"name": "Rex"}, "owner": {"phone": "+12125550142"}}}}),
            json!({"existingCase": {"caseId": Uuid::nil()}}),
        ] {
            let at_edge = DischargeInput::read(Some(&sent), &region).map(|i| i.to_value());
            assert!(at_edge.is_ok(), "{sent}: {at_edge:?}");
            let by_reader = DischargeInput::for_submission(&sent, &region);
            assert_eq!(at_edge, by_reader, "{sent}");
        }
    }

    #[test]
    fn an_input_as_a_client_sends_it_does_not_pass_for_a_read_one() {
        let sent = json!({"rawData": {"mode": "text", "text": "Patient: Bella"}});
        assert!(serde_json::from_value::<DischargeInput>(sent).is_err());
        let existing = json!({"existingCase": {"caseId": Uuid::nil()}});
        let typed: DischargeInput = serde_json::from_value(existing.clone()).unwrap();
        assert_eq!(typed.existing_case(), Some(Uuid::nil()));
        assert_eq!(typed.to_value(), existing);
    }

    #[test]
    fn delivery_inputs_read_as_earlier_versions_stored_them() {
        let email: EmailDelivery =
            child_input(&json!({"emailId": Uuid::nil()})).expect("reads an email delivery's");
        assert_eq!(
            child_value(&email).unwrap(),
            json!({"emailId": Uuid::nil()})
        );
        let call: CallPlacement =
            child_input(&json!({"callId": Uuid::nil()})).expect("reads a call placement's");
        assert_eq!(call.call_id, Uuid::nil());
        let wrong = child_input::<CallPlacement>(&json!({"emailId": Uuid::nil()})).unwrap_err();
        assert_eq!(wrong.kind, crate::engine::ErrorKind::Permanent);
    }

    #[test]
    fn every_problem_is_located_relative_to_the_input() {
        let err = read(json!({
            "rawData": {"mode": "fax"},
            "existingCase": {"caseId": "nope", "x": 1},
            "extra": true
        }))
        .unwrap_err();
        let pointers: Vec<_> = err.into_vec().into_iter().map(|p| p.pointer).collect();
        assert_eq!(
            pointers,
            [
                "/extra",
                "",
                "/rawData/mode",
                "/existingCase/x",
                "/existingCase/caseId"
            ]
        );
    }
}
