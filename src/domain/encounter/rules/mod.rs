//! The prior-authorization rule set: which encounter classes, procedure codes,
//! diagnoses and observation values make an encounter need prior authorization,
//! per payer. Loaded from TOML configuration or taken from the built-in default.
//!
//! # Configuration
//!
//! ```toml
//! name = "acme-2025"
//!
//! [[payers]]
//! payer = "*"                        # applies to every payer, and when none is known
//!
//! [[payers.encounter_classes]]       # matched against Encounter.class
//! code = "IMP"
//! system = "http://terminology.hl7.org/CodeSystem/v3-ActCode"   # optional
//! description = "Inpatient admission"
//!
//! [[payers.procedure_codes]]         # matched against Encounter.type codings
//! code = "70551"
//! system = "http://www.ama-assn.org/go/cpt"
//! description = "MRI brain without contrast"
//!
//! [[payers.diagnosis_prefixes]]      # ICD-10(-CM) code prefixes; dots are ignored
//! prefix = "J18"
//! description = "Pneumonia"
//!
//! [[payers.observation_thresholds]]  # LOINC-coded values and panel components
//! loinc = "59408-5"
//! operator = "lt"                    # lt, le, gt, ge (or <, <=, >, >=)
//! value = 92
//! unit = "%"                         # optional; must equal the UCUM code or unit shown
//! description = "SpO2 below 92%"
//! ```
//!
//! Every rule may also carry an `id`; otherwise one is derived (`diagnosis:J18`,
//! `observation:59408-5<92`...). Blocks whose `payer` equals the encounter's payer
//! (ignoring case) apply together with every `"*"` block. Unknown keys are rejected,
//! so a misspelt key cannot silently disable a rule.

mod analyze;
mod builtin;
#[cfg(test)]
mod tests;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::{Deserialize, Serialize};

use crate::domain::validation::Problems;

pub use analyze::analyze;

/// ICD-10-CM, the code system diagnosis prefixes match by default.
pub const ICD_10_CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
/// WHO ICD-10, also matched by default.
pub const ICD_10: &str = "http://hl7.org/fhir/sid/icd-10";
/// LOINC, the code system of observation thresholds.
pub const LOINC: &str = "http://loinc.org";

/// A named set of prior-authorization rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Name, reported as the analyzer `rules:<name>`.
    pub name: String,
    /// Rule blocks, one or more per payer.
    #[serde(default)]
    pub payers: Vec<PayerRules>,
}

/// The rules of one payer (or of every payer with `"*"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerRules {
    /// Payer name or id as the workflow knows it, or `"*"` for any payer.
    pub payer: String,
    /// Encounter classes needing prior authorization.
    #[serde(default)]
    pub encounter_classes: Vec<CodeRule>,
    /// Procedure or service codes (on the encounter type) needing prior authorization.
    #[serde(default)]
    pub procedure_codes: Vec<CodeRule>,
    /// Diagnosis code prefixes needing prior authorization.
    #[serde(default)]
    pub diagnosis_prefixes: Vec<DiagnosisRule>,
    /// Observation values needing prior authorization.
    #[serde(default)]
    pub observation_thresholds: Vec<ThresholdRule>,
}

/// An exact code, optionally within one code system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRule {
    /// Rule id; derived when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The code.
    pub code: String,
    /// Code system URI; any system when absent.
    #[serde(default)]
    pub system: Option<String>,
    /// What the rule means, for reviewers.
    pub description: String,
}

/// A diagnosis code prefix (`J18` matches `J18.9`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnosisRule {
    /// Rule id; derived when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Code prefix; case and dots are ignored.
    pub prefix: String,
    /// Code systems to match; ICD-10-CM and ICD-10 when absent.
    #[serde(default = "default_diagnosis_systems")]
    pub systems: Vec<String>,
    /// What the rule means, for reviewers.
    pub description: String,
}

fn default_diagnosis_systems() -> Vec<String> {
    vec![ICD_10_CM.to_owned(), ICD_10.to_owned()]
}

/// How an observed value is compared with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operator {
    /// Strictly below.
    #[serde(alias = "<")]
    Lt,
    /// Below or equal.
    #[serde(alias = "<=")]
    Le,
    /// Strictly above.
    #[serde(alias = ">")]
    Gt,
    /// Above or equal.
    #[serde(alias = ">=")]
    Ge,
}

impl Operator {
    /// True when `value <op> threshold`.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Operator::Lt => value < threshold,
            Operator::Le => value <= threshold,
            Operator::Gt => value > threshold,
            Operator::Ge => value >= threshold,
        }
    }

    /// The operator as a symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Operator::Lt => "<",
            Operator::Le => "<=",
            Operator::Gt => ">",
            Operator::Ge => ">=",
        }
    }
}

/// A threshold on a LOINC-coded observation or panel component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdRule {
    /// Rule id; derived when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// LOINC code of the observation or component.
    pub loinc: String,
    /// Comparison.
    pub operator: Operator,
    /// Threshold.
    pub value: f64,
    /// Required unit (UCUM code or displayed unit); values in other units are skipped.
    #[serde(default)]
    pub unit: Option<String>,
    /// What the rule means, for reviewers.
    pub description: String,
}

/// Why a rule set could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The TOML does not parse into a rule set.
    #[error("rule set does not parse: {0}")]
    Parse(String),
    /// The rule set parses but has invalid entries.
    #[error("rule set is invalid: {0}")]
    Invalid(Problems),
}

impl RuleSet {
    /// Parses and validates a rule set written in TOML.
    pub fn from_toml(text: &str) -> Result<RuleSet, RulesError> {
        let rules: RuleSet = Figment::from(Toml::string(text))
            .extract()
            .map_err(|e| RulesError::Parse(e.to_string()))?;
        rules.validate().map_err(RulesError::Invalid)?;
        Ok(rules)
    }

    /// Checks every entry, reporting all problems with pointers into the configuration.
    pub fn validate(&self) -> Result<(), Problems> {
        let mut problems = Problems::new();
        let blank = |s: &str| s.trim().is_empty();
        if blank(&self.name) {
            problems.push("/name", "must not be empty");
        }
        for (i, block) in self.payers.iter().enumerate() {
            let at = format!("/payers/{i}");
            if blank(&block.payer) {
                problems.push(format!("{at}/payer"), "must be a payer or \"*\"");
            }
            let lists = [
                ("encounter_classes", &block.encounter_classes),
                ("procedure_codes", &block.procedure_codes),
            ];
            for (list, rules) in lists {
                for (j, r) in rules.iter().enumerate() {
                    if blank(&r.code) {
                        problems.push(format!("{at}/{list}/{j}/code"), "must not be empty");
                    }
                    if blank(&r.description) {
                        problems.push(format!("{at}/{list}/{j}/description"), "must not be empty");
                    }
                }
            }
            for (j, r) in block.diagnosis_prefixes.iter().enumerate() {
                let at = format!("{at}/diagnosis_prefixes/{j}");
                if blank(&r.prefix) {
                    problems.push(format!("{at}/prefix"), "must not be empty");
                }
                if r.systems.is_empty() {
                    problems.push(
                        format!("{at}/systems"),
                        "must list at least one code system",
                    );
                }
                if blank(&r.description) {
                    problems.push(format!("{at}/description"), "must not be empty");
                }
            }
            for (j, r) in block.observation_thresholds.iter().enumerate() {
                let at = format!("{at}/observation_thresholds/{j}");
                if blank(&r.loinc) {
                    problems.push(format!("{at}/loinc"), "must not be empty");
                }
                if !r.value.is_finite() {
                    problems.push(format!("{at}/value"), "must be a finite number");
                }
                if blank(&r.description) {
                    problems.push(format!("{at}/description"), "must not be empty");
                }
            }
        }
        problems.into_result(())
    }
}

impl Default for RuleSet {
    /// The built-in rule set, see [`RuleSet::builtin`].
    fn default() -> Self {
        Self::builtin()
    }
}
