//! Best-effort reading of single free-text items: a medication line, a
//! follow-up sentence, a diagnosis with an optional code. Shared by the text
//! extractor and by structured input that sends plain strings. Nothing here
//! fails: what cannot be recognised simply stays in the item's `text`.

use chrono::NaiveDate;

use super::case::{Diagnosis, FollowUp, Medication, says_as_needed};

/// One whitespace-separated word with its byte span in the source line.
struct Tok<'a> {
    raw: &'a str,
    norm: String,
    start: usize,
    end: usize,
}

fn tokens(s: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(st)) => {
                let raw = &s[st..i];
                let norm = raw
                    .trim_matches(|c: char| ",;:.()[]".contains(c))
                    .to_lowercase();
                out.push(Tok {
                    raw,
                    norm,
                    start: st,
                    end: i,
                });
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn trim_punct(s: &str) -> &str {
    s.trim().trim_end_matches([',', ';', ':', '.']).trim()
}

/// Parses "7", "10-14" (first number wins: the earliest moment) and small
/// number words such as "two" or "a".
fn number(word: &str) -> Option<u32> {
    let first = word.split(['-', '–']).next().unwrap_or(word);
    if let Ok(n) = first.parse() {
        return Some(n);
    }
    const WORDS: [&str; 12] = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve",
    ];
    match word {
        "a" | "an" => Some(1),
        "fourteen" => Some(14),
        "twenty" => Some(20),
        "thirty" => Some(30),
        _ => WORDS.iter().position(|w| *w == word).map(|i| i as u32 + 1),
    }
}

fn is_count(word: &str) -> bool {
    number(word).is_some()
}

/// Words that may sit between "for" and a count: "for the next 5 days".
const FILLERS: [&str; 5] = ["another", "the", "next", "further", "additional"];

const DURATION_UNITS: [&str; 10] = [
    "day", "days", "week", "weeks", "month", "months", "dose", "doses", "wk", "wks",
];

/// Length in tokens of a frequency phrase starting at `i`, if one does.
fn frequency_at(t: &[Tok<'_>], i: usize) -> Option<usize> {
    let w = |k: usize| t.get(i + k).map_or("", |x| x.norm.as_str());
    let per = |k: usize| -> usize {
        match (w(k), w(k + 1)) {
            ("daily" | "weekly", _) => 1,
            ("a" | "per" | "each" | "every", "day" | "week") => 2,
            _ => 0,
        }
    };
    let single = |x: &str| {
        matches!(
            x,
            "daily" | "sid" | "bid" | "tid" | "qid" | "eod" | "prn" | "weekly"
        ) || (x.len() > 2
            && x.starts_with('q')
            && x.ends_with('h')
            && x[1..x.len() - 1].chars().all(|c| c.is_ascii_digit()))
    };
    match (w(0), w(1), w(2)) {
        ("once" | "twice" | "thrice", _, _) => Some(1 + per(1)),
        (n, "times" | "x", _) if is_count(n) => Some(2 + per(2)),
        ("every", "other", "day") => Some(3),
        ("every", n, "to") if is_count(n) && is_count(w(3)) && w(4).starts_with('h') => Some(5),
        ("every", n, "hours" | "hrs" | "hour" | "h" | "days" | "weeks") if is_count(n) => Some(3),
        ("every", "day" | "morning" | "evening" | "night" | "week", _) => Some(2),
        ("as", "needed", _) => Some(2),
        ("at", "night" | "bedtime", _) => Some(2),
        ("in", "the", "morning" | "evening") => Some(3),
        ("morning", "and", "evening" | "night") => Some(3),
        (x, _, _) if single(x) => Some(1),
        _ => None,
    }
}

/// A duration phrase at `i`: (tokens consumed, index of its first kept token).
fn duration_at(t: &[Tok<'_>], i: usize) -> Option<(usize, usize)> {
    let w = |k: usize| t.get(i + k).map_or("", |x| x.norm.as_str());
    match w(0) {
        "until" if i + 1 < t.len() => Some((t.len() - i, i)),
        "for" | "x" | "×" => {
            let mut k = 1;
            while FILLERS.contains(&w(k)) {
                k += 1;
            }
            (is_count(w(k)) && DURATION_UNITS.contains(&w(k + 1))).then_some((k + 2, i + k))
        }
        _ => None,
    }
}

fn join(t: &[Tok<'_>], from: usize, to: usize, line: &str) -> Option<String> {
    let to = to.min(t.len());
    (from < to).then(|| trim_punct(&line[t[from].start..t[to - 1].end]).to_string())
}

fn is_separator(raw: &str) -> bool {
    matches!(raw, "-" | "–" | "—" | ":" | "=")
}

impl Medication {
    /// Reads "Carprofen 75 mg - 1 tablet twice daily for 7 days" into name
    /// "Carprofen", dose "75 mg, 1 tablet", frequency "twice daily", duration
    /// "7 days". "As needed" or "PRN" anywhere in the line sets `as_needed`. The
    /// name is the leading words up to the first word holding a
    /// digit or ending in `:`/`,`; the dose is what lies between the name and
    /// the first frequency or duration phrase. `text` keeps the whole line.
    pub fn from_line(line: &str) -> Medication {
        let line = line.trim();
        let t = tokens(line);
        let (mut frequency, mut duration, mut first_phrase) = (None, None, t.len());
        let mut i = 0;
        while i < t.len() {
            if frequency.is_none()
                && let Some(n) = frequency_at(&t, i)
            {
                frequency = join(&t, i, i + n, line);
                first_phrase = first_phrase.min(i);
                i += n;
            } else if duration.is_none()
                && let Some((n, keep)) = duration_at(&t, i)
            {
                duration = join(&t, keep, i + n, line);
                first_phrase = first_phrase.min(i);
                i += n;
            } else {
                i += 1;
            }
        }
        let mut name_end = 0;
        let mut name_stop = 0;
        for tok in &t[..first_phrase] {
            if tok.raw.chars().any(|c| c.is_ascii_digit()) || is_separator(tok.raw) {
                break;
            }
            name_end = tok.end;
            name_stop += 1;
            if tok.raw.ends_with([':', ',', ';']) {
                break;
            }
        }
        let name = match trim_punct(&line[..name_end]) {
            "" => line.to_string(),
            n => n.to_string(),
        };
        let mut dose = String::new();
        for tok in t[name_stop..first_phrase].iter() {
            if is_separator(tok.raw) {
                if !dose.is_empty() && !dose.ends_with(',') {
                    dose.push(',');
                }
            } else {
                if !dose.is_empty() {
                    dose.push(' ');
                }
                dose.push_str(tok.raw);
            }
        }
        let dose = trim_punct(&dose);
        Medication {
            name,
            dose: (!dose.is_empty()).then(|| dose.to_string()),
            frequency,
            duration,
            as_needed: says_as_needed(line),
            text: line.to_string(),
        }
    }
}

impl FollowUp {
    /// Reads "Recheck in 2 weeks" (in_days 14), "in 10-14 days" (10, the
    /// earliest), "tomorrow" (1) or an ISO date such as "2024-06-15". A number of
    /// days or weeks right after "for" is a duration, not a delay, and is
    /// skipped. Months are left unparsed: their length in days is ambiguous.
    pub fn from_text(text: &str) -> FollowUp {
        let text = text.trim();
        let t = tokens(text);
        let date = t
            .iter()
            .find_map(|x| NaiveDate::parse_from_str(&x.norm, "%Y-%m-%d").ok());
        let mut in_days = None;
        for (i, tok) in t.iter().enumerate() {
            if tok.norm == "tomorrow" {
                in_days = Some(1);
                break;
            }
            let Some(n) = number(&tok.norm) else { continue };
            let after_for = t[..i]
                .iter()
                .rev()
                .find(|p| !FILLERS.contains(&p.norm.as_str()))
                .is_some_and(|p| p.norm == "for");
            let factor = match t.get(i + 1).map(|x| x.norm.as_str()) {
                Some("day" | "days") => 1,
                Some("week" | "weeks" | "wk" | "wks") => 7,
                _ => continue,
            };
            if !after_for {
                in_days = n.checked_mul(factor);
                break;
            }
        }
        FollowUp {
            text: text.to_string(),
            in_days,
            date,
        }
    }
}

impl Diagnosis {
    /// Reads "Otitis externa (code: 3135009)" or "… [code 3135009]" into text
    /// and code; anything else is all text.
    pub fn from_text(text: &str) -> Diagnosis {
        let text = text.trim();
        for (open, close) in [('(', ')'), ('[', ']')] {
            if let Some(body) = text.strip_suffix(close)
                && let Some(at) = body.rfind(open)
            {
                let inner = body[at + 1..].trim();
                if let Some(code) = inner
                    .get(..4)
                    .filter(|p| p.eq_ignore_ascii_case("code"))
                    .map(|_| inner[4..].trim_start_matches([':', ' ', '#']).trim())
                    .filter(|c| !c.is_empty())
                {
                    return Diagnosis {
                        text: body[..at].trim().to_string(),
                        code: Some(code.to_string()),
                    };
                }
            }
        }
        Diagnosis {
            text: text.to_string(),
            code: None,
        }
    }
}

#[cfg(test)]
mod tests;
