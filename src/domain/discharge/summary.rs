//! Owner-facing discharge summaries: three built-in plain-text templates
//! (`standard`, `brief`, `detailed`) rendered from a [`CaseData`], and the
//! prompt for an LLM that writes the summary instead. Both say only what the
//! case says; sections with nothing to say are left out. Greeting and closing
//! belong to the email that carries the summary, so the summary has neither.

use std::fmt::Write;

use super::case::{CaseData, Medication};

const TEMPLATE_IDS: [&str; 3] = ["standard", "brief", "detailed"];

/// Why a summary could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    /// The requested template does not exist.
    #[error("unknown summary template '{requested}'; known templates: {known}")]
    UnknownTemplate {
        /// The id asked for.
        requested: String,
        /// The ids that exist, comma separated.
        known: String,
    },
}

/// The ids of the built-in templates.
pub fn template_ids() -> &'static [&'static str] {
    &TEMPLATE_IDS
}

/// Renders the summary with the built-in template `template_id`.
pub fn render_summary(template_id: &str, case: &CaseData) -> Result<String, SummaryError> {
    let text = match template_id {
        "standard" => standard(case),
        "brief" => brief(case),
        "detailed" => detailed(case),
        other => {
            return Err(SummaryError::UnknownTemplate {
                requested: other.to_string(),
                known: TEMPLATE_IDS.join(", "),
            });
        }
    };
    Ok(text.trim_end().to_string())
}

/// Appends a titled bullet list, or nothing when `items` is empty.
fn list<'a>(out: &mut String, title: &str, items: impl IntoIterator<Item = &'a str>) {
    let mut items = items.into_iter().peekable();
    if items.peek().is_some() {
        let _ = writeln!(out, "{title}");
        for item in items {
            let _ = writeln!(out, "- {item}");
        }
        out.push('\n');
    }
}

fn follow_up(out: &mut String, case: &CaseData) {
    if let Some(f) = &case.follow_up {
        let _ = writeln!(out, "Follow-up\n{}\n", f.display());
    }
}

/// History, diagnoses, findings and procedures: what happened at the clinic.
fn visit(out: &mut String, case: &CaseData) {
    if let Some(vet) = &case.veterinarian {
        let _ = writeln!(out, "Veterinarian: {vet}\n");
    }
    list(out, "Reason for the visit", strs(&case.history));
    list(
        out,
        "Diagnosis",
        case.diagnoses.iter().map(|d| d.text.as_str()),
    );
    list(out, "What we found", strs(&case.findings));
    list(out, "Treatment at the clinic", strs(&case.procedures));
}

/// Follow-up, warning signs and prognosis: what comes next.
fn next(out: &mut String, case: &CaseData) {
    follow_up(out, case);
    list(
        out,
        "Contact the clinic right away if",
        strs(&case.warning_signs),
    );
    list(out, "Prognosis", strs(&case.prognosis));
}

fn strs(items: &[String]) -> impl Iterator<Item = &str> {
    items.iter().map(String::as_str)
}

fn standard(case: &CaseData) -> String {
    let p = &case.patient;
    let mut out = format!("Discharge summary for {}\n\n", p.name);
    let about: Vec<&str> = [&p.species, &p.breed]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    if !about.is_empty() {
        let _ = writeln!(out, "Patient: {} ({})\n", p.name, about.join(", "));
    }
    visit(&mut out, case);
    list(
        &mut out,
        "Medications",
        case.medications.iter().map(|m| m.text.as_str()),
    );
    list(&mut out, "Care at home", strs(&case.instructions));
    next(&mut out, case);
    out
}

fn brief(case: &CaseData) -> String {
    let name = &case.patient.name;
    let mut sentences = vec![format!("Discharge summary for {name}.")];
    if !case.diagnoses.is_empty() {
        let found: Vec<&str> = case.diagnoses.iter().map(|d| d.text.as_str()).collect();
        sentences.push(format!("{name} was treated for: {}.", found.join("; ")));
    }
    if !case.medications.is_empty() {
        let names: Vec<String> = case
            .medications
            .iter()
            .map(|m| match m.as_needed {
                true => format!("{} (as needed)", m.name),
                false => m.name.clone(),
            })
            .collect();
        sentences.push(format!(
            "Medications to give at home: {} (see the labels for doses).",
            names.join(", ")
        ));
    }
    if let Some(f) = &case.follow_up {
        sentences.push(format!("Follow-up: {}.", f.display()));
    }
    if !case.warning_signs.is_empty() {
        let signs: Vec<&str> = case
            .warning_signs
            .iter()
            .map(|w| w.trim_end_matches('.'))
            .collect();
        sentences.push(format!(
            "Contact the clinic right away if: {}.",
            signs.join("; ")
        ));
    }
    sentences.join(" ")
}

fn medication_details(m: &Medication) -> String {
    let mut s = m.text.clone();
    for (label, value) in [
        ("Dose", m.dose.clone()),
        ("How often", m.how_often()),
        ("How long", m.duration.clone()),
    ] {
        if let Some(v) = value {
            let _ = write!(s, "\n    {label}: {v}");
        }
    }
    s
}

fn detailed(case: &CaseData) -> String {
    let p = &case.patient;
    let mut out = format!("Discharge summary for {}\n\n", p.name);
    let details: Vec<String> = [
        ("Species", &p.species),
        ("Breed", &p.breed),
        ("Age", &p.age),
        ("Sex", &p.sex),
        ("Weight", &p.weight),
    ]
    .into_iter()
    .filter_map(|(label, v)| v.as_ref().map(|v| format!("{label}: {v}")))
    .collect();
    list(&mut out, "Patient", details.iter().map(String::as_str));
    if let Some(owner) = &case.owner.name {
        let _ = writeln!(out, "Owner: {owner}\n");
    }
    visit(&mut out, case);
    let meds: Vec<String> = case.medications.iter().map(medication_details).collect();
    list(&mut out, "Medications", meds.iter().map(String::as_str));
    list(&mut out, "Care at home", strs(&case.instructions));
    next(&mut out, case);
    list(&mut out, "Additional notes", strs(&case.notes));
    list(&mut out, "Visit details", strs(&case.details));
    out
}

const SYSTEM_PROMPT: &str = "\
You write discharge summaries for a veterinary clinic, addressed to the animal's owner.
Use only the facts in the user's message. Never add diagnoses, medications, doses, \
instructions, dates, prognoses or advice that are not there, and never guess missing details.
Copy medication names, doses, frequencies and durations exactly as given.
Write plain text without Markdown, in warm, simple language, in short paragraphs: \
why the animal came in, what was found and done, medications, care at home, follow-up, \
when to contact the clinic at once, prognosis. Leave out any part with no facts.
Do not add a greeting or a signature; the email adds them. Stay under 300 words.";

/// The system and user messages asking an LLM to write the summary. The user
/// message lists the case's facts; the owner's contact details are left out
/// because the writer does not need them.
pub fn llm_messages(case: &CaseData) -> (String, String) {
    let p = &case.patient;
    let mut facts = String::from("Write the discharge summary from these facts.\n\n");
    let _ = writeln!(facts, "Patient name: {}", p.name);
    for (label, v) in [
        ("Species", &p.species),
        ("Breed", &p.breed),
        ("Age", &p.age),
        ("Sex", &p.sex),
        ("Weight", &p.weight),
        ("Owner name", &case.owner.name),
    ] {
        if let Some(v) = v {
            let _ = writeln!(facts, "{label}: {v}");
        }
    }
    facts.push('\n');
    list(&mut facts, "History:", strs(&case.history));
    list(
        &mut facts,
        "Diagnoses:",
        case.diagnoses.iter().map(|d| d.text.as_str()),
    );
    list(&mut facts, "Findings:", strs(&case.findings));
    list(
        &mut facts,
        "Procedures and treatment given:",
        strs(&case.procedures),
    );
    list(
        &mut facts,
        "Medications, as prescribed:",
        case.medications.iter().map(|m| m.text.as_str()),
    );
    list(
        &mut facts,
        "Home-care instructions:",
        case.instructions.iter().map(String::as_str),
    );
    if let Some(f) = &case.follow_up {
        let _ = writeln!(facts, "Follow-up: {}\n", f.display());
    }
    list(
        &mut facts,
        "Contact the clinic at once if:",
        strs(&case.warning_signs),
    );
    list(&mut facts, "Prognosis:", strs(&case.prognosis));
    list(
        &mut facts,
        "Clinic notes:",
        case.notes.iter().map(String::as_str),
    );
    (SYSTEM_PROMPT.to_string(), facts.trim_end().to_string())
}

#[cfg(test)]
mod tests;
