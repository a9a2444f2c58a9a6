//! Strict reading of a model's JSON answer into an [`Analysis`].

use serde_json::{Map, Value};

use super::AnalysisParseError;
use crate::domain::encounter::analysis::{Analysis, Criterion};
use crate::domain::validation::Problems;

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
