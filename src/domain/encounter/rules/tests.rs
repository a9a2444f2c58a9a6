//! Tests of rule set loading and of the analysis: met and unmet cases, payer
//! selection, code and unit matching, confidence.

use super::*;
use crate::domain::encounter::analysis::Analysis;
use crate::domain::encounter::test_support::{pneumonia_admission, routine_visit};

#[test]
fn a_rule_set_is_read_from_toml_with_defaults_filled_in() {
    let rules = RuleSet::from_toml(
        r#"
            name = "acme-2025"
            [[payers]]
            payer = "Acme Health"
            [[payers.diagnosis_prefixes]]
            prefix = "J18"
            description = "Pneumonia"
            [[payers.observation_thresholds]]
            loinc = "8867-4"
            operator = ">"
            value = 120
            unit = "/min"
            description = "Heart rate above 120/min"
            "#,
    )
    .unwrap();
    let block = &rules.payers[0];
    assert_eq!(block.diagnosis_prefixes[0].systems, [ICD_10_CM, ICD_10]);
    assert_eq!(block.observation_thresholds[0].operator, Operator::Gt);
    assert_eq!(block.observation_thresholds[0].value, 120.0);
    assert!(block.encounter_classes.is_empty());
}

#[test]
fn a_misspelt_key_is_rejected_rather_than_ignored() {
    let err = RuleSet::from_toml(
            "name = \"x\"\n[[payers]]\npayer = \"*\"\n[[payers.diagnosis_prefix]]\nprefix = \"J18\"\ndescription = \"d\"\n",
        )
        .unwrap_err();
    assert!(matches!(err, RulesError::Parse(_)), "{err:?}");
}

#[test]
fn every_invalid_entry_is_reported_at_once() {
    let err = RuleSet::from_toml(
        r#"
            name = " "
            [[payers]]
            payer = "*"
            [[payers.procedure_codes]]
            code = ""
            description = "MRI"
            [[payers.diagnosis_prefixes]]
            prefix = "I50"
            systems = []
            description = ""
            "#,
    )
    .unwrap_err();
    let RulesError::Invalid(problems) = err else {
        panic!("expected validation problems, got {err:?}");
    };
    let pointers: Vec<_> = problems
        .as_slice()
        .iter()
        .map(|p| p.pointer.as_str())
        .collect();
    assert_eq!(
        pointers,
        [
            "/name",
            "/payers/0/procedure_codes/0/code",
            "/payers/0/diagnosis_prefixes/0/systems",
            "/payers/0/diagnosis_prefixes/0/description",
        ]
    );
}

#[test]
fn the_built_in_rule_set_is_valid_and_round_trips_through_serde() {
    let builtin = RuleSet::default();
    assert!(builtin.validate().is_ok());
    let json = serde_json::to_value(&builtin).unwrap();
    let back: RuleSet = serde_json::from_value(json).unwrap();
    assert_eq!(back, builtin);
}

fn rules_of(analysis: &Analysis) -> Vec<&str> {
    analysis
        .criteria_met
        .iter()
        .map(|c| c.rule.as_str())
        .collect()
}

fn only_diagnosis(payer: &str, prefix: &str) -> RuleSet {
    RuleSet::from_toml(&format!(
            "name = \"narrow\"\n[[payers]]\npayer = \"{payer}\"\n[[payers.diagnosis_prefixes]]\nprefix = \"{prefix}\"\ndescription = \"Listed diagnosis\"\n"
        ))
        .unwrap()
}

#[test]
fn an_inpatient_pneumonia_with_low_oxygen_requires_prior_authorization() {
    let analysis = analyze(
        &RuleSet::default(),
        &pneumonia_admission(),
        Some("Acme Health"),
    );

    assert!(analysis.requires_prior_auth);
    assert_eq!(
        rules_of(&analysis),
        [
            "encounter-class:IMP",
            "diagnosis:J18",
            "observation:59408-5<92",
            "observation:8867-4>120"
        ]
    );
    let pneumonia = &analysis.criteria_met[1];
    assert_eq!(
        pneumonia.evidence,
        "Condition/cond-77 J18.9 Pneumonia, unspecified organism"
    );
    assert_eq!(
        analysis.criteria_met[2].evidence,
        "Observation/obs-5 91 % at 2025-03-01T08:00:00Z"
    );
    assert_eq!(analysis.confidence, 0.95);
    assert_eq!(analysis.analyzer, "rules:default");
    assert!(analysis.justification.contains("4 criteria met"));
    assert!(analysis.justification.contains("payer Acme Health"));
}

#[test]
fn a_refuted_diagnosis_does_not_count() {
    let analysis = analyze(&RuleSet::default(), &pneumonia_admission(), None);
    assert!(!rules_of(&analysis).contains(&"diagnosis:I50"));
}

#[test]
fn a_routine_visit_with_normal_vitals_needs_no_prior_authorization() {
    let analysis = analyze(&RuleSet::default(), &routine_visit(), None);

    assert!(!analysis.requires_prior_auth);
    assert!(analysis.criteria_met.is_empty());
    assert_eq!(analysis.confidence, 0.9);
    assert!(
        analysis
            .justification
            .contains("checked 1 coded diagnoses and 2 numeric observations"),
        "{}",
        analysis.justification
    );
}

#[test]
fn payer_rules_apply_only_to_their_payer_ignoring_case() {
    let rules = only_diagnosis("Acme Health", "J18");
    let data = pneumonia_admission();

    let acme = analyze(&rules, &data, Some("ACME HEALTH"));
    assert!(acme.requires_prior_auth);
    assert_eq!(acme.confidence, 0.7);

    for payer in [Some("Other Mutual"), None] {
        let other = analyze(&rules, &data, payer);
        assert!(!other.requires_prior_auth);
        assert_eq!(other.confidence, 0.3);
        assert!(other.justification.contains("has no rules for"));
    }
}

#[test]
fn diagnosis_prefixes_ignore_dots_and_case_but_not_the_code_system() {
    let data = pneumonia_admission();
    assert!(analyze(&only_diagnosis("*", "j18.9"), &data, None).requires_prior_auth);
    assert!(!analyze(&only_diagnosis("*", "J18.0"), &data, None).requires_prior_auth);

    let mut snomed = data.clone();
    snomed.conditions[0].codes[0].system = Some("http://snomed.info/sct".into());
    assert!(!analyze(&only_diagnosis("*", "J18"), &snomed, None).requires_prior_auth);
}

#[test]
fn values_in_another_unit_or_given_as_bounds_are_not_compared() {
    let rules = RuleSet::default();
    let mut data = routine_visit();
    data.observations[0].value.value = Some(85.0);
    assert!(rules_of(&analyze(&rules, &data, None)).contains(&"observation:59408-5<92"));

    let mut bound = data.clone();
    bound.observations[0].value.comparator = Some("<".into());
    assert!(!analyze(&rules, &bound, None).requires_prior_auth);

    let mut other_unit = data.clone();
    other_unit.observations[0].value.unit = Some("fraction".into());
    other_unit.observations[0].value.unit_code = Some("1".into());
    assert!(!analyze(&rules, &other_unit, None).requires_prior_auth);
}

#[test]
fn thresholds_also_match_panel_components() {
    let mut data = pneumonia_admission();
    data.observations[2].components[0].value.value = Some(84.0);

    let analysis = analyze(&RuleSet::default(), &data, None);

    let systolic = analysis
        .criteria_met
        .iter()
        .find(|c| c.rule == "observation:8480-6<90")
        .unwrap();
    assert_eq!(
        systolic.evidence,
        "Observation/obs-7 component 8480-6 84 mmHg"
    );
}

#[test]
fn the_same_rule_from_two_blocks_is_reported_once_and_ids_can_be_configured() {
    let mut rules = only_diagnosis("*", "J18");
    let mut acme = rules.payers[0].clone();
    acme.payer = "Acme".into();
    rules.payers.push(acme);
    let mut named = rules.payers[0].diagnosis_prefixes[0].clone();
    named.id = Some("acme-pa-7".into());
    rules.payers[1].diagnosis_prefixes.push(named);

    let analysis = analyze(&rules, &pneumonia_admission(), Some("Acme"));

    assert_eq!(rules_of(&analysis), ["diagnosis:J18", "acme-pa-7"]);
}

#[test]
fn analysis_is_deterministic() {
    let data = pneumonia_admission();
    let rules = RuleSet::default();
    assert_eq!(analyze(&rules, &data, None), analyze(&rules, &data, None));
    assert_eq!(Operator::Le.symbol(), "<=");
    assert!(Operator::Ge.holds(120.0, 120.0) && !Operator::Gt.holds(120.0, 120.0));
}
