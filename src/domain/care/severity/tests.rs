use super::*;

fn check(cases: &[(&str, Severity, &[&str])]) {
    for (reply, severity, rules) in cases {
        let got = classify(reply);
        assert_eq!(got.severity, *severity, "severity of {reply:?}: {got:?}");
        assert_eq!(got.matched_rules, *rules, "rules of {reply:?}: {got:?}");
    }
}

#[test]
fn emergencies_are_critical() {
    check(&[
        (
            "I can't breathe",
            Severity::Critical,
            &["breathing-emergency"],
        ),
        (
            "I CAN’T BREATHE!!",
            Severity::Critical,
            &["breathing-emergency"],
        ),
        (
            "Having chest pains since last night",
            Severity::Critical,
            &["chest-pain"],
        ),
        (
            "my dad is unconscious",
            Severity::Critical,
            &["unconscious"],
        ),
        ("he had a seizure", Severity::Critical, &["seizure"]),
        (
            "the wound is bleeding a lot",
            Severity::Critical,
            &["heavy-bleeding"],
        ),
        ("feeling suicidal", Severity::Critical, &["self-harm"]),
        (
            "chest pain and I feel dizzy",
            Severity::Critical,
            &["chest-pain", "dizziness"],
        ),
    ]);
}

#[test]
fn high_findings_include_a_high_fever_reading_in_either_scale() {
    check(&[
        ("fever of 39.5", Severity::High, &["high-fever"]),
        (
            "I have a fever, 39,4 this morning",
            Severity::High,
            &["high-fever"],
        ),
        ("temp is 102F", Severity::High, &["high-fever"]),
        ("temperature 103 degrees f", Severity::High, &["high-fever"]),
        ("Temp 39°C", Severity::High, &["high-fever"]),
        ("I was vomiting blood", Severity::High, &["vomiting-blood"]),
        ("severe pain in my hip", Severity::High, &["severe-pain"]),
        ("it is getting worse", Severity::High, &["worsening"]),
    ]);
}

#[test]
fn a_fever_without_a_high_reading_is_moderate() {
    check(&[
        ("a bit of a fever, 38.2", Severity::Moderate, &["fever"]),
        ("fever 101 F", Severity::Moderate, &["fever"]),
        ("feverish", Severity::Moderate, &["fever"]),
        // A number without any fever word is not a temperature.
        (
            "walked 40 minutes today, feeling good",
            Severity::None,
            &["reassurance"],
        ),
    ]);
}

#[test]
fn moderate_findings() {
    check(&[
        ("some pain at the incision", Severity::Moderate, &["pain"]),
        ("ankle swelling", Severity::Moderate, &["swelling"]),
        ("I vomited twice", Severity::Moderate, &["vomiting"]),
        ("feeling dizzy", Severity::Moderate, &["dizziness"]),
        ("she is not eating", Severity::Moderate, &["poor-intake"]),
        ("no appetite at all", Severity::Moderate, &["poor-intake"]),
        ("mum seems confused", Severity::Moderate, &["confusion"]),
    ]);
}

#[test]
fn low_findings_and_questions() {
    check(&[
        ("just tired", Severity::Low, &["fatigue"]),
        ("a bit sore", Severity::Low, &["mild-soreness"]),
        (
            "I have a question about my pills",
            Severity::Low,
            &["question"],
        ),
        ("when is my appointment?", Severity::Low, &["question"]),
        (
            "is it ok to shower?",
            Severity::Low,
            &["question", "reassurance"],
        ),
    ]);
}

#[test]
fn reassuring_and_empty_replies_are_none() {
    check(&[
        ("Fine", Severity::None, &["reassurance"]),
        ("yes all good", Severity::None, &["reassurance"]),
        (
            "feeling much better, thanks",
            Severity::None,
            &["reassurance"],
        ),
        ("OK", Severity::None, &["reassurance"]),
        ("", Severity::None, &[]),
        ("thanks", Severity::None, &[]),
    ]);
    assert_eq!(classify("").reason, "NONE: empty reply");
    assert_eq!(classify("thanks").reason, "NONE: no rule matched");
}

#[test]
fn negated_findings_do_not_count() {
    check(&[
        ("no pain", Severity::None, &[]),
        ("not dizzy", Severity::None, &[]),
        ("I don't have any swelling", Severity::None, &[]),
        ("no chest pain, no fever", Severity::None, &[]),
        ("pain free today, good", Severity::None, &["reassurance"]),
        ("the bleeding has stopped", Severity::None, &[]),
        ("not worse", Severity::None, &[]),
        ("no fever, temp 37.1", Severity::None, &[]),
    ]);
}

#[test]
fn negation_stops_at_the_end_of_its_clause() {
    check(&[
        ("no fever but severe pain", Severity::High, &["severe-pain"]),
        ("no fever. pain in my leg", Severity::Moderate, &["pain"]),
        (
            "not dizzy, though swollen",
            Severity::Moderate,
            &["swelling"],
        ),
        // "not" belongs to the finding "not eating", so it does not negate dizzy.
        (
            "not eating and dizzy",
            Severity::Moderate,
            &["dizziness", "poor-intake"],
        ),
    ]);
}

#[test]
fn a_negated_reassurance_is_low() {
    check(&[
        ("not good", Severity::Low, &["not-feeling-well"]),
        ("I'm not feeling well", Severity::Low, &["not-feeling-well"]),
        (
            "no better than yesterday",
            Severity::Low,
            &["not-feeling-well"],
        ),
    ]);
}

#[test]
fn words_match_whole_words_only() {
    check(&[
        ("I took my painkillers", Severity::None, &[]),
        ("spainish class", Severity::None, &[]),
        ("worsted wool socks", Severity::None, &[]),
    ]);
}

#[test]
fn the_highest_severity_wins_and_the_reason_names_rules_only() {
    let got = classify("Tired, some swelling, and it's getting worse. Not dizzy.");
    assert_eq!(got.severity, Severity::High);
    assert_eq!(got.matched_rules, ["worsening", "swelling", "fatigue"]);
    assert_eq!(
        got.reason,
        "HIGH: worsening; also swelling, fatigue; negated dizziness"
    );
}

#[test]
fn the_verdict_serializes_with_upper_case_severity() {
    let json = serde_json::to_value(classify("chest pain")).unwrap();
    assert_eq!(json["severity"], "CRITICAL");
    assert_eq!(json["matchedRules"][0], "chest-pain");
    assert_eq!(json["reason"], "CRITICAL: chest-pain");
    assert!(Severity::Critical > Severity::High && Severity::Low > Severity::None);
}
