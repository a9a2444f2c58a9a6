//! The keyword table behind the check-in reply classifier (documented in the parent module).

use super::Severity;

/// One named rule: any of its phrases matching makes the reply at least `severity`.
#[derive(Debug)]
pub(super) struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    /// Space-separated words; a word ending in `*` matches any word starting with the stem.
    pub phrases: &'static [&'static str],
}

const fn rule(id: &'static str, severity: Severity, phrases: &'static [&'static str]) -> Rule {
    Rule {
        id,
        severity,
        phrases,
    }
}

/// Every keyword rule, highest severity first; `matched_rules` follows this order.
pub(super) const RULES: &[Rule] = &[
    rule(
        "breathing-emergency",
        Severity::Critical,
        &[
            "cant breathe",
            "cant breath",
            "cannot breathe",
            "can not breathe",
            "unable to breathe",
            "struggling to breathe",
            "not breathing",
        ],
    ),
    rule(
        "chest-pain",
        Severity::Critical,
        &[
            "chest pain*",
            "chest hurts",
            "chest tight*",
            "chest pressure",
        ],
    ),
    rule(
        "unconscious",
        Severity::Critical,
        &["unconscious", "unresponsive", "passed out", "wont wake up"],
    ),
    rule("seizure", Severity::Critical, &["seizure*", "convuls*"]),
    rule(
        "heavy-bleeding",
        Severity::Critical,
        &[
            "bleeding a lot",
            "bleeding heavily",
            "bleeding badly",
            "heavy bleeding",
            "lots of blood",
            "wont stop bleeding",
            "bleeding wont stop",
        ],
    ),
    rule(
        "self-harm",
        Severity::Critical,
        &[
            "suicid*",
            "kill myself",
            "end my life",
            "want to die",
            "self harm",
        ],
    ),
    rule(
        "stroke-signs",
        Severity::Critical,
        &["stroke", "face drooping", "slurred speech"],
    ),
    rule(
        "vomiting-blood",
        Severity::High,
        &[
            "vomiting blood",
            "vomited blood",
            "throwing up blood",
            "threw up blood",
            "blood in my vomit",
            "blood in vomit",
        ],
    ),
    rule(
        "severe-pain",
        Severity::High,
        &[
            "severe pain",
            "pain is severe",
            "extreme pain",
            "worst pain",
            "unbearable",
            "excruciating",
        ],
    ),
    rule(
        "worsening",
        Severity::High,
        &["worse", "worsening", "getting worse"],
    ),
    rule(
        "breathing-difficulty",
        Severity::High,
        &[
            "short of breath",
            "shortness of breath",
            "trouble breathing",
            "difficulty breathing",
            "hard to breathe",
            "breathless",
        ],
    ),
    rule(
        "fainting",
        Severity::High,
        &["fainted", "fainting", "blacked out"],
    ),
    rule(
        "pain",
        Severity::Moderate,
        &[
            "pain", "pains", "painful", "hurts", "hurting", "ache", "aches", "aching",
        ],
    ),
    rule(
        "swelling",
        Severity::Moderate,
        &["swelling", "swollen", "swelled"],
    ),
    rule(
        "vomiting",
        Severity::Moderate,
        &[
            "vomit*",
            "throwing up",
            "threw up",
            "nausea",
            "nauseous",
            "nauseated",
        ],
    ),
    rule(
        "dizziness",
        Severity::Moderate,
        &["dizzy", "dizziness", "lightheaded", "light headed"],
    ),
    rule(
        "poor-intake",
        Severity::Moderate,
        &[
            "not eating",
            "no appetite",
            "lost my appetite",
            "cant eat",
            "cannot eat",
            "not drinking",
            "cant keep anything down",
        ],
    ),
    rule(
        "confusion",
        Severity::Moderate,
        &["confused", "confusion", "disoriented"],
    ),
    rule(
        "fever",
        Severity::Moderate,
        &["fever*", "chills", "high temperature"],
    ),
    rule(
        "wound-concern",
        Severity::Moderate,
        &["pus", "oozing", "infected", "infection", "redness"],
    ),
    rule("bleeding", Severity::Moderate, &["bleeding"]),
    rule(
        "fatigue",
        Severity::Low,
        &["tired", "fatigue*", "exhausted", "sleepy", "weak"],
    ),
    rule(
        "mild-soreness",
        Severity::Low,
        &["a bit sore", "little sore", "sore", "stiff"],
    ),
    rule("question", Severity::Low, &["question*", "wondering"]),
    rule(
        "reassurance",
        Severity::None,
        &[
            "yes all good",
            "all good",
            "fine",
            "good",
            "better",
            "ok",
            "okay",
            "great",
            "well",
            "no problems",
            "no issues",
            "no complaints",
        ],
    ),
];

/// Words that negate a finding up to [`NEGATION_WINDOW`] words later in the same clause.
pub(super) const NEGATORS: &[&str] = &[
    "no", "not", "never", "without", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent",
    "havent", "hasnt", "hadnt", "nor", "denies", "deny", "none", "zero",
];

/// How many words before a finding a negator may stand.
pub(super) const NEGATION_WINDOW: usize = 4;

/// Words right after a finding that say it is over ("pain free", "bleeding stopped").
pub(super) const POST_NEGATORS: &[&str] = &["free", "gone", "resolved", "stopped"];

/// How many words after a finding a post-negator may stand ("pain is gone").
pub(super) const POST_NEGATION_WINDOW: usize = 2;

/// Words that start a new clause, ending the reach of a negation ("no fever but severe pain").
pub(super) const CLAUSE_WORDS: &[&str] = &["but", "however", "although", "though", "except", "yet"];

/// Words that make a number in the reply a body temperature reading.
pub(super) const TEMPERATURE_WORDS: &[&str] =
    &["fever*", "temp", "temps", "temperature", "febrile"];

/// High fever from this reading in degrees Celsius (102 °F is about 38.9 °C).
pub(super) const HIGH_FEVER_CELSIUS: f64 = 39.0;
/// High fever from this reading in degrees Fahrenheit.
pub(super) const HIGH_FEVER_FAHRENHEIT: f64 = 102.0;
