//! The clinical data of one encounter, summarised from FHIR into flat serializable
//! types for workflow outputs, the prior-authorization rules, the LLM prompt and the
//! PDF form.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One code from one code system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Code {
    /// Code system URI, e.g. `http://hl7.org/fhir/sid/icd-10-cm`.
    pub system: Option<String>,
    /// The code, e.g. `J18.9`.
    pub code: String,
    /// Human-readable meaning.
    pub display: Option<String>,
}

impl Code {
    /// A short name of well-known code systems (`ICD-10-CM`, `LOINC`, `CPT`...).
    pub fn system_label(&self) -> Option<&'static str> {
        match self.system.as_deref()? {
            "http://hl7.org/fhir/sid/icd-10-cm" => Some("ICD-10-CM"),
            "http://hl7.org/fhir/sid/icd-10" => Some("ICD-10"),
            "http://snomed.info/sct" => Some("SNOMED CT"),
            "http://loinc.org" => Some("LOINC"),
            "http://www.ama-assn.org/go/cpt" => Some("CPT"),
            "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets" => Some("HCPCS"),
            "http://terminology.hl7.org/CodeSystem/v3-ActCode" => Some("HL7 ActCode"),
            _ => None,
        }
    }

    /// The code followed by its display, e.g. `J18.9 Pneumonia, unspecified organism`.
    pub fn with_display(&self) -> String {
        match &self.display {
            Some(display) => format!("{} {display}", self.code),
            None => self.code.clone(),
        }
    }
}

/// The encounter itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncounterSummary {
    /// FHIR id.
    pub id: String,
    /// FHIR status, normally `finished`.
    pub status: Option<String>,
    /// Encounter class, e.g. `IMP` (inpatient) or `AMB` (ambulatory).
    pub class: Option<Code>,
    /// Encounter types (often service or procedure codes).
    pub types: Vec<Code>,
    /// Coded reasons for the encounter.
    pub reasons: Vec<Code>,
    /// Period start as FHIR wrote it.
    pub period_start: Option<String>,
    /// Period end as FHIR wrote it.
    pub period_end: Option<String>,
    /// Responsible organization: its name if given, else its reference.
    pub service_provider: Option<String>,
    /// `meta.lastUpdated`.
    pub last_updated: Option<DateTime<Utc>>,
}

/// A business identifier of the patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientIdentifier {
    /// Namespace URI.
    pub system: Option<String>,
    /// The identifier.
    pub value: String,
}

/// The patient.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientSummary {
    /// FHIR id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Birth date as FHIR wrote it (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    pub birth_date: Option<String>,
    /// Administrative gender.
    pub gender: Option<String>,
    /// Business identifiers (MRN...).
    pub identifiers: Vec<PatientIdentifier>,
}

impl PatientSummary {
    /// Age in whole years on `date`, when the birth date is a full date.
    pub fn age_on(&self, date: NaiveDate) -> Option<u32> {
        let born = NaiveDate::parse_from_str(self.birth_date.as_deref()?, "%Y-%m-%d").ok()?;
        let mut years = date.year() - born.year();
        if (date.month(), date.day()) < (born.month(), born.day()) {
            years -= 1;
        }
        u32::try_from(years).ok()
    }
}

/// A diagnosis or problem recorded for the encounter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionSummary {
    /// FHIR id.
    pub id: Option<String>,
    /// Codes (ICD-10-CM, SNOMED CT...).
    pub codes: Vec<Code>,
    /// Free-text name of the condition.
    pub text: Option<String>,
    /// `active`, `resolved`, ...
    pub clinical_status: Option<String>,
    /// `confirmed`, `provisional`, `refuted`, ...
    pub verification_status: Option<String>,
    /// `encounter-diagnosis`, `problem-list-item`, ...
    pub categories: Vec<String>,
}

/// A measured or coded result, shared by observations and their components.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeasuredValue {
    /// Numeric value.
    pub value: Option<f64>,
    /// `<`, `<=`, `>=`, `>` when the value is a bound rather than exact.
    pub comparator: Option<String>,
    /// Unit as displayed (falls back to the coded unit).
    pub unit: Option<String>,
    /// Coded unit (UCUM), e.g. `%` or `/min`.
    pub unit_code: Option<String>,
    /// Text result, or the display of a coded result.
    pub value_text: Option<String>,
    /// Coded result.
    pub value_code: Option<Code>,
}

impl MeasuredValue {
    /// The result as shown to people: `91 %`, `<0.5 mg/L`, `39.6 °C` (UCUM codes
    /// written as people write units), or the text result.
    pub fn shown(&self) -> Option<String> {
        if let Some(v) = self.value {
            let comparator = self.comparator.as_deref().unwrap_or("");
            let unit = self
                .unit
                .as_deref()
                .map(|u| format!(" {}", super::units::display_unit(u)))
                .unwrap_or_default();
            return Some(format!("{comparator}{v}{unit}"));
        }
        self.value_text.clone()
    }
}

/// One component of an observation panel.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentSummary {
    /// What the component measures (usually LOINC).
    pub codes: Vec<Code>,
    /// The result.
    #[serde(flatten)]
    pub value: MeasuredValue,
}

/// An observation (vital sign, lab result) of the encounter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservationSummary {
    /// FHIR id.
    pub id: Option<String>,
    /// `final`, `amended`, `preliminary`, ...
    pub status: Option<String>,
    /// What was observed (usually LOINC).
    pub codes: Vec<Code>,
    /// Free-text name of what was observed.
    pub text: Option<String>,
    /// `vital-signs`, `laboratory`, ...
    pub categories: Vec<String>,
    /// When it applies.
    pub effective: Option<String>,
    /// The result.
    #[serde(flatten)]
    pub value: MeasuredValue,
    /// Panel components (e.g. systolic and diastolic pressure).
    pub components: Vec<ComponentSummary>,
}

/// One insurance coverage of the patient.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoverageSummary {
    /// The payer's name (or its reference when the server gives no name).
    pub payer: Option<String>,
    /// The member id at the payer.
    pub member_id: Option<String>,
    /// Plan and group, e.g. `Plan: Gold PPO (A-100)`.
    pub classes: Vec<String>,
    /// 1 for the primary coverage, 2 for the secondary...
    pub order: Option<u32>,
}

/// The provider who requests the services.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSummary {
    /// FHIR id of the `Practitioner`.
    pub id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// National Provider Identifier.
    pub npi: Option<String>,
    /// Role in the encounter, e.g. `ATND attender`.
    pub role: Option<String>,
}

/// A service requested for the encounter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestedService {
    /// What is requested (CPT, HCPCS...).
    pub codes: Vec<Code>,
    /// Free-text name.
    pub text: Option<String>,
    /// Units requested, e.g. `12 sessions`; `None` when the request gives none.
    pub units: Option<String>,
    /// First date of service as FHIR wrote it.
    pub start: Option<String>,
    /// Last date of service, for a period.
    pub end: Option<String>,
    /// Where the service was read from: `ServiceRequest` or `Encounter.type`.
    pub source: String,
}

/// Everything the prior-authorization decision looks at for one encounter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClinicalData {
    /// The encounter.
    pub encounter: EncounterSummary,
    /// Its patient.
    pub patient: PatientSummary,
    /// Its conditions (entries in error already left out).
    pub conditions: Vec<ConditionSummary>,
    /// Its observations (entries in error already left out).
    pub observations: Vec<ObservationSummary>,
    /// The patient's coverages in force, primary first.
    #[serde(default)]
    pub coverages: Vec<CoverageSummary>,
    /// The provider requesting the services.
    #[serde(default)]
    pub requesting_provider: Option<ProviderSummary>,
    /// The services requested: the encounter's `ServiceRequest`s, else its types.
    #[serde(default)]
    pub services: Vec<RequestedService>,
}

/// Sizes of [`ClinicalData`], for event payloads that must carry no clinical content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClinicalCounts {
    /// Conditions.
    pub conditions: usize,
    /// Codes across all conditions.
    pub diagnosis_codes: usize,
    /// Observations.
    pub observations: usize,
    /// Observations with a numeric value or numeric components.
    pub numeric_observations: usize,
}

impl ClinicalData {
    /// Counts of what was gathered.
    pub fn counts(&self) -> ClinicalCounts {
        ClinicalCounts {
            conditions: self.conditions.len(),
            diagnosis_codes: self.conditions.iter().map(|c| c.codes.len()).sum(),
            observations: self.observations.len(),
            numeric_observations: self
                .observations
                .iter()
                .filter(|o| {
                    o.value.value.is_some() || o.components.iter().any(|c| c.value.value.is_some())
                })
                .count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{pneumonia_admission, pneumonia_submission};
    use super::*;
    use crate::providers::fhir;

    #[test]
    fn fhir_resources_are_summarised_into_codes_and_values() {
        let data = pneumonia_admission();
        assert_eq!(data.encounter.id, "enc-9001");
        assert_eq!(
            data.encounter.class.as_ref().map(|c| c.code.as_str()),
            Some("IMP")
        );
        assert_eq!(
            data.encounter.service_provider.as_deref(),
            Some("Riverside General")
        );
        assert_eq!(data.patient.name.as_deref(), Some("Ada Okafor"));
        assert_eq!(data.patient.identifiers[0].value, "MRN-0042");
        let pneumonia = &data.conditions[0];
        assert_eq!(pneumonia.codes[0].code, "J18.9");
        assert_eq!(pneumonia.verification_status.as_deref(), Some("confirmed"));
        assert_eq!(pneumonia.categories, ["encounter-diagnosis"]);
        let spo2 = &data.observations[0].value;
        assert_eq!((spo2.value, spo2.unit.as_deref()), (Some(91.0), Some("%")));
        let heart_rate = &data.observations[1].value;
        assert_eq!(heart_rate.unit.as_deref(), Some("beats/minute"));
        assert_eq!(heart_rate.unit_code.as_deref(), Some("/min"));
        assert_eq!(data.observations[2].components[0].value.value, Some(150.0));
    }

    #[test]
    fn counts_describe_the_data_without_clinical_content() {
        let counts = pneumonia_admission().counts();
        assert_eq!(
            serde_json::to_value(counts).unwrap(),
            serde_json::json!({"conditions": 3, "diagnosisCodes": 3, "observations": 3,
                               "numericObservations": 3})
        );
    }

    #[test]
    fn clinical_data_round_trips_through_camel_case_json() {
        let data = pneumonia_admission();
        let json = serde_json::to_value(&data).unwrap();
        assert_eq!(json["observations"][0]["unitCode"], "%");
        assert_eq!(json["encounter"]["periodStart"], "2025-02-28T09:30:00Z");
        let back: ClinicalData = serde_json::from_value(json).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn codes_and_values_are_shown_as_people_read_them() {
        let data = pneumonia_admission();
        let pneumonia = &data.conditions[0].codes[0];
        assert_eq!(
            pneumonia.with_display(),
            "J18.9 Pneumonia, unspecified organism"
        );
        assert_eq!(pneumonia.system_label(), Some("ICD-10-CM"));
        let mut spo2 = data.observations[0].value.clone();
        assert_eq!(spo2.shown().as_deref(), Some("91 %"));
        spo2.comparator = Some("<".into());
        assert_eq!(spo2.shown().as_deref(), Some("<91 %"));
    }

    #[test]
    fn ucum_codes_are_shown_as_units_people_write() {
        let mut temperature = MeasuredValue {
            value: Some(39.6),
            unit: Some("Cel".into()),
            unit_code: Some("Cel".into()),
            ..MeasuredValue::default()
        };
        assert_eq!(temperature.shown().as_deref(), Some("39.6 °C"));
        temperature.unit = Some("beats/minute".into());
        assert_eq!(temperature.shown().as_deref(), Some("39.6 beats/minute"));
    }

    #[test]
    fn submission_details_name_the_payer_the_attending_npi_and_the_services() {
        let data = pneumonia_submission();
        assert_eq!(
            data.coverages,
            [CoverageSummary {
                payer: Some("Acme Health".into()),
                member_id: Some("AH-0042-01".into()),
                classes: vec!["Plan: Gold PPO (GOLD)".into()],
                order: Some(1),
            }]
        );
        let provider = data.requesting_provider.as_ref().unwrap();
        assert_eq!(provider.name.as_deref(), Some("Maria Alvarez"));
        assert_eq!(provider.npi.as_deref(), Some("1234567893"));
        assert_eq!(provider.role.as_deref(), Some("ATND attender"));
        let services: Vec<_> = data
            .services
            .iter()
            .map(|s| {
                (
                    s.codes[0].code.as_str(),
                    s.units.as_deref(),
                    s.start.as_deref(),
                    s.end.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            services,
            [
                ("94760", Some("4 tests"), Some("2025-03-10"), None),
                ("97110", Some("12"), Some("2025-03-04"), Some("2025-04-04")),
            ]
        );
    }

    #[test]
    fn without_requests_the_services_are_the_encounter_types_over_its_period() {
        let data = pneumonia_admission();
        let encounter: fhir::Encounter = serde_json::from_value(serde_json::json!({
            "type": [{"coding": [{"code": "99223", "display": "Initial hospital care"}]}],
            "participant": [{"individual": {"reference": "Practitioner/pr-404",
                                            "display": "Dr. Gone"}}]}))
        .unwrap();
        let data = data.with_submission_details(&encounter, &[], None, &[]);
        assert!(data.coverages.is_empty());
        let provider = data.requesting_provider.unwrap();
        assert_eq!(
            (provider.name.as_deref(), provider.npi),
            (Some("Dr. Gone"), None)
        );
        assert_eq!(data.services.len(), 1);
        assert_eq!(data.services[0].codes[0].code, "99223");
        assert_eq!(data.services[0].source, "Encounter.type");
        assert_eq!(
            data.services[0].start.as_deref(),
            Some("2025-02-28T09:30:00Z")
        );
    }

    #[test]
    fn age_counts_whole_years_and_needs_a_full_birth_date() {
        let mut patient = pneumonia_admission().patient;
        let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap();
        assert_eq!(patient.age_on(day(7, 13)), Some(63));
        assert_eq!(patient.age_on(day(7, 14)), Some(64));
        patient.birth_date = Some("1961".into());
        assert_eq!(patient.age_on(day(7, 14)), None);
    }
}
