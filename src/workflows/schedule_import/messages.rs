//! Validation messages of the import's phases, each naming its phase (and the sheet,
//! row and column where there is one), in the engine's errors/warnings/infos groups.

use serde_json::{Map, Value, json};

use crate::domain::schedule::ods::{ImportMessage, Severity};
use crate::engine::Messages;

/// A message about a whole phase.
pub(super) fn phase_message(phase: &str, message: impl Into<String>) -> Value {
    json!({"phase": phase, "message": message.into()})
}

/// The spreadsheet's messages as `odsImport`'s.
pub(super) fn of_import(phase: &str, messages: &[ImportMessage]) -> Messages {
    let mut out = Messages::default();
    for m in messages {
        let mut v = Map::new();
        v.insert("phase".into(), json!(phase));
        if let Some(sheet) = &m.sheet {
            v.insert("sheet".into(), json!(sheet));
        }
        if let Some(row) = m.row {
            v.insert("row".into(), json!(row));
        }
        if let Some(column) = &m.column {
            v.insert("column".into(), json!(column));
        }
        v.insert("message".into(), json!(m.message));
        let group = match m.severity {
            Severity::Error => &mut out.errors,
            Severity::Warning => &mut out.warnings,
            Severity::Info => &mut out.infos,
        };
        group.push(Value::Object(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_messages_keep_their_location_and_name_the_phase() {
        let messages = [
            ImportMessage::cell(Severity::Error, "Week 10", 4, Some("Date"), "bad date"),
            ImportMessage::sheet(Severity::Info, "Legend", "skipped"),
        ];
        let out = of_import("odsImport", &messages);
        assert_eq!(
            out.errors,
            vec![
                json!({"phase": "odsImport", "sheet": "Week 10", "row": 4, "column": "Date", "message": "bad date"})
            ]
        );
        assert_eq!(
            out.infos,
            vec![json!({"phase": "odsImport", "sheet": "Legend", "message": "skipped"})]
        );
        assert!(out.warnings.is_empty());
    }
}
