//! Twilio's SMS opt-out and opt-in keywords. A message that is one of them, alone
//! (case and surrounding spaces aside), changes whether the sender may be texted;
//! the same word inside a sentence ("please don't stop the pills") is a reply like any
//! other. `YES`, which Twilio also counts as opt-in, is left out: a patient answering
//! a check-in with "yes" means something else.

/// What a keyword asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentAction {
    /// Stop all SMS to the number.
    OptOut,
    /// Texting the number may resume.
    OptIn,
}

impl ConsentAction {
    /// The stored name (`opt_out`, `opt_in`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OptOut => "opt_out",
            Self::OptIn => "opt_in",
        }
    }
}

/// Twilio's default opt-out keywords.
pub const OPT_OUT_KEYWORDS: [&str; 6] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];

/// The opt-in keywords honoured.
pub const OPT_IN_KEYWORDS: [&str; 2] = ["START", "UNSTOP"];

/// The keyword (upper-cased) and what it asks, when the whole message is one.
pub fn keyword(message: &str) -> Option<(String, ConsentAction)> {
    let word = message
        .trim()
        .trim_end_matches(['.', '!'])
        .trim()
        .to_uppercase();
    if OPT_OUT_KEYWORDS.contains(&word.as_str()) {
        Some((word, ConsentAction::OptOut))
    } else if OPT_IN_KEYWORDS.contains(&word.as_str()) {
        Some((word, ConsentAction::OptIn))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_message_keywords_in_any_case_change_consent() {
        for m in [
            "STOP",
            "stop",
            " Stop ",
            "STOP.",
            "unsubscribe",
            "Cancel",
            "end",
            "QUIT",
        ] {
            assert_eq!(keyword(m).map(|k| k.1), Some(ConsentAction::OptOut), "{m}");
        }
        for m in ["START", "start", "Unstop"] {
            assert_eq!(keyword(m).map(|k| k.1), Some(ConsentAction::OptIn), "{m}");
        }
        assert_eq!(keyword("stop").unwrap().0, "STOP");
    }

    #[test]
    fn keywords_inside_a_sentence_are_ordinary_replies() {
        for m in [
            "please don't stop the pills",
            "stop it hurts",
            "yes",
            "",
            "STOP STOP",
            "ended",
        ] {
            assert_eq!(keyword(m), None, "{m}");
        }
    }
}
