//! The line walker behind [`super::extract_case`]: applies the label, section
//! and continuation rules of the module documentation and collects the raw
//! strings; interpreting them is left to the caller.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::labels::{Field, Label, Section, labelled, strip_bullet, strip_markdown};

/// Raw strings found in the text, by destination.
#[derive(Debug, Default)]
pub(super) struct Read {
    pub(super) fields: HashMap<Field, String>,
    pub(super) diagnoses: Vec<String>,
    pub(super) medications: Vec<String>,
    pub(super) instructions: Vec<String>,
    pub(super) follow_up: Vec<String>,
    pub(super) notes: Vec<String>,
    pub(super) unknown_lines: usize,
}

impl Read {
    fn list(&mut self, section: Section) -> &mut Vec<String> {
        match section {
            Section::Diagnoses => &mut self.diagnoses,
            Section::Medications => &mut self.medications,
            Section::Instructions => &mut self.instructions,
            Section::FollowUp => &mut self.follow_up,
            Section::Notes => &mut self.notes,
        }
    }

    fn continue_item(&mut self, section: Section, more: &str) {
        if let Some(last) = self.list(section).last_mut() {
            last.push(' ');
            last.push_str(more);
        }
    }

    /// The first value of a field wins; a repeated label is kept as a note so
    /// nothing the clinic wrote is lost.
    fn set(&mut self, field: Field, value: &str, line: &str) {
        match self.fields.entry(field) {
            Entry::Occupied(_) => self.notes.push(line.to_string()),
            Entry::Vacant(slot) => {
                slot.insert(value.to_string());
            }
        }
    }
}

/// A section being filled.
struct Open {
    section: Section,
    /// Opened by a bare header rather than an inline value.
    bare: bool,
    /// Indentation of the label line.
    indent: usize,
}

/// Shape of the current list item, to decide whether a line continues it.
struct Item {
    bulleted: bool,
    indent: usize,
}

/// Walks the lines of `text`.
pub(super) fn read(text: &str) -> Read {
    let mut r = Read::default();
    let mut in_owner_block = false;
    let mut pending: Option<Field> = None;
    let mut open: Option<Open> = None;
    let mut item: Option<Item> = None;
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
        if let Some((label, value)) = label {
            item = None;
            pending = None;
            match label {
                Label::Section(section) => {
                    if !value.is_empty() {
                        r.list(section).push(value.to_string());
                        item = Some(Item { bulleted, indent });
                    }
                    open = Some(Open {
                        section,
                        bare: value.is_empty(),
                        indent,
                    });
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
                        pending = Some(field);
                    } else {
                        r.set(field, value, line);
                    }
                }
            }
            continue;
        }
        if let Some(field) = pending.take() {
            r.set(field, body, line);
            continue;
        }
        if open
            .as_ref()
            .is_some_and(|o| !o.bare && !bulleted && indent <= o.indent)
        {
            open = None;
        }
        let Some(section) = open.as_ref().map(|o| o.section) else {
            r.notes.push(line.to_string());
            r.unknown_lines += 1;
            continue;
        };
        let continues = item
            .as_ref()
            .is_some_and(|it| !bulleted && (it.bulleted || indent > it.indent));
        if continues {
            r.continue_item(section, body);
        } else {
            r.list(section).push(body.to_string());
            item = Some(Item { bulleted, indent });
        }
    }
    r
}
