//! The outcome of a prior-authorization analysis, whoever made it (rules or a model).

use serde::{Deserialize, Serialize};

/// One criterion that was met, with what in the record met it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Criterion {
    /// Stable id of the rule, e.g. `diagnosis:J18`.
    pub rule: String,
    /// What the rule means, for reviewers.
    pub description: String,
    /// The record entries that met it, e.g. `Condition/cond-77 J18.9 Pneumonia`.
    pub evidence: String,
}

/// The outcome of a prior-authorization analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    /// Whether the encounter needs prior authorization.
    pub requires_prior_auth: bool,
    /// The criteria that were met.
    pub criteria_met: Vec<Criterion>,
    /// Why, in a sentence or two.
    pub justification: String,
    /// Confidence in the recommendation, 0 to 1 (each analyzer documents how).
    pub confidence: f32,
    /// Who decided: `rules:<rule set>` or `llm:<model>`.
    pub analyzer: String,
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
