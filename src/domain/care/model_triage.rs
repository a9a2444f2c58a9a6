//! The optional second opinion on a patient's reply: what a language model is asked
//! (the reply alone, never a name, number or id), how its answer is read, and how its
//! severity combines with the rule table's, which stays the floor. Pure functions, no I/O.

use serde::Serialize;

use super::severity::Severity;

/// The instructions sent with every reply. The reply itself is the only user message.
pub const SYSTEM_PROMPT: &str = "You triage text messages that patients send to their care \
team after a hospital discharge. Rate how urgently a nurse must act on the message. Answer \
with exactly one word: CRITICAL (a possible emergency: trouble breathing, chest pain, \
self-harm or suicidal thoughts, overdose, heavy bleeding, stroke or seizure signs, \
unconsciousness), HIGH (needs a prompt clinical call today: fever, blood in stool, urine or \
vomit, falls or head injury, leg swelling, severe or worsening symptoms), MODERATE (a \
symptom a nurse should follow up), LOW (a question or a minor complaint) or NONE (nothing \
concerning). The message may be in any language. When unsure, choose the higher level.";

/// Who set the severity a reply was classified with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DecidedBy {
    /// The rule table alone (no model configured, the model failed, or it rated lower).
    Rules,
    /// The model, which rated the reply higher than the rule table.
    Model,
    /// The rule table and the model agreed.
    Both,
}

impl DecidedBy {
    /// The stored and API name (`rules`, `model`, `both`).
    pub fn as_str(self) -> &'static str {
        match self {
            DecidedBy::Rules => "rules",
            DecidedBy::Model => "model",
            DecidedBy::Both => "both",
        }
    }
}

/// The severity a model's answer names: the first severity word in it, in any case
/// (models often wrap the word in punctuation or a sentence). `None` when it names none.
pub fn read_answer(content: &str) -> Option<Severity> {
    content
        .split(|c: char| !c.is_ascii_alphabetic())
        .find_map(|word| Severity::parse(&word.to_ascii_uppercase()))
}

/// The severity to act on: the higher of the rule table's and the model's, the rule
/// table being the floor; and who decided it.
pub fn combine(rules: Severity, model: Option<Severity>) -> (Severity, DecidedBy) {
    match model {
        None => (rules, DecidedBy::Rules),
        Some(m) if m > rules => (m, DecidedBy::Model),
        Some(m) if m == rules => (rules, DecidedBy::Both),
        Some(_) => (rules, DecidedBy::Rules),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_the_first_severity_word_in_any_case() {
        assert_eq!(read_answer("HIGH"), Some(Severity::High));
        assert_eq!(read_answer("critical."), Some(Severity::Critical));
        assert_eq!(
            read_answer("Severity: Moderate (pain)"),
            Some(Severity::Moderate)
        );
        assert_eq!(read_answer("{\"severity\":\"NONE\"}"), Some(Severity::None));
        assert_eq!(read_answer("I cannot tell."), None);
        assert_eq!(read_answer(""), None);
    }

    #[test]
    fn the_rule_table_is_the_floor_and_the_decider_is_named() {
        use Severity::{Critical, High, Low, Moderate};
        assert_eq!(combine(Low, Some(Critical)), (Critical, DecidedBy::Model));
        assert_eq!(combine(High, Some(Low)), (High, DecidedBy::Rules));
        assert_eq!(combine(High, Some(High)), (High, DecidedBy::Both));
        assert_eq!(combine(Moderate, None), (Moderate, DecidedBy::Rules));
        assert_eq!(DecidedBy::Model.as_str(), "model");
    }
}
