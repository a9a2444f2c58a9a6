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
        ("a bit of a fever, 37.9", Severity::Moderate, &["fever"]),
        ("fever 100 F", Severity::Moderate, &["fever"]),
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
        (
            "swelling around the incision",
            Severity::Moderate,
            &["swelling"],
        ),
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

/// Every message the issue reported as classified NONE, with the severity it must get.
#[test]
fn the_reported_missed_messages_are_caught() {
    check(&[
        (
            "I feel like killing myself",
            Severity::Critical,
            &["self-harm"],
        ),
        ("I want to hurt myself", Severity::Critical, &["self-harm"]),
        (
            "I took all my pills at once",
            Severity::Critical,
            &["overdose-or-poisoning"],
        ),
        ("temperature is 101.5", Severity::High, &["high-fever"]),
        ("blood in my stool", Severity::High, &["blood-in-stool"]),
        (
            "SOB and my ankles are huge",
            Severity::High,
            &["breathing-difficulty", "leg-swelling"],
        ),
        (
            "I fell and hit my head",
            Severity::High,
            &["head-injury", "fall"],
        ),
        (
            "chest pain and cannot breathe",
            Severity::Critical,
            &["breathing-emergency", "chest-pain"],
        ),
    ]);
}

#[test]
fn self_harm_overdose_and_poisoning_are_critical() {
    check(&[
        ("I want to kill myself", Severity::Critical, &["self-harm"]),
        (
            "thinking about ending my life",
            Severity::Critical,
            &["self-harm"],
        ),
        ("I'd be better off dead", Severity::Critical, &["self-harm"]),
        (
            "I overdosed on my meds",
            Severity::Critical,
            &["overdose-or-poisoning"],
        ),
        (
            "took too many pills",
            Severity::Critical,
            &["overdose-or-poisoning"],
        ),
        (
            "my son drank bleach",
            Severity::Critical,
            &["overdose-or-poisoning"],
        ),
        (
            "I think I was poisoned",
            Severity::Critical,
            &["overdose-or-poisoning"],
        ),
        // Taking the pills as prescribed is no overdose.
        ("taking all my pills on time", Severity::None, &[]),
    ]);
}

#[test]
fn fever_readings_count_from_38_celsius_or_100_4_fahrenheit_with_decimals() {
    check(&[
        ("temp 38.0", Severity::High, &["high-fever"]),
        ("temperature 38,3 C", Severity::High, &["high-fever"]),
        ("fever of 100.4F", Severity::High, &["high-fever"]),
        (
            "my temp is 100.4 degrees fahrenheit",
            Severity::High,
            &["high-fever"],
        ),
        ("temp 37.9 C", Severity::None, &[]),
        ("temp 100.3 F", Severity::None, &[]),
        // A reading in the other scale's range with the wrong unit is no fever.
        ("temp 98.6 F", Severity::None, &[]),
    ]);
}

#[test]
fn falls_head_injuries_blood_breathing_and_leg_swelling_are_high() {
    check(&[
        ("I had a fall in the bathroom", Severity::High, &["fall"]),
        ("mom fell yesterday", Severity::High, &["fall"]),
        (
            "fell asleep early, feeling good",
            Severity::None,
            &["reassurance"],
        ),
        (
            "bumped my head on the door",
            Severity::High,
            &["head-injury"],
        ),
        (
            "there is blood in my urine",
            Severity::High,
            &["blood-in-urine"],
        ),
        (
            "black stools since this morning",
            Severity::High,
            &["blood-in-stool"],
        ),
        ("threw up blood", Severity::High, &["vomiting-blood"]),
        ("blood in the vomit", Severity::High, &["vomiting-blood"]),
        (
            "some DOB when walking",
            Severity::High,
            &["breathing-difficulty"],
        ),
        (
            "out of breath on the stairs",
            Severity::High,
            &["breathing-difficulty"],
        ),
        ("my legs are swollen", Severity::High, &["leg-swelling"]),
        ("swelling in my ankles", Severity::High, &["leg-swelling"]),
        ("ankle swelling", Severity::High, &["leg-swelling"]),
        ("my legs aren't swollen", Severity::None, &[]),
    ]);
}

#[test]
fn chest_tightness_in_any_wording_is_critical() {
    check(&[
        ("my chest feels tight", Severity::Critical, &["chest-pain"]),
        ("tightness in my chest", Severity::Critical, &["chest-pain"]),
        ("pain in my chest", Severity::Critical, &["chest-pain"]),
        ("chest is tight", Severity::Critical, &["chest-pain"]),
    ]);
}

#[test]
fn spanish_replies_match_with_or_without_accents() {
    check(&[
        ("me quiero matar", Severity::Critical, &["self-harm"]),
        ("quiero morirme", Severity::Critical, &["self-harm"]),
        (
            "tomé todas mis pastillas de una vez",
            Severity::Critical,
            &["overdose-or-poisoning"],
        ),
        (
            "no puedo respirar",
            Severity::Critical,
            &["breathing-emergency"],
        ),
        (
            "tengo dolor en el pecho",
            Severity::Critical,
            &["chest-pain"],
        ),
        ("Dolor de pecho", Severity::Critical, &["chest-pain"]),
        ("pecho apretado", Severity::Critical, &["chest-pain"]),
        ("está inconsciente", Severity::Critical, &["unconscious"]),
        ("tuvo una convulsión", Severity::Critical, &["seizure"]),
        (
            "está sangrando mucho",
            Severity::Critical,
            &["heavy-bleeding"],
        ),
        (
            "creo que es un derrame cerebral",
            Severity::Critical,
            &["stroke-signs"],
        ),
        ("tengo fiebre de 38,5", Severity::High, &["high-fever"]),
        ("temperatura 101.5 grados", Severity::High, &["high-fever"]),
        ("sangre en las heces", Severity::High, &["blood-in-stool"]),
        ("orina con sangre", Severity::High, &["blood-in-urine"]),
        (
            "estoy vomitando sangre",
            Severity::High,
            &["vomiting-blood"],
        ),
        (
            "me falta el aire",
            Severity::High,
            &["breathing-difficulty"],
        ),
        (
            "me caí y me golpeé la cabeza",
            Severity::High,
            &["head-injury", "fall"],
        ),
        (
            "me cai y me golpee la cabeza",
            Severity::High,
            &["head-injury", "fall"],
        ),
        (
            "tengo los tobillos hinchados",
            Severity::High,
            &["leg-swelling"],
        ),
        ("dolor muy fuerte", Severity::High, &["severe-pain"]),
        ("estoy peor", Severity::High, &["worsening"]),
        ("me desmayé", Severity::High, &["fainting"]),
        (
            "no tengo fiebre, estoy bien",
            Severity::None,
            &["reassurance"],
        ),
        ("no estoy bien", Severity::Low, &["not-feeling-well"]),
        ("sin dolor", Severity::None, &[]),
    ]);
}
