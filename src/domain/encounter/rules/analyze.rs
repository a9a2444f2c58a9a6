//! Deterministic evaluation of a [`RuleSet`] against one encounter's clinical data.

use super::{CodeRule, DiagnosisRule, LOINC, PayerRules, RuleSet, ThresholdRule};
use crate::domain::encounter::analysis::{Analysis, Criterion};
use crate::domain::encounter::model::{ClinicalData, Code, MeasuredValue};

/// Evidence items listed per criterion before summarising the rest as a count.
const MAX_EVIDENCE_ITEMS: usize = 5;

/// What a rule looks at; criteria of several kinds corroborate each other.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Service,
    Diagnosis,
    Observation,
}

/// Decides whether the encounter needs prior authorization under `rules` for `payer`.
///
/// The blocks for `payer` (ignoring case) and all `"*"` blocks apply. Prior
/// authorization is required when at least one of their rules is met:
///
/// - an encounter-class rule, by `Encounter.class`;
/// - a procedure rule, by a coding of `Encounter.type`;
/// - a diagnosis rule, by a code of a condition that is not `refuted` (or by a reason
///   code of the encounter) starting with the prefix, ignoring case and dots;
/// - a threshold rule, by a LOINC-coded observation or panel component with an exact
///   value (no comparator) in the rule's unit, from an observation not `cancelled` or
///   `registered`.
///
/// Each rule met yields one [`Criterion`] listing the entries that met it.
///
/// `confidence` is computed as follows, rounded to two decimals:
///
/// - required: `0.6 + 0.1 × k + 0.05 × (n − k)`, at most 0.95, where `n` is the number
///   of criteria met and `k` the number of distinct kinds among them (service,
///   diagnosis, observation): independent kinds of evidence corroborate each other;
/// - not required: 0.5, plus 0.2 when a coded, non-refuted diagnosis was checked,
///   plus 0.2 when a numeric observation was checked: the more of the record the
///   rules could see, the more a negative answer means;
/// - no rule applies to the payer: 0.3.
pub fn analyze(rules: &RuleSet, data: &ClinicalData, payer: Option<&str>) -> Analysis {
    let blocks: Vec<&PayerRules> = rules.payers.iter().filter(|b| applies(b, payer)).collect();
    let mut met: Vec<(Kind, Criterion)> = Vec::new();
    for block in &blocks {
        let found = block
            .encounter_classes
            .iter()
            .filter_map(|r| class_criterion(r, data).map(|c| (Kind::Service, c)))
            .chain(
                block
                    .procedure_codes
                    .iter()
                    .filter_map(|r| procedure_criterion(r, data).map(|c| (Kind::Service, c))),
            )
            .chain(
                block
                    .diagnosis_prefixes
                    .iter()
                    .filter_map(|r| diagnosis_criterion(r, data).map(|c| (Kind::Diagnosis, c))),
            )
            .chain(
                block
                    .observation_thresholds
                    .iter()
                    .filter_map(|r| threshold_criterion(r, data).map(|c| (Kind::Observation, c))),
            );
        for (kind, criterion) in found {
            if !met.iter().any(|(_, c)| c.rule == criterion.rule) {
                met.push((kind, criterion));
            }
        }
    }

    let payer_text = match payer {
        Some(p) => format!("payer {p}"),
        None => "an unknown payer".to_owned(),
    };
    let analyzer = format!("rules:{}", rules.name);
    if !met.is_empty() {
        let mut kinds: Vec<Kind> = met.iter().map(|(k, _)| *k).collect();
        kinds.sort_by_key(|k| *k as u8);
        kinds.dedup();
        let (n, k) = (met.len() as f32, kinds.len() as f32);
        let confidence = (0.6 + 0.1 * k + 0.05 * (n - k)).min(0.95);
        let descriptions: Vec<&str> = met.iter().map(|(_, c)| c.description.as_str()).collect();
        return Analysis {
            requires_prior_auth: true,
            justification: format!(
                "Prior authorization required under rule set '{}' for {payer_text}: {} criteria met ({}).",
                rules.name,
                met.len(),
                descriptions.join("; ")
            ),
            criteria_met: met.into_iter().map(|(_, c)| c).collect(),
            confidence: round2(confidence),
            analyzer,
        };
    }

    let (confidence, justification) = if blocks.is_empty() {
        (
            0.3,
            format!("Rule set '{}' has no rules for {payer_text}.", rules.name),
        )
    } else {
        let diagnoses = data
            .conditions
            .iter()
            .filter(|c| usable_condition(c.verification_status.as_deref()) && !c.codes.is_empty())
            .count();
        let numeric = data
            .observations
            .iter()
            .filter(|o| {
                o.value.value.is_some() || o.components.iter().any(|c| c.value.value.is_some())
            })
            .count();
        let confidence =
            0.5 + if diagnoses > 0 { 0.2 } else { 0.0 } + if numeric > 0 { 0.2 } else { 0.0 };
        (
            confidence,
            format!(
                "No prior-authorization criterion of rule set '{}' met for {payer_text}; checked {diagnoses} coded diagnoses and {numeric} numeric observations.",
                rules.name
            ),
        )
    };
    Analysis {
        requires_prior_auth: false,
        criteria_met: Vec::new(),
        justification,
        confidence: round2(confidence),
        analyzer,
    }
}

fn round2(x: f32) -> f32 {
    (x * 100.0).round() / 100.0
}

fn applies(block: &PayerRules, payer: Option<&str>) -> bool {
    let wanted = block.payer.trim();
    wanted == "*" || payer.is_some_and(|p| p.trim().eq_ignore_ascii_case(wanted))
}

fn usable_condition(verification: Option<&str>) -> bool {
    !matches!(verification, Some("refuted" | "entered-in-error"))
}

fn rule_id(id: &Option<String>, derived: impl FnOnce() -> String) -> String {
    id.clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(derived)
}

fn criterion(rule: String, description: &str, evidence: Vec<String>) -> Option<Criterion> {
    if evidence.is_empty() {
        return None;
    }
    let mut shown: Vec<String> = evidence.iter().take(MAX_EVIDENCE_ITEMS).cloned().collect();
    if evidence.len() > MAX_EVIDENCE_ITEMS {
        shown.push(format!("and {} more", evidence.len() - MAX_EVIDENCE_ITEMS));
    }
    Some(Criterion {
        rule,
        description: description.to_owned(),
        evidence: shown.join("; "),
    })
}

fn code_matches(rule: &CodeRule, code: &Code) -> bool {
    code.code.trim() == rule.code.trim()
        && rule
            .system
            .as_deref()
            .is_none_or(|s| code.system.as_deref() == Some(s))
}

fn class_criterion(rule: &CodeRule, data: &ClinicalData) -> Option<Criterion> {
    let class = data
        .encounter
        .class
        .as_ref()
        .filter(|c| code_matches(rule, c));
    let evidence = class
        .map(|c| format!("Encounter/{} class {}", data.encounter.id, c.with_display()))
        .into_iter()
        .collect();
    let id = rule_id(&rule.id, || format!("encounter-class:{}", rule.code.trim()));
    criterion(id, &rule.description, evidence)
}

fn procedure_criterion(rule: &CodeRule, data: &ClinicalData) -> Option<Criterion> {
    let evidence = data
        .encounter
        .types
        .iter()
        .filter(|c| code_matches(rule, c))
        .map(|c| format!("Encounter/{} type {}", data.encounter.id, c.with_display()))
        .collect();
    let id = rule_id(&rule.id, || format!("procedure:{}", rule.code.trim()));
    criterion(id, &rule.description, evidence)
}

fn normalize_icd(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn diagnosis_criterion(rule: &DiagnosisRule, data: &ClinicalData) -> Option<Criterion> {
    let prefix = normalize_icd(&rule.prefix);
    let matches = |c: &Code| {
        c.system
            .as_deref()
            .is_some_and(|s| rule.systems.iter().any(|r| r == s))
            && normalize_icd(&c.code).starts_with(&prefix)
    };
    let from_conditions = data
        .conditions
        .iter()
        .filter(|c| usable_condition(c.verification_status.as_deref()))
        .flat_map(|c| {
            let id = c.id.as_deref().unwrap_or("?");
            c.codes
                .iter()
                .filter(|code| matches(code))
                .map(move |code| format!("Condition/{id} {}", code.with_display()))
        });
    let from_reasons = data
        .encounter
        .reasons
        .iter()
        .filter(|code| matches(code))
        .map(|code| {
            format!(
                "Encounter/{} reason {}",
                data.encounter.id,
                code.with_display()
            )
        });
    let evidence = from_conditions.chain(from_reasons).collect();
    let id = rule_id(&rule.id, || format!("diagnosis:{prefix}"));
    criterion(id, &rule.description, evidence)
}

fn value_meets(rule: &ThresholdRule, value: &MeasuredValue) -> Option<String> {
    let v = value.value?;
    if value.comparator.is_some() {
        return None;
    }
    if let Some(unit) = rule.unit.as_deref() {
        let same = |u: &Option<String>| u.as_deref() == Some(unit);
        if !same(&value.unit_code) && !same(&value.unit) {
            return None;
        }
    }
    if rule.operator.holds(v, rule.value) {
        value.shown()
    } else {
        None
    }
}

fn threshold_criterion(rule: &ThresholdRule, data: &ClinicalData) -> Option<Criterion> {
    let loinc = rule.loinc.trim();
    let is_loinc = |codes: &[Code]| {
        codes
            .iter()
            .any(|c| c.code == loinc && c.system.as_deref() == Some(LOINC))
    };
    let mut evidence = Vec::new();
    for o in &data.observations {
        if matches!(
            o.status.as_deref(),
            Some("cancelled" | "registered" | "entered-in-error")
        ) {
            continue;
        }
        let id = o.id.as_deref().unwrap_or("?");
        let when = o
            .effective
            .as_deref()
            .map(|t| format!(" at {t}"))
            .unwrap_or_default();
        if is_loinc(&o.codes)
            && let Some(shown) = value_meets(rule, &o.value)
        {
            evidence.push(format!("Observation/{id} {shown}{when}"));
        }
        for component in o.components.iter().filter(|c| is_loinc(&c.codes)) {
            if let Some(shown) = value_meets(rule, &component.value) {
                evidence.push(format!("Observation/{id} component {loinc} {shown}{when}"));
            }
        }
    }
    let id = rule_id(&rule.id, || {
        format!(
            "observation:{loinc}{}{}",
            rule.operator.symbol(),
            rule.value
        )
    });
    criterion(id, &rule.description, evidence)
}
