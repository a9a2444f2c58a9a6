//! Prior-authorization analysis by a chat-completions model: the prompt built from
//! the encounter's clinical facts, and the strict reading of the model's JSON answer.
//!
//! The prompt carries only what the decision needs: encounter class, types, reasons
//! and dates, the patient's gender and age (capped at "90 or older"), coded
//! diagnoses and observation results. Names, identifiers and resource ids are left
//! out.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::model::{Analysis, ClinicalData, Code, Criterion, MeasuredValue};
use crate::domain::validation::Problems;

/// Longest free-text result passed to the model.
const MAX_TEXT_CHARS: usize = 200;

const SYSTEM_PROMPT: &str = "You review a finished hospital encounter for a health plan \
and decide whether it requires prior authorization. Use only the clinical facts given; \
never invent facts. Answer with exactly one JSON object and nothing else, of this shape: \
{\"requiresPriorAuth\": true or false, \"criteriaMet\": [{\"rule\": \"short id of the \
criterion\", \"description\": \"the criterion\", \"evidence\": \"the codes or values from \
the facts that meet it\"}], \"justification\": \"two or three sentences\", \"confidence\": \
a number from 0 to 1}. Use an empty criteriaMet list when no criterion is met.";

/// Why a model's answer could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisParseError {
    /// The answer has no content.
    #[error("the model's answer is empty")]
    Empty,
    /// The answer is not JSON; the position is given, the content never echoed.
    #[error("the model's answer is not JSON (line {line}, column {column})")]
    NotJson {
        /// Line of the syntax error.
        line: usize,
        /// Column of the syntax error.
        column: usize,
    },
    /// The JSON does not have the expected members and types.
    #[error("the model's answer does not have the expected shape: {0}")]
    Invalid(Problems),
}

/// The system and user messages asking a model for a prior-authorization analysis.
pub fn analysis_messages(data: &ClinicalData) -> (String, String) {
    (SYSTEM_PROMPT.to_owned(), facts(data))
}

fn system_name(system: Option<&str>) -> Option<&'static str> {
    match system? {
        "http://hl7.org/fhir/sid/icd-10-cm" => Some("ICD-10-CM"),
        "http://hl7.org/fhir/sid/icd-10" => Some("ICD-10"),
        "http://snomed.info/sct" => Some("SNOMED CT"),
        "http://loinc.org" => Some("LOINC"),
        "http://www.ama-assn.org/go/cpt" => Some("CPT"),
        "http://terminology.hl7.org/CodeSystem/v3-ActCode" => Some("HL7 ActCode"),
        _ => None,
    }
}

fn code_text(code: &Code) -> String {
    let mut text = code.code.clone();
    if let Some(display) = &code.display {
        text.push(' ');
        text.push_str(display);
    }
    if let Some(system) = system_name(code.system.as_deref()) {
        text.push_str(&format!(" [{system}]"));
    }
    text
}

fn codes_text(codes: &[Code]) -> String {
    codes.iter().map(code_text).collect::<Vec<_>>().join(", ")
}

fn clipped(text: &str) -> String {
    text.chars().take(MAX_TEXT_CHARS).collect()
}

fn value_text(value: &MeasuredValue) -> Option<String> {
    if let Some(v) = value.value {
        let comparator = value.comparator.as_deref().unwrap_or("");
        let unit = value
            .unit
            .as_deref()
            .map(|u| format!(" {u}"))
            .unwrap_or_default();
        return Some(format!("{comparator}{v}{unit}"));
    }
    value.value_text.as_deref().map(clipped)
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

/// The JSON object inside a model's answer: the content of a fenced block if there
/// is one, else the text from the first `{` to the last `}`.
fn json_part(content: &str) -> &str {
    let text = content.trim();
    if let Some(start) = text.find("```") {
        // Skip the info string (e.g. `json`) after the opening fence.
        let body = text[start + 3..].trim_start_matches(|c: char| c.is_ascii_alphanumeric());
        let end = body.find("```").unwrap_or(body.len());
        return body[..end].trim();
    }
    match (text.find('{'), text.rfind('}')) {
        (Some(open), Some(close)) if open < close => &text[open..=close],
        _ => text,
    }
}

/// Reads a model's answer into an [`Analysis`] with analyzer `llm:<model>`.
///
/// Expected: `{"requiresPriorAuth": bool, "criteriaMet": [...], "justification":
/// "...", "confidence": 0.8}`, optionally inside a Markdown code fence. Criteria may
/// be objects (`description` required, `rule` and `evidence` optional) or plain
/// strings. Every shape problem is reported at once; the answer's text is never
/// echoed in errors.
pub fn parse_analysis(content: &str, model: &str) -> Result<Analysis, AnalysisParseError> {
    let json = json_part(content);
    if json.is_empty() {
        return Err(AnalysisParseError::Empty);
    }
    let value: Value = serde_json::from_str(json).map_err(|e| AnalysisParseError::NotJson {
        line: e.line(),
        column: e.column(),
    })?;
    let mut problems = Problems::new();
    let Some(object) = value.as_object() else {
        problems.push("", "must be a JSON object");
        return Err(AnalysisParseError::Invalid(problems));
    };
    let requires = object.get("requiresPriorAuth").and_then(Value::as_bool);
    if requires.is_none() {
        problems.push("/requiresPriorAuth", "must be true or false");
    }
    let criteria = read_criteria(object, &mut problems);
    let justification = object
        .get("justification")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if justification.is_none() {
        problems.push("/justification", "must be a non-empty string");
    }
    let confidence = object
        .get("confidence")
        .and_then(Value::as_f64)
        .filter(|c| (0.0..=1.0).contains(c));
    if confidence.is_none() {
        problems.push("/confidence", "must be a number from 0 to 1");
    }
    match (requires, justification, confidence) {
        (Some(requires), Some(justification), Some(confidence)) if problems.is_empty() => {
            Ok(Analysis {
                requires_prior_auth: requires,
                criteria_met: criteria,
                justification: justification.to_owned(),
                confidence: confidence as f32,
                analyzer: format!("llm:{model}"),
            })
        }
        _ => Err(AnalysisParseError::Invalid(problems)),
    }
}

fn read_criteria(object: &Map<String, Value>, problems: &mut Problems) -> Vec<Criterion> {
    let items = match object.get("criteriaMet") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            problems.push("/criteriaMet", "must be a list");
            return Vec::new();
        }
    };
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut criteria = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let default_rule = format!("llm:{}", i + 1);
        let criterion = match item {
            Value::String(_) => text(Some(item)).map(|description| Criterion {
                rule: default_rule,
                description,
                evidence: String::new(),
            }),
            Value::Object(fields) => text(fields.get("description")).map(|description| Criterion {
                rule: text(fields.get("rule")).unwrap_or(default_rule),
                description,
                evidence: text(fields.get("evidence")).unwrap_or_default(),
            }),
            _ => None,
        };
        match criterion {
            Some(c) => criteria.push(c),
            None => problems.push(
                format!("/criteriaMet/{i}"),
                "must be a non-empty string or an object with a description",
            ),
        }
    }
    criteria
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

    #[test]
    fn a_fenced_answer_becomes_an_analysis_by_the_model() {
        let content = "Here is my assessment:\n```json\n{\"requiresPriorAuth\": true,\n \"criteriaMet\": [{\"rule\": \"inpatient-pneumonia\", \"description\": \"Inpatient stay for pneumonia\", \"evidence\": \"J18.9, SpO2 91 %\"}, \"Tachycardia above 120/min\"],\n \"justification\": \"Inpatient admission for pneumonia with hypoxia.\", \"confidence\": 0.8}\n```";

        let analysis = parse_analysis(content, "gpt-4o-mini").unwrap();

        assert!(analysis.requires_prior_auth);
        assert_eq!(analysis.analyzer, "llm:gpt-4o-mini");
        assert_eq!(analysis.confidence, 0.8);
        assert_eq!(analysis.criteria_met[0].rule, "inpatient-pneumonia");
        assert_eq!(analysis.criteria_met[0].evidence, "J18.9, SpO2 91 %");
        assert_eq!(analysis.criteria_met[1].rule, "llm:2");
        assert_eq!(
            analysis.criteria_met[1].description,
            "Tachycardia above 120/min"
        );
        assert_eq!(
            analysis.justification,
            "Inpatient admission for pneumonia with hypoxia."
        );
    }

    #[test]
    fn a_bare_or_single_line_fenced_answer_is_accepted() {
        let bare = r#"{"requiresPriorAuth": false, "criteriaMet": [], "justification": "Routine visit.", "confidence": 1}"#;
        let fenced = format!("```JSON {bare}```");
        for content in [bare.to_owned(), fenced] {
            let analysis = parse_analysis(&content, "local-llama").unwrap();
            assert!(!analysis.requires_prior_auth);
            assert!(analysis.criteria_met.is_empty());
            assert_eq!(analysis.confidence, 1.0);
        }
    }

    #[test]
    fn every_shape_problem_of_an_answer_is_reported() {
        let content =
            r#"{"requiresPriorAuth": "yes", "criteriaMet": [{"rule": "x"}, 3], "confidence": 80}"#;

        let Err(AnalysisParseError::Invalid(problems)) = parse_analysis(content, "m") else {
            panic!("expected shape problems");
        };

        let pointers: Vec<_> = problems
            .as_slice()
            .iter()
            .map(|p| p.pointer.as_str())
            .collect();
        assert_eq!(
            pointers,
            [
                "/requiresPriorAuth",
                "/criteriaMet/0",
                "/criteriaMet/1",
                "/justification",
                "/confidence"
            ]
        );
    }

    #[test]
    fn answers_that_are_not_json_objects_are_clear_errors_without_echoing_them() {
        let err = parse_analysis("The patient Ada Okafor needs prior auth.", "m").unwrap_err();
        assert!(matches!(err, AnalysisParseError::NotJson { .. }), "{err:?}");
        assert!(!err.to_string().contains("Okafor"));

        assert!(matches!(
            parse_analysis("  ", "m"),
            Err(AnalysisParseError::Empty)
        ));
        assert!(matches!(
            parse_analysis("```json\n```", "m"),
            Err(AnalysisParseError::Empty)
        ));
        let err = parse_analysis("[true]", "m").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the model's answer does not have the expected shape: : must be a JSON object"
        );
    }
}
