//! Deterministic severity classification of a patient's reply to a post-discharge check-in.
//!
//! The classifier is a documented keyword table, not a model: the same reply always gets the
//! same answer, and the answer names the rules that fired (never the reply text) so a nurse can
//! see why. It errs upward: when in doubt a finding counts.
//!
//! | Severity | Rule id | Phrases (whole words; `*` = any ending) |
//! |---|---|---|
//! | CRITICAL | `breathing-emergency` | can't / cannot / unable to / struggling to breathe, not breathing |
//! | CRITICAL | `chest-pain` | chest pain\*, chest hurts, chest tight\*, chest pressure |
//! | CRITICAL | `unconscious` | unconscious, unresponsive, passed out, won't wake up |
//! | CRITICAL | `seizure` | seizure\*, convuls\* |
//! | CRITICAL | `heavy-bleeding` | bleeding a lot / heavily / badly, heavy bleeding, lots of blood, won't stop bleeding |
//! | CRITICAL | `self-harm` | suicid\*, kill myself, end my life, want to die, self harm |
//! | CRITICAL | `stroke-signs` | stroke, face drooping, slurred speech |
//! | HIGH | `high-fever` | a fever word (fever\*, temp, temperature, febrile) and a reading of 39 °C / 102 °F or more |
//! | HIGH | `vomiting-blood` | vomiting / vomited / throwing up / threw up blood, blood in (my) vomit |
//! | HIGH | `severe-pain` | severe pain, pain is severe, extreme pain, worst pain, unbearable, excruciating |
//! | HIGH | `worsening` | worse, worsening, getting worse |
//! | HIGH | `breathing-difficulty` | short(ness) of breath, trouble / difficulty breathing, hard to breathe, breathless |
//! | HIGH | `fainting` | fainted, fainting, blacked out |
//! | MODERATE | `pain` | pain, pains, painful, hurts, hurting, ache, aches, aching |
//! | MODERATE | `swelling` | swelling, swollen, swelled |
//! | MODERATE | `vomiting` | vomit\*, throwing up, threw up, nausea, nauseous, nauseated |
//! | MODERATE | `dizziness` | dizzy, dizziness, lightheaded, light headed |
//! | MODERATE | `poor-intake` | not eating, no appetite, lost my appetite, can't / cannot eat, not drinking, can't keep anything down |
//! | MODERATE | `confusion` | confused, confusion, disoriented |
//! | MODERATE | `fever` | fever\*, chills, high temperature (without a high reading) |
//! | MODERATE | `wound-concern` | pus, oozing, infected, infection, redness |
//! | MODERATE | `bleeding` | bleeding |
//! | LOW | `fatigue` | tired, fatigue\*, exhausted, sleepy, weak |
//! | LOW | `mild-soreness` | a bit sore, little sore, sore, stiff |
//! | LOW | `question` | question\*, wondering, or a `?` anywhere |
//! | LOW | `not-feeling-well` | a negated reassurance: not good, not ok, not well, no better... |
//! | NONE | `reassurance` | yes all good, all good, fine, good, better, ok, okay, great, well, no problems / issues / complaints |
//!
//! How a reply is read:
//! - Lower-cased; apostrophes dropped (`can't` = `cant`); any other punctuation separates words.
//!   Phrases match whole words only (`pain` does not match `painkillers`).
//! - Clauses end at `. , ; : ! ?`, new lines and the words but, however, although, though,
//!   except, yet; a phrase never spans clauses and a negation never reaches past its clause.
//! - Negation: a finding is ignored when one of no, not, never, without, don't, doesn't, didn't,
//!   isn't, aren't, wasn't, weren't, haven't, hasn't, hadn't, nor, denies, deny, none, zero stands
//!   up to 4 words before it in the same clause, unless that word is itself part of a finding
//!   (`not eating and dizzy` still counts dizzy), or when free, gone, resolved or stopped follows
//!   within 2 words (`pain free`, `bleeding has stopped`).
//! - A phrase inside a longer finding of the same or higher severity is not reported separately
//!   (`chest pain` reports `chest-pain`, not also `pain`).
//! - The highest severity among the findings wins; no finding means NONE.

mod rules;

mod words;

use rules::{RULES, TEMPERATURE_WORDS};
use serde::Serialize;
use words::{Word, has_high_reading, is_negated, tokenize, word_matches};

/// How urgently a reply needs a nurse, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// Nothing concerning.
    None,
    /// Worth a look when convenient.
    Low,
    /// Needs a nurse's follow-up.
    Moderate,
    /// Needs a prompt clinical call.
    High,
    /// Emergency: escalate immediately.
    Critical,
}

impl Severity {
    /// The upper-case name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "NONE",
            Severity::Low => "LOW",
            Severity::Moderate => "MODERATE",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// The verdict on one reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Classification {
    /// The highest severity found.
    pub severity: Severity,
    /// Ids of the rules that fired, highest severity first.
    pub matched_rules: Vec<String>,
    /// A one-line explanation naming rules only, never the reply text.
    pub reason: String,
}

#[derive(Debug, Clone, Copy)]
struct Found {
    rule: usize,
    start: usize,
    end: usize,
}

const HIGH_FEVER: &str = "high-fever";
const NOT_FEELING_WELL: &str = "not-feeling-well";
const QUESTION: &str = "question";

/// Classifies a check-in reply by the rules in the module documentation.
pub fn classify(reply: &str) -> Classification {
    let words = tokenize(reply);
    let found = drop_contained(find_phrases(&words));
    let covered: Vec<bool> = (0..words.len())
        .map(|i| found.iter().any(|f| f.start <= i && i < f.end))
        .collect();
    let negated = |start: usize, end: usize| is_negated(&words, &covered, start, end);

    // (severity, order within severity, rule id)
    let mut fired: Vec<(Severity, usize, &'static str)> = Vec::new();
    let mut ignored: Vec<&'static str> = Vec::new();
    for f in &found {
        let rule = &RULES[f.rule];
        match (negated(f.start, f.end), rule.severity) {
            (false, _) => fired.push((rule.severity, f.rule, rule.id)),
            (true, Severity::None) => fired.push((Severity::Low, usize::MAX, NOT_FEELING_WELL)),
            (true, _) => ignored.push(rule.id),
        }
    }
    let fever_word = (0..words.len()).any(|i| {
        TEMPERATURE_WORDS
            .iter()
            .any(|p| word_matches(p, &words[i].text))
            && !negated(i, i + 1)
    });
    if fever_word && has_high_reading(&words) {
        fired.push((Severity::High, 0, HIGH_FEVER));
    }
    if reply.contains('?') {
        let order = RULES
            .iter()
            .position(|r| r.id == QUESTION)
            .unwrap_or(usize::MAX);
        fired.push((Severity::Low, order, QUESTION));
    }

    fired.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    fired.dedup_by_key(|f| f.2);
    if fired.iter().any(|f| f.2 == HIGH_FEVER) {
        // A high reading explains the fever mention; reporting both adds nothing.
        fired.retain(|f| f.2 != "fever");
    }
    ignored.sort_unstable();
    ignored.dedup();
    ignored.retain(|id| !fired.iter().any(|f| f.2 == *id));

    let severity = fired.first().map_or(Severity::None, |f| f.0);
    Classification {
        severity,
        reason: reason(reply, severity, &fired, &ignored),
        matched_rules: fired.iter().map(|f| f.2.to_owned()).collect(),
    }
}

fn reason(
    reply: &str,
    severity: Severity,
    fired: &[(Severity, usize, &'static str)],
    ignored: &[&'static str],
) -> String {
    let ids = |keep: &dyn Fn(Severity) -> bool| -> Vec<&str> {
        fired.iter().filter(|f| keep(f.0)).map(|f| f.2).collect()
    };
    let mut text = if reply.trim().is_empty() {
        "NONE: empty reply".to_owned()
    } else if fired.is_empty() {
        "NONE: no rule matched".to_owned()
    } else {
        format!(
            "{}: {}",
            severity.as_str(),
            ids(&|s| s == severity).join(", ")
        )
    };
    let lower = ids(&|s| s < severity);
    if !lower.is_empty() {
        text.push_str(&format!("; also {}", lower.join(", ")));
    }
    if !ignored.is_empty() {
        text.push_str(&format!("; negated {}", ignored.join(", ")));
    }
    text
}

fn find_phrases(words: &[Word]) -> Vec<Found> {
    let mut found = Vec::new();
    for (rule_index, rule) in RULES.iter().enumerate() {
        for phrase in rule.phrases {
            let parts: Vec<&str> = phrase.split_whitespace().collect();
            if parts.is_empty() || parts.len() > words.len() {
                continue;
            }
            for start in 0..=words.len() - parts.len() {
                let window = &words[start..start + parts.len()];
                let same_clause = window.iter().all(|w| w.clause == window[0].clause);
                if same_clause
                    && parts
                        .iter()
                        .zip(window)
                        .all(|(p, w)| word_matches(p, &w.text))
                {
                    found.push(Found {
                        rule: rule_index,
                        start,
                        end: start + parts.len(),
                    });
                }
            }
        }
    }
    found
}

fn drop_contained(found: Vec<Found>) -> Vec<Found> {
    let len = |f: &Found| f.end - f.start;
    found
        .iter()
        .filter(|m| {
            !found.iter().any(|o| {
                o.start <= m.start
                    && m.end <= o.end
                    && len(o) > len(m)
                    && RULES[o.rule].severity >= RULES[m.rule].severity
            })
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests;
