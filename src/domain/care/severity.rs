//! Deterministic severity classification of a patient's reply to a post-discharge check-in.
//!
//! The classifier is a documented keyword table, not a model: the same reply always gets the
//! same answer, and the answer names the rules that fired (never the reply text) so a nurse can
//! see why. It errs upward: when in doubt a finding counts.
//!
//! | Severity | Rule id | Phrases (whole words; `*` = any ending; Spanish after "es:") |
//! |---|---|---|
//! | CRITICAL | `breathing-emergency` | can't / cannot / unable to / struggling to breathe, not / stopped breathing; es: no puedo / no puede respirar, no respira, me ahogo |
//! | CRITICAL | `chest-pain` | chest pain\*, chest hurts, chest tight\*, tight chest, chest (is / feels) tight, tightness / pressure / pain in (my) chest, chest pressure / discomfort / ache; es: dolor de / en el pecho, duele el pecho, pecho apretado, presión / opresión en el pecho, dolor torácico |
//! | CRITICAL | `unconscious` | unconscious, unresponsive, passed out, won't wake up; es: inconsciente, no responde, no despierta, perdió el conocimiento |
//! | CRITICAL | `seizure` | seizure\*, convuls\*; es: convulsión, ataque / crisis epiléptica |
//! | CRITICAL | `heavy-bleeding` | bleeding a lot / heavily / badly, heavy bleeding, lots of blood, won't stop bleeding; es: sangrando / sangra mucho, mucha sangre, no para / deja de sangrar, hemorragia |
//! | CRITICAL | `self-harm` | suicid\*, kill(ing) myself, want / going to hurt myself, hurting / harm(ing) / cut(ting) myself, end(ing) my life, take my own life, want to die, better off dead, self harm; es: matarme, me quiero matar, quitarme la vida, acabar con mi vida, quiero morir, hacerme daño, lastimarme, no quiero vivir |
//! | CRITICAL | `overdose-or-poisoning` | overdos\*, all (of) my pills / meds / medication / tablets at once, too many pills, whole / entire bottle, poison\*, swallowed / drank bleach; es: sobredosis, todas mis / las pastillas de una vez, demasiadas pastillas, todo el frasco, envenen\*, veneno |
//! | CRITICAL | `stroke-signs` | stroke, face drooping, slurred speech; es: derrame cerebral, embolia, cara caída, boca torcida, habla arrastrada |
//! | HIGH | `high-fever` | a fever word (fever\*, temp, temperature, febrile; es: fiebre, temperatura, calentura) and a reading of 38.0 °C / 100.4 °F or more (decimals with `.` or `,`; unit optional) |
//! | HIGH | `vomiting-blood` | vomit\* blood, throwing / threw up blood, blood in (my) vomit, bloody vomit; es: vomitando / vomité sangre, sangre en el vómito, vómito con sangre |
//! | HIGH | `blood-in-stool` | blood in (my) stool / poop, bloody / black / tarry stool, rectal bleeding, blood in the toilet, bloody diarrhea; es: sangre en las heces / el excremento / la popo, heces con sangre, heces negras, sangre al defecar |
//! | HIGH | `blood-in-urine` | blood in (my) urine / pee, bloody urine, peeing blood; es: sangre en la orina, orina con sangre, orinando sangre, sangre al orinar |
//! | HIGH | `severe-pain` | severe / extreme / worst pain, pain is severe, unbearable, excruciating; es: dolor (muy) fuerte / severo / intenso, insoportable, mucho dolor, peor dolor |
//! | HIGH | `worsening` | worse, worsening, getting worse; es: peor, empeor\* |
//! | HIGH | `breathing-difficulty` | short(ness) of breath, trouble / difficulty breathing, hard to breathe, breathless, out of breath, can't catch my breath, SOB, DOB, dyspn\*; es: (me) falta (el) aire, dificultad para respirar, cuesta respirar, sin aliento |
//! | HIGH | `fainting` | fainted, fainting, blacked out; es: desmay\* |
//! | HIGH | `head-injury` | hit / banged / bumped / struck (my) head, head injury; es: golpe(é) (en) la cabeza, pegué en la cabeza, herida en la cabeza |
//! | HIGH | `fall` | fell (not fell asleep / behind / apart / through), fallen, had / took a fall, bad fall, tripped; es: me caí, se cayó, he / ha caído, caída, tropecé |
//! | HIGH | `leg-swelling` | swollen leg / ankle / feet / calf, leg / ankle / feet (are) swollen / huge / puffy, leg / ankle / feet swelling, swelling in (my) legs / ankles / feet; es: piernas / tobillos / pies (están) hinchados, hinchazón en las piernas / los tobillos |
//! | MODERATE | `pain` | pain, pains, painful, hurts, hurting, ache, aches, aching; es: dolor, duele |
//! | MODERATE | `swelling` | swelling, swollen, swelled; es: hinchad\*, hinchazón, inflamad\* |
//! | MODERATE | `vomiting` | vomit\*, throwing up, threw up, nausea\*, nauseous, nauseated |
//! | MODERATE | `dizziness` | dizzy, dizziness, lightheaded, light headed; es: mareo\*, mareado, mareada |
//! | MODERATE | `poor-intake` | not eating, no appetite, lost my appetite, can't / cannot eat, not drinking, can't keep anything down; es: no puedo comer, sin apetito |
//! | MODERATE | `confusion` | confused, confusion, disoriented; es: confundid\*, desorientad\* |
//! | MODERATE | `fever` | fever\*, chills, high temperature (without a reading of 38.0 °C / 100.4 °F); es: fiebre, calentura, escalofríos |
//! | MODERATE | `wound-concern` | pus, oozing, infected, infection, redness; es: infectad\*, infección |
//! | MODERATE | `bleeding` | bleeding; es: sangrando, sangre |
//! | LOW | `fatigue` | tired, fatigue\*, exhausted, sleepy, weak; es: cansad\*, débil |
//! | LOW | `mild-soreness` | a bit sore, little sore, sore, stiff |
//! | LOW | `question` | question\*, wondering, or a `?` anywhere; es: pregunta\* |
//! | LOW | `not-feeling-well` | a negated reassurance: not good, not ok, not well, no better, no estoy bien... |
//! | NONE | `reassurance` | yes all good, all good, fine, good, better, ok, okay, great, well, no problems / issues / complaints; es: bien, mejor |
//!
//! Every reply below MODERATE still becomes a LOW "review reply" task (in the
//! workflow), so a person reads every patient message; the table only decides how
//! urgently.
//!
//! How a reply is read:
//! - Lower-cased; accents removed (`caí` = `cai`, `daño` = `dano`); apostrophes dropped
//!   (`can't` = `cant`); any other punctuation separates words. Phrases match whole words
//!   only (`pain` does not match `painkillers`); a lone `*` in a phrase is any one word
//!   except a negation (`legs aren't swollen` is not leg swelling).
//! - Clauses end at `. , ; : ! ?`, new lines and the words but, however, although, though,
//!   except, yet (es: pero, aunque, sino); a phrase never spans clauses and a negation
//!   never reaches past its clause.
//! - Negation: a finding is ignored when one of no, not, never, without, don't, doesn't, didn't,
//!   isn't, aren't, wasn't, weren't, haven't, hasn't, hadn't, nor, denies, deny, none, zero
//!   (es: sin, nunca, ni, tampoco, nada) stands
//!   up to 4 words before it in the same clause, unless that word is itself part of a finding
//!   (`not eating and dizzy` still counts dizzy), or when free, gone, resolved or stopped follows
//!   within 2 words (`pain free`, `bleeding has stopped`).
//! - A phrase inside a longer finding of the same or higher severity is not reported separately
//!   (`chest pain` reports `chest-pain`, not also `pain`).
//! - The highest severity among the findings wins; no finding means NONE.

mod lexicon;
mod rules;
mod words;

use lexicon::TEMPERATURE_WORDS;
use rules::RULES;
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

    /// Reads an upper-case name (`CRITICAL`, ...).
    pub fn parse(name: &str) -> Option<Severity> {
        [
            Severity::None,
            Severity::Low,
            Severity::Moderate,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
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
                let next = words
                    .get(start + parts.len())
                    .filter(|w| w.clause == window[0].clause);
                let excepted = next.is_some_and(|w| rule.unless_next.contains(&w.text.as_str()));
                if same_clause
                    && !excepted
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
