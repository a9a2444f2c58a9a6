//! The line walker behind [`super::extract_case`]: applies the label, section
//! and continuation rules of the module documentation and collects the raw
//! strings; interpreting them is left to the caller.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::label_kinds::{Field, Label, Section};
use super::labels::{is_title, labelled, opening, strip_bullet, strip_markdown};

/// Raw strings found in the text, by destination.
#[derive(Debug, Default)]
pub(super) struct Read {
    pub(super) fields: HashMap<Field, String>,
    pub(super) diagnoses: Vec<String>,
    pub(super) medications: Vec<String>,
    pub(super) instructions: Vec<String>,
    pub(super) follow_up: Vec<String>,
    pub(super) notes: Vec<String>,
    pub(super) history: Vec<String>,
    pub(super) findings: Vec<String>,
    pub(super) procedures: Vec<String>,
    pub(super) warning_signs: Vec<String>,
    pub(super) prognosis: Vec<String>,
    /// Administrative details, as written (`Discharge date: 2024-06-01`).
    pub(super) details: Vec<String>,
    /// Lines no rule recognised, as written.
    pub(super) unrecognised: Vec<String>,
}

impl Read {
    fn list(&mut self, section: Section) -> &mut Vec<String> {
        match section {
            Section::Diagnoses => &mut self.diagnoses,
            Section::Medications => &mut self.medications,
            Section::Instructions => &mut self.instructions,
            Section::FollowUp => &mut self.follow_up,
            Section::Notes => &mut self.notes,
            Section::History => &mut self.history,
            Section::Findings => &mut self.findings,
            Section::Procedures => &mut self.procedures,
            Section::WarningSigns => &mut self.warning_signs,
            Section::Prognosis => &mut self.prognosis,
        }
    }

    fn continue_item(&mut self, section: Section, joint: &str, more: &str) {
        if let Some(last) = self.list(section).last_mut() {
            last.push_str(joint);
            last.push_str(more);
        }
    }

    /// The first value of a field wins; a repeated label is kept as an
    /// unrecognised line so nothing the clinic wrote is lost.
    fn set(&mut self, field: Field, value: &str, line: &str) {
        match self.fields.entry(field) {
            Entry::Occupied(_) => self.unrecognised.push(line.to_string()),
            Entry::Vacant(slot) => {
                slot.insert(value.to_string());
            }
        }
    }

    /// A new item of `section`. Follow-up items join into one sentence later, so
    /// one that starts under a new label ends the one before it.
    fn push(&mut self, section: Section, item: String, new_label: bool) {
        let list = self.list(section);
        if section == Section::FollowUp
            && new_label
            && let Some(last) = list.last_mut()
            && !last.ends_with(['.', ';', ','])
        {
            last.push(';');
        }
        list.push(item);
    }
}

/// A section being filled.
struct Open {
    section: Section,
    /// Opened by a bare header rather than an inline value.
    bare: bool,
    /// Indentation of the label line.
    indent: usize,
    /// The label as written, put before each item of a topic (`Diet: ...`).
    topic: Option<String>,
    /// Indentation of its bulleted items, once it has one.
    bullets_at: Option<usize>,
}

impl Open {
    fn item(&self, body: &str) -> String {
        match &self.topic {
            Some(topic) => format!("{topic}: {body}"),
            None => body.to_string(),
        }
    }
}

/// Shape of the current list item, to decide whether a line continues it.
struct Item {
    bulleted: bool,
    indent: usize,
}

/// What a label with nothing after it is waiting for.
enum Pending {
    Field(Field),
    /// An administrative detail; the label as written.
    Detail(String),
}

/// Walks the lines of `text`.
pub(super) fn read(text: &str) -> Read {
    let mut r = Read::default();
    let mut in_owner_block = false;
    let mut pending: Option<Pending> = None;
    let mut open: Option<Open> = None;
    let mut item: Option<Item> = None;
    let mut seen_label = false;
    for raw in text.lines() {
        let line = raw.trim();
        let indent = raw.len() - raw.trim_start().len();
        if line.is_empty() {
            item = None;
            continue;
        }
        let (bulleted, body) = strip_bullet(line);
        let body = strip_markdown(body);
        if body.is_empty() {
            continue;
        }
        // Inside a section a bulleted line is an item even if it looks labelled
        // ("- Weight: check weekly" is an instruction).
        let label = if bulleted && open.is_some() {
            None
        } else {
            labelled(body)
        };
        if let Some((label, head, value)) = label {
            seen_label = true;
            item = None;
            pending = None;
            match label {
                Label::Section(section) | Label::Topic(section) => {
                    let topic = matches!(label, Label::Topic(_)).then(|| head.to_string());
                    let opened = Open {
                        section,
                        bare: value.is_empty(),
                        indent,
                        topic,
                        bullets_at: None,
                    };
                    if !value.is_empty() {
                        r.push(section, opened.item(value), true);
                        item = Some(Item { bulleted, indent });
                    }
                    open = Some(opened);
                }
                Label::Sig => {
                    // The directions belong to the medication above; without one
                    // they are a medication line of their own.
                    if r.medications.is_empty() || value.is_empty() {
                        if !value.is_empty() {
                            r.push(Section::Medications, value.to_string(), true);
                        }
                    } else {
                        r.continue_item(Section::Medications, " - ", value);
                    }
                    item = Some(Item { bulleted, indent });
                    open = Some(Open {
                        section: Section::Medications,
                        bare: false,
                        indent,
                        topic: None,
                        bullets_at: None,
                    });
                }
                Label::Detail => {
                    open = None;
                    if value.is_empty() {
                        pending = Some(Pending::Detail(head.to_string()));
                    } else {
                        r.details.push(format!("{head}: {value}"));
                    }
                }
                Label::Field(_) | Label::Name => {
                    let field = match label {
                        Label::Field(f) => f,
                        _ if in_owner_block => Field::OwnerName,
                        _ => Field::PatientName,
                    };
                    open = None;
                    in_owner_block = field.is_owner();
                    if value.is_empty() {
                        pending = Some(Pending::Field(field));
                    } else {
                        r.set(field, value, line);
                    }
                }
            }
            continue;
        }
        match pending.take() {
            Some(Pending::Field(field)) => {
                r.set(field, body, line);
                continue;
            }
            Some(Pending::Detail(head)) => {
                r.details.push(format!("{head}: {body}"));
                continue;
            }
            None => {}
        }
        if !seen_label && !bulleted && is_title(line) {
            r.details.push(body.to_string());
            continue;
        }
        // A wrapped line is indented under its item, or (after a bullet) goes on
        // in lower case; anything else starts an item of its own.
        let continues = item.as_ref().is_some_and(|it| {
            !bulleted
                && (indent > it.indent
                    || (it.bulleted && body.starts_with(|c: char| c.is_lowercase())))
        });
        // An inline value takes only the lines indented under it; a list of
        // bullets ends at a plain line that is not part of its last item.
        let ends = |o: &Open| {
            !bulleted
                && !continues
                && if o.bare {
                    o.bullets_at.is_some_and(|at| indent <= at)
                } else {
                    indent <= o.indent
                }
        };
        if open.as_ref().is_some_and(ends) {
            open = None;
        }
        if !bulleted
            && !continues
            && let Some(section) = opening(body)
            && open.as_ref().is_none_or(|o| o.section != section)
        {
            r.push(section, body.to_string(), true);
            item = None;
            continue;
        }
        let Some(o) = open.as_mut() else {
            r.unrecognised.push(strip_markdown(line).to_string());
            continue;
        };
        if bulleted {
            o.bullets_at.get_or_insert(indent);
        }
        if continues {
            r.continue_item(o.section, " ", body);
        } else {
            let section = o.section;
            let entry = o.item(body);
            r.push(section, entry, false);
            item = Some(Item { bulleted, indent });
        }
    }
    r
}
