//! Typed, lenient FHIR R4 resource models: only the elements careflow reads, every
//! element optional, unknown elements ignored, so real-world servers parse.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A `Coding`: one code from one code system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Coding {
    /// Code system URI, e.g. `http://hl7.org/fhir/sid/icd-10-cm`.
    pub system: Option<String>,
    /// The code, e.g. `J18.9`.
    pub code: Option<String>,
    /// Human-readable meaning of the code.
    pub display: Option<String>,
}

/// A `CodeableConcept`: several codings of one idea plus free text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CodeableConcept {
    /// The codings, possibly from several systems.
    #[serde(default)]
    pub coding: Vec<Coding>,
    /// Plain-text representation.
    pub text: Option<String>,
}

impl CodeableConcept {
    /// True when some coding carries `code` (any system).
    pub fn has_code(&self, code: &str) -> bool {
        self.coding.iter().any(|c| c.code.as_deref() == Some(code))
    }

    /// The first coding's code, e.g. a status such as `confirmed`.
    pub fn first_code(&self) -> Option<&str> {
        self.coding.iter().find_map(|c| c.code.as_deref())
    }
}

/// A `Reference` to another resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Literal reference: `Patient/pat-42`, or an absolute URL ending that way.
    pub reference: Option<String>,
    /// Text alternative for the referenced resource.
    pub display: Option<String>,
}

impl Reference {
    /// The id of the referenced `resource_type`, from `Type/id`, an absolute URL or a
    /// versioned `Type/id/_history/n` reference.
    pub fn id_of(&self, resource_type: &str) -> Option<&str> {
        let segments: Vec<&str> = self.reference.as_deref()?.split('/').collect();
        segments
            .windows(2)
            .rev()
            .find(|w| w[0] == resource_type && !w[1].is_empty())
            .map(|w| w[1])
    }
}

/// A `Period`; bounds stay text because FHIR `dateTime` may be partial (`2025-03`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Period {
    /// Start, inclusive.
    pub start: Option<String>,
    /// End, inclusive; absent while ongoing.
    pub end: Option<String>,
}

/// Resource `meta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// When the server last changed the resource (a full instant in FHIR).
    pub last_updated: Option<DateTime<Utc>>,
}

/// An `Encounter`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Encounter {
    /// Logical id.
    pub id: Option<String>,
    /// Resource metadata.
    pub meta: Option<Meta>,
    /// `planned` ... `finished`, `cancelled`, `entered-in-error`, `unknown`.
    pub status: Option<String>,
    /// Classification (R4: one Coding), e.g. `IMP` inpatient, `AMB` ambulatory.
    pub class: Option<Coding>,
    /// The patient, usually `Patient/<id>`.
    pub subject: Option<Reference>,
    /// Start and end of the encounter.
    pub period: Option<Period>,
    /// Organization responsible for the encounter.
    pub service_provider: Option<Reference>,
    /// Specific type (often a procedure or service code).
    #[serde(default, rename = "type")]
    pub types: Vec<CodeableConcept>,
    /// Coded reasons the encounter took place.
    #[serde(default)]
    pub reason_code: Vec<CodeableConcept>,
}

impl Encounter {
    /// The id of the patient the encounter is about.
    pub fn patient_id(&self) -> Option<&str> {
        self.subject.as_ref()?.id_of("Patient")
    }

    /// `meta.lastUpdated`, for polling cursors.
    pub fn last_updated(&self) -> Option<DateTime<Utc>> {
        self.meta.as_ref()?.last_updated
    }
}

/// A `HumanName`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HumanName {
    /// `usual`, `official`, `nickname`, ...
    #[serde(rename = "use")]
    pub name_use: Option<String>,
    /// The full name as text.
    pub text: Option<String>,
    /// Family name.
    pub family: Option<String>,
    /// Given names, in order.
    #[serde(default)]
    pub given: Vec<String>,
}

impl HumanName {
    /// `text`, or the given names followed by the family name.
    pub fn full(&self) -> Option<String> {
        if let Some(text) = self.text.as_deref().filter(|t| !t.trim().is_empty()) {
            return Some(text.trim().to_owned());
        }
        let parts: Vec<&str> = self
            .given
            .iter()
            .map(String::as_str)
            .chain(self.family.as_deref())
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// An `Identifier` (MRN, member number...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identifier {
    /// Namespace URI of the value.
    pub system: Option<String>,
    /// The identifier.
    pub value: Option<String>,
    /// Kind of identifier, e.g. `MR`.
    #[serde(rename = "type")]
    pub kind: Option<CodeableConcept>,
}

/// A `Patient`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    /// Logical id.
    pub id: Option<String>,
    /// Names, in server order.
    #[serde(default)]
    pub name: Vec<HumanName>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// `male`, `female`, `other`, `unknown`.
    pub gender: Option<String>,
    /// Business identifiers.
    #[serde(default, rename = "identifier")]
    pub identifiers: Vec<Identifier>,
}

impl Patient {
    /// The official name if there is one, else the first name that has content.
    pub fn display_name(&self) -> Option<String> {
        let official = self
            .name
            .iter()
            .filter(|n| n.name_use.as_deref() == Some("official"))
            .find_map(HumanName::full);
        official.or_else(|| self.name.iter().find_map(HumanName::full))
    }
}

/// A `Condition` (diagnosis or problem).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Logical id.
    pub id: Option<String>,
    /// What the condition is (ICD-10-CM, SNOMED CT...).
    pub code: Option<CodeableConcept>,
    /// `active`, `resolved`, ...
    pub clinical_status: Option<CodeableConcept>,
    /// `confirmed`, `provisional`, `refuted`, `entered-in-error`, ...
    pub verification_status: Option<CodeableConcept>,
    /// `encounter-diagnosis`, `problem-list-item`, ...
    #[serde(default)]
    pub category: Vec<CodeableConcept>,
}

impl Condition {
    /// True when the record was made by mistake and must be ignored.
    pub fn is_entered_in_error(&self) -> bool {
        self.verification_status
            .as_ref()
            .is_some_and(|v| v.has_code("entered-in-error"))
    }
}

/// A `Quantity`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    /// Numeric value.
    pub value: Option<f64>,
    /// `<`, `<=`, `>=`, `>` when the value is a bound rather than exact.
    pub comparator: Option<String>,
    /// Unit as shown.
    pub unit: Option<String>,
    /// Unit system, usually UCUM.
    pub system: Option<String>,
    /// Coded unit, e.g. `%`, `/min`.
    pub code: Option<String>,
}

/// A component of an observation panel (e.g. systolic of a blood pressure).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservationComponent {
    /// What the component measures.
    pub code: Option<CodeableConcept>,
    /// Numeric result.
    pub value_quantity: Option<Quantity>,
    /// Text result.
    pub value_string: Option<String>,
    /// Coded result.
    pub value_codeable_concept: Option<CodeableConcept>,
}

/// An `Observation` (vital sign, lab result...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    /// Logical id.
    pub id: Option<String>,
    /// `registered`, `preliminary`, `final`, `amended`, `cancelled`, `entered-in-error`...
    pub status: Option<String>,
    /// `vital-signs`, `laboratory`, ...
    #[serde(default)]
    pub category: Vec<CodeableConcept>,
    /// What was observed (usually LOINC).
    pub code: Option<CodeableConcept>,
    /// Numeric result.
    pub value_quantity: Option<Quantity>,
    /// Text result.
    pub value_string: Option<String>,
    /// Coded result.
    pub value_codeable_concept: Option<CodeableConcept>,
    /// Panel components.
    #[serde(default)]
    pub component: Vec<ObservationComponent>,
    /// When the observation applies.
    pub effective_date_time: Option<String>,
}

impl Observation {
    /// True when the record was made by mistake and must be ignored.
    pub fn is_entered_in_error(&self) -> bool {
        self.status.as_deref() == Some("entered-in-error")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_ids_are_found_in_relative_absolute_and_versioned_references() {
        let r = |s: &str| Reference {
            reference: Some(s.into()),
            display: None,
        };
        assert_eq!(r("Patient/pat-42").id_of("Patient"), Some("pat-42"));
        assert_eq!(
            r("http://127.0.0.1:8089/fhir/Patient/pat-42").id_of("Patient"),
            Some("pat-42")
        );
        assert_eq!(
            r("Patient/pat-42/_history/3").id_of("Patient"),
            Some("pat-42")
        );
        assert_eq!(r("Group/g-1").id_of("Patient"), None);
    }

    #[test]
    fn an_encounter_from_a_real_server_parses_despite_unknown_elements() {
        let json = r#"{"resourceType":"Encounter","id":"enc-9001",
            "meta":{"versionId":"3","lastUpdated":"2025-03-03T14:05:00.123+00:00"},
            "status":"finished","identifier":[{"value":"V1"}],
            "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
            "type":[{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"99223"}]}],
            "subject":{"reference":"Patient/pat-42"},
            "period":{"start":"2025-02-28T09:30:00Z","end":"2025-03-03"},
            "hospitalization":{"dischargeDisposition":{"text":"home"}}}"#;
        let e: Encounter = serde_json::from_str(json).unwrap();
        assert_eq!(e.patient_id(), Some("pat-42"));
        assert_eq!(e.types[0].first_code(), Some("99223"));
        assert_eq!(
            e.last_updated().map(|t| t.to_rfc3339()),
            Some("2025-03-03T14:05:00.123+00:00".into())
        );
        assert_eq!(e.period.unwrap().end.as_deref(), Some("2025-03-03"));
    }

    #[test]
    fn the_official_name_is_preferred_and_built_from_parts() {
        let json = r#"{"resourceType":"Patient","id":"pat-42",
            "name":[{"use":"nickname","given":["Addy"]},
                    {"use":"official","family":"Okafor","given":["Ada","N."]}],
            "birthDate":"1961-07-14","gender":"female",
            "identifier":[{"system":"urn:mrn","value":"MRN-001"}]}"#;
        let p: Patient = serde_json::from_str(json).unwrap();
        assert_eq!(p.display_name().as_deref(), Some("Ada N. Okafor"));
        assert_eq!(p.identifiers[0].value.as_deref(), Some("MRN-001"));
    }
}
