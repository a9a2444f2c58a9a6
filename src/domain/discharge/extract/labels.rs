//! Line-level reading for the extractor: which labels exist, what they fill,
//! and how a line's label, bullet and Markdown marks are recognised.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Field {
    PatientName,
    Species,
    Breed,
    Age,
    Sex,
    Weight,
    OwnerName,
    OwnerEmail,
    OwnerPhone,
}

impl Field {
    pub(super) const ALL: [Field; 9] = [
        Field::PatientName,
        Field::Species,
        Field::Breed,
        Field::Age,
        Field::Sex,
        Field::Weight,
        Field::OwnerName,
        Field::OwnerEmail,
        Field::OwnerPhone,
    ];

    pub(super) fn pointer(self) -> &'static str {
        match self {
            Field::PatientName => "/patient/name",
            Field::Species => "/patient/species",
            Field::Breed => "/patient/breed",
            Field::Age => "/patient/age",
            Field::Sex => "/patient/sex",
            Field::Weight => "/patient/weight",
            Field::OwnerName => "/owner/name",
            Field::OwnerEmail => "/owner/email",
            Field::OwnerPhone => "/owner/phone",
        }
    }

    pub(super) fn is_owner(self) -> bool {
        matches!(
            self,
            Field::OwnerName | Field::OwnerEmail | Field::OwnerPhone
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Diagnoses,
    Medications,
    Instructions,
    FollowUp,
    Notes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    Field(Field),
    Section(Section),
    /// `Name`, resolved by the block it sits in.
    Name,
}

/// Known labels, normalised: lower case, hyphens as spaces, single spaces.
const LABELS: &[(&str, Label)] = &[
    ("patient", Label::Field(Field::PatientName)),
    ("patient name", Label::Field(Field::PatientName)),
    ("pet", Label::Field(Field::PatientName)),
    ("pet name", Label::Field(Field::PatientName)),
    ("animal", Label::Field(Field::PatientName)),
    ("name", Label::Name),
    ("species", Label::Field(Field::Species)),
    ("breed", Label::Field(Field::Breed)),
    ("age", Label::Field(Field::Age)),
    ("sex", Label::Field(Field::Sex)),
    ("gender", Label::Field(Field::Sex)),
    ("weight", Label::Field(Field::Weight)),
    ("body weight", Label::Field(Field::Weight)),
    ("owner", Label::Field(Field::OwnerName)),
    ("owner name", Label::Field(Field::OwnerName)),
    ("client", Label::Field(Field::OwnerName)),
    ("client name", Label::Field(Field::OwnerName)),
    ("email", Label::Field(Field::OwnerEmail)),
    ("e mail", Label::Field(Field::OwnerEmail)),
    ("owner email", Label::Field(Field::OwnerEmail)),
    ("owner e mail", Label::Field(Field::OwnerEmail)),
    ("client email", Label::Field(Field::OwnerEmail)),
    ("phone", Label::Field(Field::OwnerPhone)),
    ("phone number", Label::Field(Field::OwnerPhone)),
    ("telephone", Label::Field(Field::OwnerPhone)),
    ("mobile", Label::Field(Field::OwnerPhone)),
    ("owner phone", Label::Field(Field::OwnerPhone)),
    ("owner phone number", Label::Field(Field::OwnerPhone)),
    ("client phone", Label::Field(Field::OwnerPhone)),
    ("diagnosis", Label::Section(Section::Diagnoses)),
    ("diagnoses", Label::Section(Section::Diagnoses)),
    ("final diagnosis", Label::Section(Section::Diagnoses)),
    ("medications", Label::Section(Section::Medications)),
    ("medication", Label::Section(Section::Medications)),
    ("meds", Label::Section(Section::Medications)),
    (
        "discharge medications",
        Label::Section(Section::Medications),
    ),
    ("instructions", Label::Section(Section::Instructions)),
    (
        "discharge instructions",
        Label::Section(Section::Instructions),
    ),
    ("home care", Label::Section(Section::Instructions)),
    (
        "home care instructions",
        Label::Section(Section::Instructions),
    ),
    ("follow up", Label::Section(Section::FollowUp)),
    ("followup", Label::Section(Section::FollowUp)),
    ("recheck", Label::Section(Section::FollowUp)),
    ("notes", Label::Section(Section::Notes)),
];

pub(super) fn normalise_label(s: &str) -> String {
    s.to_lowercase()
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
pub(super) fn labelled(line: &str) -> Option<(Label, &str)> {
    if let Some((head, value)) = line.split_once(':')
        && let Some(label) = lookup(head)
    {
        return Some((label, value.trim()));
    }
    for (at, dash) in line.match_indices(['-', '–', '—']) {
        let rest = &line[at + dash.len()..];
        if rest.is_empty() || rest.starts_with(char::is_whitespace) {
            let dash_ok = |l: &Label| !matches!(l, Label::Section(s) if *s != Section::FollowUp);
            if let Some(label) = lookup(&line[..at]).filter(dash_ok) {
                return Some((label, rest.trim()));
            }
        }
    }
    lookup(line).map(|label| (label, ""))
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
