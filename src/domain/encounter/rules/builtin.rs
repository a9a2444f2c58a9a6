//! The built-in rule set `default`: a conservative, commonly seen set of prior-
//! authorization triggers for any payer. Deployments replace it with their payers'
//! own lists through configuration.

use super::{CodeRule, DiagnosisRule, Operator, PayerRules, RuleSet, ThresholdRule};
use super::{ICD_10, ICD_10_CM};

const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const CPT: &str = "http://www.ama-assn.org/go/cpt";

fn code(system: &str, code: &str, description: &str) -> CodeRule {
    CodeRule {
        id: None,
        code: code.to_owned(),
        system: Some(system.to_owned()),
        description: description.to_owned(),
    }
}

fn diagnosis(prefix: &str, description: &str) -> DiagnosisRule {
    DiagnosisRule {
        id: None,
        prefix: prefix.to_owned(),
        systems: vec![ICD_10_CM.to_owned(), ICD_10.to_owned()],
        description: description.to_owned(),
    }
}

fn threshold(
    loinc: &str,
    operator: Operator,
    value: f64,
    unit: &str,
    description: &str,
) -> ThresholdRule {
    ThresholdRule {
        id: None,
        loinc: loinc.to_owned(),
        operator,
        value,
        unit: Some(unit.to_owned()),
        description: description.to_owned(),
    }
}

impl RuleSet {
    /// The built-in rule set, named `default`, applying to every payer (`"*"`):
    ///
    /// - encounter classes `IMP`, `ACUTE`, `NONAC` (inpatient stays);
    /// - CPT `70551`, `72148` (MRI brain, MRI lumbar spine) and `27447` (total knee
    ///   arthroplasty);
    /// - ICD-10-CM prefixes `J18` pneumonia, `I50` heart failure, `J96` respiratory
    ///   failure, `A41` sepsis, `N17` acute kidney failure;
    /// - SpO2 (`59408-5` pulse oximetry, `2708-6` arterial) below 92 %, heart rate
    ///   (`8867-4`) above 120/min, respiratory rate (`9279-1`) above 24/min, systolic
    ///   pressure (`8480-6`) below 90 `mm[Hg]`, body temperature (`8310-5`) above 39 `Cel`.
    pub fn builtin() -> RuleSet {
        RuleSet {
            name: "default".to_owned(),
            payers: vec![PayerRules {
                payer: "*".to_owned(),
                encounter_classes: vec![
                    code(ACT_CODE, "IMP", "Inpatient admission"),
                    code(ACT_CODE, "ACUTE", "Inpatient acute admission"),
                    code(ACT_CODE, "NONAC", "Inpatient non-acute admission"),
                ],
                procedure_codes: vec![
                    code(CPT, "70551", "MRI brain without contrast"),
                    code(CPT, "72148", "MRI lumbar spine without contrast"),
                    code(CPT, "27447", "Total knee arthroplasty"),
                ],
                diagnosis_prefixes: vec![
                    diagnosis("J18", "Pneumonia"),
                    diagnosis("I50", "Heart failure"),
                    diagnosis("J96", "Respiratory failure"),
                    diagnosis("A41", "Sepsis"),
                    diagnosis("N17", "Acute kidney failure"),
                ],
                observation_thresholds: vec![
                    threshold(
                        "59408-5",
                        Operator::Lt,
                        92.0,
                        "%",
                        "SpO2 by pulse oximetry below 92%",
                    ),
                    threshold(
                        "2708-6",
                        Operator::Lt,
                        92.0,
                        "%",
                        "Arterial O2 saturation below 92%",
                    ),
                    threshold(
                        "8867-4",
                        Operator::Gt,
                        120.0,
                        "/min",
                        "Heart rate above 120/min",
                    ),
                    threshold(
                        "9279-1",
                        Operator::Gt,
                        24.0,
                        "/min",
                        "Respiratory rate above 24/min",
                    ),
                    threshold(
                        "8480-6",
                        Operator::Lt,
                        90.0,
                        "mm[Hg]",
                        "Systolic blood pressure below 90 mmHg",
                    ),
                    threshold(
                        "8310-5",
                        Operator::Gt,
                        39.0,
                        "Cel",
                        "Body temperature above 39 °C",
                    ),
                ],
            }],
        }
    }
}
