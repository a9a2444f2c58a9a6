//! Typed, lenient FHIR R4 resource models: only the elements careflow reads, every
//! element optional, unknown elements ignored, so real-world servers parse.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::datatypes::{
    CodeableConcept, Coding, HumanName, Identifier, Meta, Period, Quantity, Reference,
};

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
    /// The people involved: attending physician, admitter, referrer...
    #[serde(default)]
    pub participant: Vec<EncounterParticipant>,
}

/// One `Encounter.participant`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EncounterParticipant {
    /// Roles, e.g. `ATND` (attender) or `ADM` (admitter) of `v3-ParticipationType`.
    #[serde(default, rename = "type")]
    pub types: Vec<CodeableConcept>,
    /// The person, usually `Practitioner/<id>`.
    pub individual: Option<Reference>,
}

/// Participation roles of the provider who requests services for an encounter, most
/// fitting first: attender, primary performer, admitter, referrer, consultant.
const REQUESTING_ROLES: [&str; 5] = ["ATND", "PPRF", "ADM", "REF", "CON"];

impl Encounter {
    /// The id of the patient the encounter is about.
    pub fn patient_id(&self) -> Option<&str> {
        self.subject.as_ref()?.id_of("Patient")
    }

    /// `meta.lastUpdated`, for polling cursors.
    pub fn last_updated(&self) -> Option<DateTime<Utc>> {
        self.meta.as_ref()?.last_updated
    }

    /// The participant who requests services for this encounter: the first
    /// practitioner in the most fitting role (attender, primary performer,
    /// admitter, referrer, consultant), else the first practitioner listed.
    pub fn requesting_participant(&self) -> Option<&EncounterParticipant> {
        let practitioners: Vec<&EncounterParticipant> = self
            .participant
            .iter()
            .filter(|p| {
                p.individual
                    .as_ref()
                    .is_some_and(|r| r.id_of("Practitioner").is_some())
            })
            .collect();
        let in_role = |role: &str| {
            practitioners
                .iter()
                .copied()
                .find(|p| p.types.iter().any(|t| t.has_code(role)))
        };
        REQUESTING_ROLES
            .iter()
            .find_map(|role| in_role(role))
            .or_else(|| practitioners.first().copied())
    }

    /// Which version of the resource this is: `meta.versionId`, else
    /// `meta.lastUpdated` (RFC 3339, UTC); `None` when the server gives neither.
    pub fn version(&self) -> Option<String> {
        let meta = self.meta.as_ref()?;
        meta.version_id
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .or_else(|| {
                meta.last_updated
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            })
    }
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
        HumanName::preferred(&self.name)
    }
}

/// The system of US National Provider Identifiers.
pub const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";

/// A `Practitioner`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Practitioner {
    /// Logical id.
    pub id: Option<String>,
    /// Names, in server order.
    #[serde(default)]
    pub name: Vec<HumanName>,
    /// Business identifiers (NPI...).
    #[serde(default, rename = "identifier")]
    pub identifiers: Vec<Identifier>,
}

impl Practitioner {
    /// The official name if there is one, else the first name that has content.
    pub fn display_name(&self) -> Option<String> {
        HumanName::preferred(&self.name)
    }

    /// The National Provider Identifier (system `http://hl7.org/fhir/sid/us-npi`).
    pub fn npi(&self) -> Option<&str> {
        self.identifiers
            .iter()
            .filter(|i| i.system.as_deref().map(str::trim) == Some(NPI_SYSTEM))
            .find_map(|i| i.value.as_deref().map(str::trim).filter(|v| !v.is_empty()))
    }
}

/// One `Coverage.class`: a plan, group, or similar grouping of the coverage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverageClass {
    /// `plan`, `group`, `subplan`... of `coverage-class`.
    #[serde(rename = "type")]
    pub kind: Option<CodeableConcept>,
    /// The payer's value for it, e.g. a plan number.
    pub value: Option<String>,
    /// Its human-readable name.
    pub name: Option<String>,
}

/// A `Coverage`: the insurance a patient's care is billed to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// Logical id.
    pub id: Option<String>,
    /// `active`, `cancelled`, `draft`, `entered-in-error`.
    pub status: Option<String>,
    /// Business identifiers; the member number has type `MB`.
    #[serde(default, rename = "identifier")]
    pub identifiers: Vec<Identifier>,
    /// The subscriber's id at the payer.
    pub subscriber_id: Option<String>,
    /// The patient covered.
    pub beneficiary: Option<Reference>,
    /// Who pays: usually an `Organization` with a display name.
    #[serde(default)]
    pub payor: Vec<Reference>,
    /// Plan, group and other classes.
    #[serde(default)]
    pub class: Vec<CoverageClass>,
    /// When the coverage is in force.
    pub period: Option<Period>,
    /// Which coverage applies first (1 = primary).
    pub order: Option<u32>,
}

impl Coverage {
    /// True for coverage that may be billed (not cancelled, draft or in error).
    pub fn is_in_force(&self) -> bool {
        !matches!(
            self.status.as_deref(),
            Some("cancelled" | "draft" | "entered-in-error")
        )
    }

    /// The member id: the identifier typed `MB` (member number), else the
    /// subscriber id.
    pub fn member_id(&self) -> Option<&str> {
        fn non_empty(v: Option<&String>) -> Option<&str> {
            v.map(|v| v.trim()).filter(|v| !v.is_empty())
        }
        self.identifiers
            .iter()
            .filter(|i| i.kind.as_ref().is_some_and(|k| k.has_code("MB")))
            .find_map(|i| non_empty(i.value.as_ref()))
            .or_else(|| non_empty(self.subscriber_id.as_ref()))
    }
}

/// A `ServiceRequest`: a service, procedure or supply ordered for the patient.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequest {
    /// Logical id.
    pub id: Option<String>,
    /// `draft`, `active`, `on-hold`, `revoked`, `completed`, `entered-in-error`...
    pub status: Option<String>,
    /// `proposal`, `plan`, `order`...
    pub intent: Option<String>,
    /// What is requested (CPT, HCPCS, SNOMED CT...).
    pub code: Option<CodeableConcept>,
    /// How much is requested, e.g. 12 sessions.
    pub quantity_quantity: Option<Quantity>,
    /// When it should happen, as one instant.
    pub occurrence_date_time: Option<String>,
    /// When it should happen, as a period.
    pub occurrence_period: Option<Period>,
    /// When the request was made.
    pub authored_on: Option<String>,
    /// Who asked for it.
    pub requester: Option<Reference>,
}

impl ServiceRequest {
    /// True for requests that still stand (not revoked or made in error).
    pub fn stands(&self) -> bool {
        !matches!(self.status.as_deref(), Some("revoked" | "entered-in-error"))
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
        assert_eq!(e.version().as_deref(), Some("3"));
        assert_eq!(e.period.unwrap().end.as_deref(), Some("2025-03-03"));
    }

    #[test]
    fn without_a_version_id_the_version_is_the_last_update() {
        let e: Encounter =
            serde_json::from_str(r#"{"meta":{"lastUpdated":"2025-03-03T14:05:00.120+01:00"}}"#)
                .unwrap();
        assert_eq!(e.version().as_deref(), Some("2025-03-03T13:05:00.120Z"));
        let e: Encounter = serde_json::from_str(r#"{"meta":{"versionId":" "}}"#).unwrap();
        assert_eq!(e.version(), None);
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
