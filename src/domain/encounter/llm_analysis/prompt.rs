//! The chat-completions prompt for a prior-authorization analysis.
//!
//! The prompt carries only what the decision needs: encounter class, types, reasons
//! and dates, the patient's gender and age (capped at "90 or older"), coded
//! diagnoses and observation results. Names, identifiers and resource ids are left
//! out.

use chrono::NaiveDate;

use crate::domain::encounter::model::{ClinicalData, Code, MeasuredValue};

/// Longest free-text result passed to the model.
const MAX_TEXT_CHARS: usize = 200;

const SYSTEM_PROMPT: &str = "You review a finished hospital encounter for a health plan \
and decide whether it requires prior authorization. Use only the clinical facts given; \
never invent facts. Answer with exactly one JSON object and nothing else, of this shape: \
{\"requiresPriorAuth\": true or false, \"criteriaMet\": [{\"rule\": \"short id of the \
criterion\", \"description\": \"the criterion\", \"evidence\": \"the codes or values from \
the facts that meet it\"}], \"justification\": \"two or three sentences\", \"confidence\": \
a number from 0 to 1}. Use an empty criteriaMet list when no criterion is met.";

/// The system and user messages asking a model for a prior-authorization analysis.
pub fn analysis_messages(data: &ClinicalData) -> (String, String) {
    (SYSTEM_PROMPT.to_owned(), facts(data))
}

fn code_text(code: &Code) -> String {
    match code.system_label() {
        Some(system) => format!("{} [{system}]", code.with_display()),
        None => code.with_display(),
    }
}

fn codes_text(codes: &[Code]) -> String {
    codes.iter().map(code_text).collect::<Vec<_>>().join(", ")
}

fn clipped(text: &str) -> String {
    text.chars().take(MAX_TEXT_CHARS).collect()
}

/// A result as shown, free text clipped.
fn value_text(value: &MeasuredValue) -> Option<String> {
    value.shown().map(|v| clipped(&v))
}

fn facts(data: &ClinicalData) -> String {
    let e = &data.encounter;
    let mut lines = vec!["Encounter:".to_owned()];
    if let Some(class) = &e.class {
        lines.push(format!("- class: {}", code_text(class)));
    }
    if !e.types.is_empty() {
        lines.push(format!("- type: {}", codes_text(&e.types)));
    }
    if !e.reasons.is_empty() {
        lines.push(format!("- reason: {}", codes_text(&e.reasons)));
    }
    let period = |t: &Option<String>| t.clone().unwrap_or_else(|| "unknown".into());
    lines.push(format!(
        "- period: {} to {}",
        period(&e.period_start),
        period(&e.period_end)
    ));

    let mut patient = Vec::new();
    if let Some(gender) = &data.patient.gender {
        patient.push(gender.clone());
    }
    let start = e
        .period_start
        .as_deref()
        .and_then(|s| s.get(..10))
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    if let Some(age) = start.and_then(|d| data.patient.age_on(d)) {
        patient.push(if age >= 90 {
            "90 or older".to_owned()
        } else {
            format!("{age} years old")
        });
    }
    if !patient.is_empty() {
        lines.push(format!("Patient: {}", patient.join(", ")));
    }

    lines.push("Diagnoses:".to_owned());
    let diagnoses: Vec<_> = data
        .conditions
        .iter()
        .filter(|c| {
            !matches!(
                c.verification_status.as_deref(),
                Some("refuted" | "entered-in-error")
            )
        })
        .filter_map(|c| {
            let what = if c.codes.is_empty() {
                clipped(c.text.as_deref()?)
            } else {
                codes_text(&c.codes)
            };
            let status: Vec<&str> = [
                c.verification_status.as_deref(),
                c.clinical_status.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect();
            Some(if status.is_empty() {
                format!("- {what}")
            } else {
                format!("- {what} ({})", status.join(", "))
            })
        })
        .collect();
    push_or_none(&mut lines, diagnoses);

    lines.push("Observations:".to_owned());
    let observations: Vec<_> = data
        .observations
        .iter()
        .filter(|o| !matches!(o.status.as_deref(), Some("cancelled" | "entered-in-error")))
        .filter_map(|o| {
            let what = if o.codes.is_empty() {
                clipped(o.text.as_deref()?)
            } else {
                codes_text(&o.codes)
            };
            let mut results: Vec<String> = value_text(&o.value).into_iter().collect();
            results.extend(o.components.iter().filter_map(|c| {
                Some(format!(
                    "{}: {}",
                    codes_text(&c.codes),
                    value_text(&c.value)?
                ))
            }));
            if results.is_empty() {
                return None;
            }
            let when = o
                .effective
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default();
            Some(format!("- {what}: {}{when}", results.join("; ")))
        })
        .collect();
    push_or_none(&mut lines, observations);
    lines.join("\n")
}

fn push_or_none(lines: &mut Vec<String>, items: Vec<String>) {
    if items.is_empty() {
        lines.push("- none recorded".to_owned());
    } else {
        lines.extend(items);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::encounter::test_support::pneumonia_admission;

    #[test]
    fn the_prompt_states_clinical_facts_without_identifying_the_patient() {
        let (system, user) = analysis_messages(&pneumonia_admission());

        assert!(system.contains("\"requiresPriorAuth\""));
        for fact in [
            "class: IMP [HL7 ActCode]",
            "type: 99223 Initial hospital care [CPT]",
            "period: 2025-02-28T09:30:00Z to 2025-03-03T13:50:00Z",
            "Patient: female, 63 years old",
            "- J18.9 Pneumonia, unspecified organism [ICD-10-CM] (confirmed, active)",
            "- 59408-5 Oxygen saturation by pulse oximetry [LOINC]: 91 % at 2025-03-01T08:00:00Z",
            "8480-6 Systolic [LOINC]: 150 mmHg; 8462-4 Diastolic [LOINC]: 95 mmHg",
        ] {
            assert!(user.contains(fact), "missing {fact:?} in:\n{user}");
        }
        for private in [
            "Okafor", "Ada", "MRN-0042", "pat-42", "enc-9001", "cond-77", "obs-5", "1961",
        ] {
            assert!(!user.contains(private), "{private:?} leaked into:\n{user}");
        }
        assert!(
            !user.contains("I50.9"),
            "a refuted diagnosis was offered as a fact"
        );
    }

    #[test]
    fn ages_of_ninety_and_above_are_not_given_exactly() {
        let mut data = pneumonia_admission();
        data.patient.birth_date = Some("1921-01-01".into());
        let (_, user) = analysis_messages(&data);
        assert!(user.contains("Patient: female, 90 or older"), "{user}");
    }
}
