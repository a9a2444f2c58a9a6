//! Reading a reply: words and clauses, negation and temperature readings.

use super::lexicon::{
    CLAUSE_WORDS, DEGREE_WORDS, FEVER_CELSIUS, FEVER_FAHRENHEIT, MAX_CELSIUS, MAX_FAHRENHEIT,
    NEGATION_WINDOW, NEGATORS, POST_NEGATION_WINDOW, POST_NEGATORS,
};

#[derive(Debug)]
pub(super) struct Word {
    pub text: String,
    pub clause: usize,
}

pub(super) fn tokenize(reply: &str) -> Vec<Word> {
    let chars: Vec<char> = reply
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{02bc}'))
        .map(without_accent)
        .collect();
    let mut words = Vec::new();
    let mut clause = 0;
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let digit_before = current.chars().last().is_some_and(|p| p.is_ascii_digit());
        let digit_after = chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c.is_alphanumeric() {
            current.push(c);
        } else if matches!(c, '.' | ',') && digit_before && digit_after {
            current.push('.'); // a decimal number such as 39.5 or 39,5
        } else {
            finish(&mut current, &mut clause, &mut words);
            if matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '\n' | '\r') {
                clause += 1;
            }
        }
    }
    finish(&mut current, &mut clause, &mut words);
    words
}

/// The letter without its accent, so Spanish replies match with or without them
/// (`caí` = `cai`, `daño` = `dano`).
fn without_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        c => c,
    }
}

fn finish(current: &mut String, clause: &mut usize, words: &mut Vec<Word>) {
    if current.is_empty() {
        return;
    }
    let text = std::mem::take(current);
    if CLAUSE_WORDS.contains(&text.as_str()) {
        *clause += 1;
    }
    words.push(Word {
        text,
        clause: *clause,
    });
}

pub(super) fn word_matches(pattern: &str, word: &str) -> bool {
    match pattern.strip_suffix('*') {
        // A lone `*` stands for any one word, but never a negation: "legs aren't
        // swollen" is not "legs * swollen".
        Some("") => !NEGATORS.contains(&word),
        Some(stem) => word.starts_with(stem),
        None => pattern == word,
    }
}

pub(super) fn is_negated(words: &[Word], covered: &[bool], start: usize, end: usize) -> bool {
    let Some(clause) = words.get(start).map(|w| w.clause) else {
        return false;
    };
    let before = start.saturating_sub(NEGATION_WINDOW)..start;
    let negator_before = before.into_iter().any(|j| {
        words[j].clause == clause && !covered[j] && NEGATORS.contains(&words[j].text.as_str())
    });
    let after = end..(end + POST_NEGATION_WINDOW).min(words.len());
    let over_after = after
        .into_iter()
        .any(|j| words[j].clause == clause && POST_NEGATORS.contains(&words[j].text.as_str()));
    negator_before || over_after
}

/// Whether a number in the reply reads as a fever, in °C or °F: at least
/// [`FEVER_CELSIUS`] / [`FEVER_FAHRENHEIT`], with or without a unit.
pub(super) fn has_high_reading(words: &[Word]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        let split = w
            .text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(w.text.len());
        let (number, suffix) = w.text.split_at(split);
        let Ok(value) = number.parse::<f64>() else {
            return false;
        };
        let unit = if suffix.is_empty() {
            words[i + 1..]
                .iter()
                .take(2)
                .map(|n| n.text.as_str())
                .find(|t| !DEGREE_WORDS.contains(t))
                .unwrap_or("")
        } else {
            suffix
        };
        let celsius = (FEVER_CELSIUS..=MAX_CELSIUS).contains(&value);
        let fahrenheit = (FEVER_FAHRENHEIT..=MAX_FAHRENHEIT).contains(&value);
        match unit {
            "c" | "celsius" | "centigrados" => celsius,
            "f" | "fahrenheit" => fahrenheit,
            _ if suffix.is_empty() => celsius || fahrenheit,
            _ => false,
        }
    })
}
