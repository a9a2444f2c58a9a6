//! Realistic clinical data for the encounter tests, built from FHIR JSON through the
//! same conversion production uses.

use serde_json::{Value, json};

use super::model::ClinicalData;
use crate::providers::fhir;

fn parse<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn condition(id: &str, code: &str, display: &str, verification: &str) -> fhir::Condition {
    parse(json!({"resourceType": "Condition", "id": id,
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": verification}]},
        "category": [{"coding": [{"code": "encounter-diagnosis"}]}],
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code,
                             "display": display}]}}))
}

fn vital(
    id: &str,
    loinc: &str,
    display: &str,
    value: f64,
    unit: &str,
    ucum: &str,
) -> fhir::Observation {
    parse(
        json!({"resourceType": "Observation", "id": id, "status": "final",
        "category": [{"coding": [{"code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc, "display": display}]},
        "effectiveDateTime": "2025-03-01T08:00:00Z",
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org",
                          "code": ucum}}),
    )
}

fn patient() -> fhir::Patient {
    parse(json!({"resourceType": "Patient", "id": "pat-42",
        "name": [{"use": "official", "family": "Okafor", "given": ["Ada"]}],
        "birthDate": "1961-07-14", "gender": "female",
        "identifier": [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": "MRN-0042"}]}))
}

fn encounter(class: &str) -> fhir::Encounter {
    parse(json!({"resourceType": "Encounter", "id": "enc-9001",
        "meta": {"lastUpdated": "2025-03-03T14:05:00Z"}, "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": class},
        "type": [{"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "99223",
                              "display": "Initial hospital care"}]}],
        "subject": {"reference": "Patient/pat-42"},
        "period": {"start": "2025-02-28T09:30:00Z", "end": "2025-03-03T13:50:00Z"},
        "serviceProvider": {"reference": "Organization/org-1", "display": "Riverside General"}}))
}

/// An inpatient pneumonia admission with low SpO2 and tachycardia.
pub(super) fn pneumonia_admission() -> ClinicalData {
    let bp: fhir::Observation = parse(json!({"resourceType": "Observation", "id": "obs-7",
        "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9",
            "display": "Blood pressure panel"}]},
        "component": [
          {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6", "display": "Systolic"}]},
           "valueQuantity": {"value": 150, "unit": "mmHg", "code": "mm[Hg]"}},
          {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4", "display": "Diastolic"}]},
           "valueQuantity": {"value": 95, "unit": "mmHg", "code": "mm[Hg]"}}]}));
    ClinicalData::from_fhir(
        &encounter("IMP"),
        &patient(),
        &[
            condition(
                "cond-77",
                "J18.9",
                "Pneumonia, unspecified organism",
                "confirmed",
            ),
            condition(
                "cond-78",
                "E11.9",
                "Type 2 diabetes mellitus without complications",
                "confirmed",
            ),
            condition("cond-79", "I50.9", "Heart failure, unspecified", "refuted"),
        ],
        &[
            vital(
                "obs-5",
                "59408-5",
                "Oxygen saturation by pulse oximetry",
                91.0,
                "%",
                "%",
            ),
            vital(
                "obs-6",
                "8867-4",
                "Heart rate",
                128.0,
                "beats/minute",
                "/min",
            ),
            bp,
        ],
    )
}

/// A routine ambulatory visit with normal vitals.
pub(super) fn routine_visit() -> ClinicalData {
    ClinicalData::from_fhir(
        &encounter("AMB"),
        &patient(),
        &[condition(
            "cond-1",
            "Z00.00",
            "Encounter for general adult medical examination",
            "confirmed",
        )],
        &[
            vital(
                "obs-1",
                "59408-5",
                "Oxygen saturation by pulse oximetry",
                98.0,
                "%",
                "%",
            ),
            vital(
                "obs-2",
                "8867-4",
                "Heart rate",
                72.0,
                "beats/minute",
                "/min",
            ),
        ],
    )
}

/// The pneumonia admission with what a payer submission needs: an active and a
/// cancelled coverage, an admitter and an attending practitioner (with NPI), and
/// two service requests, one of them for a single day.
pub(super) fn pneumonia_submission() -> ClinicalData {
    let mut encounter = encounter("IMP");
    encounter.participant = parse(json!([
        {"type": [{"coding": [{"code": "ADM", "display": "admitter"}]}],
         "individual": {"reference": "Practitioner/pr-9", "display": "Dr. Night"}},
        {"type": [{"coding": [{"code": "ATND", "display": "attender"}]}],
         "individual": {"reference": "Practitioner/pr-1", "display": "Dr. M. Alvarez"}}]));
    let coverage: fhir::Coverage = parse(json!({"resourceType": "Coverage", "id": "cov-1",
        "status": "active", "subscriberId": "SUB-1", "order": 1,
        "identifier": [{"type": {"coding": [{"code": "MB"}]}, "value": "AH-0042-01"}],
        "payor": [{"reference": "Organization/acme", "display": "Acme Health"}],
        "class": [{"type": {"coding": [{"code": "plan"}]}, "value": "GOLD", "name": "Gold PPO"}]}));
    let practitioner: fhir::Practitioner = parse(json!({"resourceType": "Practitioner",
        "id": "pr-1", "name": [{"family": "Alvarez", "given": ["Maria"]}],
        "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}]}));
    let request =
        |code: &str, display: &str, quantity: Value, when: Value| -> fhir::ServiceRequest {
            let mut r = json!({"resourceType": "ServiceRequest", "status": "active",
            "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": code,
                                 "display": display}]},
            "quantityQuantity": quantity});
            for (k, v) in when.as_object().unwrap() {
                r[k] = v.clone();
            }
            parse(r)
        };
    let requests = [
        request(
            "94760",
            "Pulse oximetry",
            json!({"value": 4, "unit": "tests"}),
            json!({"occurrenceDateTime": "2025-03-10"}),
        ),
        request(
            "97110",
            "Therapeutic exercises",
            json!({"value": 12}),
            json!({"occurrencePeriod": {"start": "2025-03-04", "end": "2025-04-04"}}),
        ),
    ];
    pneumonia_admission().with_submission_details(
        &encounter,
        &[coverage],
        Some(&practitioner),
        &requests,
    )
}
