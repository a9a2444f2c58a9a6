//! The outcome of a prior-authorization analysis, whoever made it (rules or a model).

use serde::{Deserialize, Serialize};

/// One criterion that was met, with what in the record met it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PriorAuthCriterion)]
pub struct Criterion {
    /// Stable id of the rule, e.g. `diagnosis:J18`.
    pub rule: String,
    /// What the rule means, for reviewers.
    pub description: String,
    /// The record entries that met it, e.g. `Condition/cond-77 J18.9 Pneumonia`.
    pub evidence: String,
}

/// The outcome of a prior-authorization analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PriorAuthAnalysis)]
pub struct Analysis {
    /// Whether the encounter needs prior authorization.
    pub requires_prior_auth: bool,
    /// The criteria that were met.
    pub criteria_met: Vec<Criterion>,
    /// Why, in a sentence or two.
    pub justification: String,
    /// Confidence in the recommendation, 0 to 1 (each analyzer documents how).
    #[serde(serialize_with = "shortest_decimal")]
    #[schema(minimum = 0, maximum = 1)]
    pub confidence: f32,
    /// Who decided: `rules:<rule set>` or `llm:<model>`.
    #[schema(example = "rules:default")]
    pub analyzer: String,
}

/// Writes an `f32` as the shortest decimal that reads back as it (`0.8`, not
/// `0.800000011920929` as widening to `f64` would give).
fn shortest_decimal<S: serde::Serializer>(value: &f32, s: S) -> Result<S::Ok, S::Error> {
    let widened = value
        .to_string()
        .parse::<f64>()
        .unwrap_or(f64::from(*value));
    s.serialize_f64(widened)
}

impl Analysis {
    /// The recommendation in words, as printed on the form.
    pub fn recommendation(&self) -> &'static str {
        if self.requires_prior_auth {
            "Prior authorization required"
        } else {
            "Prior authorization not required"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_is_written_as_the_decimal_it_was_given() {
        let analysis = Analysis {
            requires_prior_auth: true,
            criteria_met: Vec::new(),
            justification: "x".into(),
            confidence: 0.8,
            analyzer: "rules:default".into(),
        };
        let json = serde_json::to_value(&analysis).unwrap();
        assert_eq!(json["confidence"], serde_json::json!(0.8));
        let back: Analysis = serde_json::from_value(json).unwrap();
        assert_eq!(back.confidence, 0.8);
    }
}
