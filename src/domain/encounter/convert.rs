//! Conversion of FHIR resources into the flat summaries of [`super::model`]:
//! the constructors of [`ClinicalData`] live here, so the model does not
//! depend on the conversion that fills it.

use super::model::{
    ClinicalData, Code, ComponentSummary, ConditionSummary, CoverageSummary, EncounterSummary,
    MeasuredValue, ObservationSummary, PatientIdentifier, PatientSummary, ProviderSummary,
    RequestedService,
};
use crate::providers::fhir;

impl ClinicalData {
    /// Summarises the FHIR resources of one encounter.
    pub fn from_fhir(
        encounter: &fhir::Encounter,
        patient: &fhir::Patient,
        conditions: &[fhir::Condition],
        observations: &[fhir::Observation],
    ) -> Self {
        ClinicalData {
            encounter: encounter_summary(encounter),
            patient: patient_summary(patient),
            conditions: conditions
                .iter()
                .filter(|c| !c.is_entered_in_error())
                .map(condition_summary)
                .collect(),
            observations: observations
                .iter()
                .filter(|o| !o.is_entered_in_error())
                .map(observation_summary)
                .collect(),
            ..ClinicalData::default()
        }
    }

    /// Adds what a payer submission needs besides the clinical data: coverage,
    /// the requesting provider (the encounter's participant, with the
    /// `Practitioner` read when there is one) and the requested services.
    pub fn with_submission_details(
        mut self,
        encounter: &fhir::Encounter,
        coverages: &[fhir::Coverage],
        practitioner: Option<&fhir::Practitioner>,
        service_requests: &[fhir::ServiceRequest],
    ) -> Self {
        self.coverages = coverages.iter().map(coverage_summary).collect();
        self.requesting_provider = encounter
            .requesting_participant()
            .map(|p| provider_summary(p, practitioner));
        self.services = service_requests.iter().map(requested_service).collect();
        if self.services.is_empty() {
            // Without orders, the services are what the encounter was: its types
            // (often CPT codes), over its period.
            self.services = encounter
                .types
                .iter()
                .map(|t| RequestedService {
                    codes: codes(Some(t)),
                    text: non_empty(t.text.as_ref()),
                    units: None,
                    start: self.encounter.period_start.clone(),
                    end: self.encounter.period_end.clone(),
                    source: "Encounter.type".into(),
                })
                .filter(|s| !s.codes.is_empty() || s.text.is_some())
                .collect();
        }
        self
    }
}

fn coverage_summary(c: &fhir::Coverage) -> CoverageSummary {
    let payer = c
        .payor
        .iter()
        .find_map(|p| non_empty(p.display.as_ref()).or(non_empty(p.reference.as_ref())));
    let classes = c
        .class
        .iter()
        .filter_map(|class| {
            let kind = class
                .kind
                .as_ref()
                .and_then(|k| k.first_code())
                .map(capitalised)
                .unwrap_or_else(|| "Class".into());
            match (
                non_empty(class.name.as_ref()),
                non_empty(class.value.as_ref()),
            ) {
                (Some(name), Some(value)) => Some(format!("{kind}: {name} ({value})")),
                (Some(text), None) | (None, Some(text)) => Some(format!("{kind}: {text}")),
                (None, None) => None,
            }
        })
        .collect();
    CoverageSummary {
        payer,
        member_id: c.member_id().map(str::to_owned),
        classes,
        order: c.order,
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn provider_summary(
    participant: &fhir::EncounterParticipant,
    practitioner: Option<&fhir::Practitioner>,
) -> ProviderSummary {
    let reference = participant.individual.as_ref();
    let id = reference
        .and_then(|r| r.id_of("Practitioner"))
        .map(str::to_owned);
    // The practitioner read is used only when it is the one referenced.
    let practitioner = practitioner.filter(|p| p.id.is_none() || p.id == id);
    ProviderSummary {
        name: practitioner
            .and_then(fhir::Practitioner::display_name)
            .or_else(|| reference.and_then(|r| non_empty(r.display.as_ref()))),
        npi: practitioner.and_then(|p| p.npi()).map(str::to_owned),
        role: participant
            .types
            .iter()
            .flat_map(|t| codes(Some(t)))
            .next()
            .map(|c| c.with_display()),
        id,
    }
}

fn requested_service(r: &fhir::ServiceRequest) -> RequestedService {
    let units = r.quantity_quantity.as_ref().and_then(|q| {
        measured(Some(q), None, None)
            .shown()
            .or_else(|| non_empty(q.unit.as_ref()))
    });
    let (start, end) = match (&r.occurrence_date_time, &r.occurrence_period) {
        (Some(at), _) => (non_empty(Some(at)), None),
        (None, Some(p)) => (non_empty(p.start.as_ref()), non_empty(p.end.as_ref())),
        (None, None) => (None, None),
    };
    RequestedService {
        codes: codes(r.code.as_ref()),
        text: r.code.as_ref().and_then(|c| non_empty(c.text.as_ref())),
        units,
        start,
        end,
        source: "ServiceRequest".into(),
    }
}

fn non_empty(s: Option<&String>) -> Option<String> {
    s.map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn code(coding: &fhir::Coding) -> Option<Code> {
    Some(Code {
        system: non_empty(coding.system.as_ref()),
        code: non_empty(coding.code.as_ref())?,
        display: non_empty(coding.display.as_ref()),
    })
}

fn codes(concept: Option<&fhir::CodeableConcept>) -> Vec<Code> {
    concept
        .map(|c| c.coding.iter().filter_map(code).collect())
        .unwrap_or_default()
}

fn first_code(concept: Option<&fhir::CodeableConcept>) -> Option<String> {
    concept?.first_code().map(str::to_owned)
}

fn category_codes(categories: &[fhir::CodeableConcept]) -> Vec<String> {
    categories
        .iter()
        .flat_map(|c| c.coding.iter())
        .filter_map(|c| non_empty(c.code.as_ref()))
        .collect()
}

fn encounter_summary(e: &fhir::Encounter) -> EncounterSummary {
    let period = e.period.as_ref();
    EncounterSummary {
        id: e.id.clone().unwrap_or_default(),
        status: e.status.clone(),
        class: e.class.as_ref().and_then(code),
        types: e.types.iter().flat_map(|t| codes(Some(t))).collect(),
        reasons: e.reason_code.iter().flat_map(|r| codes(Some(r))).collect(),
        period_start: period.and_then(|p| non_empty(p.start.as_ref())),
        period_end: period.and_then(|p| non_empty(p.end.as_ref())),
        service_provider: e
            .service_provider
            .as_ref()
            .and_then(|r| non_empty(r.display.as_ref()).or(non_empty(r.reference.as_ref()))),
        last_updated: e.last_updated(),
    }
}

fn patient_summary(p: &fhir::Patient) -> PatientSummary {
    PatientSummary {
        id: p.id.clone().unwrap_or_default(),
        name: p.display_name(),
        birth_date: non_empty(p.birth_date.as_ref()),
        gender: non_empty(p.gender.as_ref()),
        identifiers: p
            .identifiers
            .iter()
            .filter_map(|i| {
                Some(PatientIdentifier {
                    system: non_empty(i.system.as_ref()),
                    value: non_empty(i.value.as_ref())?,
                })
            })
            .collect(),
    }
}

fn condition_summary(c: &fhir::Condition) -> ConditionSummary {
    ConditionSummary {
        id: c.id.clone(),
        codes: codes(c.code.as_ref()),
        text: c.code.as_ref().and_then(|c| non_empty(c.text.as_ref())),
        clinical_status: first_code(c.clinical_status.as_ref()),
        verification_status: first_code(c.verification_status.as_ref()),
        categories: category_codes(&c.category),
    }
}

fn measured(
    quantity: Option<&fhir::Quantity>,
    text: Option<&String>,
    concept: Option<&fhir::CodeableConcept>,
) -> MeasuredValue {
    let value_code = concept.and_then(|c| c.coding.iter().find_map(code));
    let concept_text = concept.and_then(|c| non_empty(c.text.as_ref()));
    let unit_code = quantity.and_then(|q| non_empty(q.code.as_ref()));
    MeasuredValue {
        value: quantity.and_then(|q| q.value).filter(|v| v.is_finite()),
        comparator: quantity.and_then(|q| non_empty(q.comparator.as_ref())),
        unit: quantity
            .and_then(|q| non_empty(q.unit.as_ref()))
            .or(unit_code.clone()),
        unit_code,
        value_text: non_empty(text)
            .or(concept_text)
            .or_else(|| value_code.as_ref().and_then(|c| c.display.clone())),
        value_code,
    }
}

fn observation_summary(o: &fhir::Observation) -> ObservationSummary {
    ObservationSummary {
        id: o.id.clone(),
        status: o.status.clone(),
        codes: codes(o.code.as_ref()),
        text: o.code.as_ref().and_then(|c| non_empty(c.text.as_ref())),
        categories: category_codes(&o.category),
        effective: non_empty(o.effective_date_time.as_ref()),
        value: measured(
            o.value_quantity.as_ref(),
            o.value_string.as_ref(),
            o.value_codeable_concept.as_ref(),
        ),
        components: o
            .component
            .iter()
            .map(|c| ComponentSummary {
                codes: codes(c.code.as_ref()),
                value: measured(
                    c.value_quantity.as_ref(),
                    c.value_string.as_ref(),
                    c.value_codeable_concept.as_ref(),
                ),
            })
            .collect(),
    }
}
