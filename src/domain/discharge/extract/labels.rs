//! Line-level reading for the extractor: how a line's label, bullet and
//! Markdown marks are recognised (the labels themselves are in `vocabulary.rs`).

use super::label_kinds::{Label, Section};
use super::vocabulary::LABELS;

pub(super) fn normalise_label(s: &str) -> String {
    s.trim()
        .trim_matches('*')
        .trim_end_matches('.')
        .to_lowercase()
        .replace('\u{2019}', "'")
        .replace(['-', '_'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn lookup(candidate: &str) -> Option<Label> {
    let key = normalise_label(candidate);
    LABELS.iter().find(|(k, _)| *k == key).map(|(_, l)| *l)
}

/// Splits a line into its label and value, if it is labelled.
/// Returns the label, the label as written and the value.
pub(super) fn labelled(line: &str) -> Option<(Label, &str, &str)> {
    if let Some((head, value)) = line.split_once(':')
        && let Some(label) = lookup(head)
    {
        // `**Email:** x`: the emphasis closes after the colon.
        let value = value.trim().trim_start_matches('*').trim();
        return Some((label, head.trim().trim_matches('*'), value));
    }
    for (at, dash) in line.match_indices(['-', '–', '—']) {
        let rest = &line[at + dash.len()..];
        if rest.is_empty() || rest.starts_with(char::is_whitespace) {
            // A dash after these headings is usually a title ("Discharge
            // instructions - Happy Paws"), not a value.
            let dash_ok = |l: &Label| match l {
                Label::Section(s) => !matches!(
                    s,
                    Section::Instructions | Section::Medications | Section::Notes
                ),
                Label::Sig => false,
                _ => true,
            };
            if let Some(label) = lookup(&line[..at]).filter(dash_ok) {
                return Some((label, line[..at].trim(), rest.trim()));
            }
        }
    }
    lookup(line).map(|label| (label, line.trim().trim_end_matches('.'), ""))
}

/// How unlabelled lines open when they say when to come back, whatever section
/// they sit in: "Return if she stops eating" is a warning sign, "Recheck in 2
/// weeks" or "RTC 10 days" a follow-up.
const OPENINGS: [(&str, Section); 15] = [
    ("return if ", Section::WarningSigns),
    ("return immediately if ", Section::WarningSigns),
    ("return sooner if ", Section::WarningSigns),
    ("call us if ", Section::WarningSigns),
    ("call us immediately if ", Section::WarningSigns),
    ("call the clinic if ", Section::WarningSigns),
    ("contact us if ", Section::WarningSigns),
    ("contact the clinic if ", Section::WarningSigns),
    ("seek veterinary care if ", Section::WarningSigns),
    ("recheck ", Section::FollowUp),
    ("re-check ", Section::FollowUp),
    ("rtc ", Section::FollowUp),
    ("return in ", Section::FollowUp),
    ("return for ", Section::FollowUp),
    ("follow-up in ", Section::FollowUp),
];

/// The section an unlabelled line belongs to by how it opens, if any.
pub(super) fn opening(line: &str) -> Option<Section> {
    let lower = line.to_lowercase();
    OPENINGS
        .iter()
        .find(|(o, _)| lower.starts_with(o))
        .map(|(_, section)| *section)
}

/// True for a document title above the first label: a Markdown heading, or a
/// line naming the kind of document ("DISCHARGE SUMMARY - Happy Paws").
pub(super) fn is_title(raw: &str) -> bool {
    let lower = raw.trim().to_lowercase();
    lower.starts_with('#')
        || ["discharge", "soap note", "summary"]
            .iter()
            .any(|w| lower.contains(w))
}

/// Removes a leading bullet marker; returns whether there was one.
pub(super) fn strip_bullet(line: &str) -> (bool, &str) {
    if let Some(rest) = line.strip_prefix(['•', '·']) {
        return (true, rest.trim_start());
    }
    for marker in ["- ", "* ", "– ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return (true, rest.trim_start());
        }
    }
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if (1..=3).contains(&digits)
        && let Some(rest) = line[digits..].strip_prefix(['.', ')'])
        && rest.starts_with(char::is_whitespace)
    {
        return (true, rest.trim_start());
    }
    (false, line)
}

/// Drops Markdown heading and emphasis marks around a line.
pub(super) fn strip_markdown(line: &str) -> &str {
    line.trim_start_matches('#')
        .trim()
        .trim_start_matches("**")
        .trim_end_matches("**")
        .trim()
}
