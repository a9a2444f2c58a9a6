//! Reads the shift rows of one sheet below its header, collecting every problem of
//! every row, and accumulates the result of a whole workbook (roster grids included,
//! read by `grid`).

use std::collections::HashMap;

use calamine::{Data, Range};
use chrono::{Days, NaiveDate};

use super::OdsError;
use super::cells::{collapse_spaces, is_blank, parse_date, parse_required, parse_text};
use super::grid::{Legend, read_grid};
use super::header::{Header, Role, find_header, header_of};
use super::model::{ImportLimits, ImportMessage, ParsedSchedule, Severity, ShiftRow};
use super::time::parse_time;

/// The value of a parsed cell, recording its problem instead when there is one.
fn check<T>(
    problems: &mut Vec<(Role, &'static str)>,
    role: Role,
    result: Result<T, &'static str>,
) -> Option<T> {
    result.map_err(|e| problems.push((role, e))).ok()
}

/// Where a shift was first seen, to point duplicates at it.
type FirstSeen = (String, u32);

/// Accumulates shifts and messages across the sheets of one workbook.
pub(super) struct Importer {
    limits: ImportLimits,
    parsed: ParsedSchedule,
    seen: HashMap<(NaiveDate, String, String), FirstSeen>,
}

impl Importer {
    pub(super) fn new(limits: &ImportLimits) -> Self {
        Self {
            limits: *limits,
            parsed: ParsedSchedule {
                shifts: Vec::new(),
                messages: Vec::new(),
                sheets_read: 0,
                rows_seen: 0,
                roster: Vec::new(),
            },
            seen: HashMap::new(),
        }
    }

    /// Records a remark that is not about a row.
    pub(super) fn note(&mut self, message: ImportMessage) {
        self.parsed.messages.push(message);
    }

    /// Reads the legends of shift codes of every sheet.
    pub(super) fn read_legends(&mut self, sheets: &[(&str, &Range<Data>)]) -> Legend {
        let mut legend = Legend::default();
        for (name, range) in sheets {
            legend.read(name, range, &mut self.parsed.messages);
        }
        legend
    }

    /// Reads one roster grid against the workbook's legend.
    pub(super) fn read_grid(
        &mut self,
        sheet: &str,
        range: &Range<Data>,
        legend: &Legend,
    ) -> Result<(), OdsError> {
        if legend.codes.values().all(Option::is_none) {
            self.note(ImportMessage::sheet(
                Severity::Error,
                sheet,
                "skipped: a roster grid needs a legend of shift codes (Code, Shift, Start, End, Required staff)",
            ));
            return Ok(());
        }
        let read = read_grid(sheet, range, legend, &mut self.parsed.messages);
        self.parsed.sheets_read += 1;
        self.parsed.rows_seen += read.rows;
        if self.parsed.rows_seen > self.limits.max_rows {
            return Err(OdsError::TooManyRows {
                limit: self.limits.max_rows,
            });
        }
        for s in read.shifts {
            // Two grids sharing a date call for its shifts once.
            let key = (
                s.date,
                collapse_spaces(&s.name).to_lowercase(),
                collapse_spaces(&s.service).to_lowercase(),
            );
            if self.seen.contains_key(&key) {
                continue;
            }
            self.seen.insert(key, (s.sheet.clone(), s.row));
            self.parsed.shifts.push(ShiftRow {
                sheet: s.sheet,
                row: s.row,
                date: s.date,
                shift_name: s.name,
                start: s.start,
                end: s.end,
                service: s.service,
                required_staff: s.required,
            });
        }
        self.parsed.roster.extend(read.roster);
        Ok(())
    }

    /// Reads one sheet; only the row limit stops the whole import.
    pub(super) fn read_sheet(&mut self, sheet: &str, range: &Range<Data>) -> Result<(), OdsError> {
        let Some(header) = find_header(range.rows()) else {
            self.note(ImportMessage::sheet(
                Severity::Info,
                sheet,
                "skipped: no header row with at least Date and Shift columns",
            ));
            return Ok(());
        };
        let missing = header.missing();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|r| r.label()).collect();
            self.note(ImportMessage::sheet(
                Severity::Error,
                sheet,
                format!("skipped: the header lacks {} column(s)", names.join(", ")),
            ));
            return Ok(());
        }
        let first_row = range.start().map_or(0, |(r, _)| r);
        let header_row = first_row + header.row_offset as u32 + 1;
        for title in &header.duplicates {
            self.note(ImportMessage::cell(
                Severity::Warning,
                sheet,
                header_row,
                Some(title),
                "ignored: another column already holds this field",
            ));
        }
        self.parsed.sheets_read += 1;
        let before = self.parsed.shifts.len();
        for (offset, row) in range.rows().enumerate().skip(header.row_offset + 1) {
            let row_number = first_row + offset as u32 + 1;
            self.read_row(sheet, row_number, &header, row)?;
        }
        if self.parsed.shifts.len() == before {
            self.note(ImportMessage::sheet(
                Severity::Info,
                sheet,
                "no valid shift rows",
            ));
        }
        Ok(())
    }

    fn read_row(
        &mut self,
        sheet: &str,
        row_number: u32,
        header: &Header,
        row: &[Data],
    ) -> Result<(), OdsError> {
        let cell = |role: Role| {
            header
                .column(role)
                .and_then(|c| row.get(c.index))
                .unwrap_or(&Data::Empty)
        };
        // Blank rows and repeated header rows (one block per week) are layout, not data.
        if Role::ALL.iter().all(|r| is_blank(cell(*r))) || header_of(row, 0).is_some() {
            return Ok(());
        }
        self.parsed.rows_seen += 1;
        if self.parsed.rows_seen > self.limits.max_rows {
            return Err(OdsError::TooManyRows {
                limit: self.limits.max_rows,
            });
        }
        let mut problems: Vec<(Role, &str)> = Vec::new();
        let p = &mut problems;
        let date = check(p, Role::Date, parse_date(cell(Role::Date)));
        let shift_name = check(p, Role::Shift, parse_text(cell(Role::Shift)));
        let start = check(p, Role::Start, parse_time(cell(Role::Start)));
        let end = check(p, Role::End, parse_time(cell(Role::End)));
        let service = check(p, Role::Service, parse_text(cell(Role::Service)));
        let required = check(p, Role::Required, parse_required(cell(Role::Required)));
        let times = date.zip(start).zip(end).and_then(|((d, s), e)| {
            // End at or before start: the shift ends the next day (equal means 24 hours).
            let end_day = if e <= s {
                d.checked_add_days(Days::new(1))
            } else {
                Some(d)
            };
            let end = end_day.map(|day| day.and_time(e));
            if end.is_none() {
                problems.push((Role::End, "falls after the last representable date"));
            }
            Some((d.and_time(s), end?))
        });
        if !problems.is_empty() {
            for (role, problem) in problems {
                let title = header
                    .column(role)
                    .map_or(role.label(), |c| c.title.as_str());
                self.parsed.messages.push(ImportMessage::cell(
                    Severity::Error,
                    sheet,
                    row_number,
                    Some(title),
                    format!("{} {problem}; row left out", role.label()),
                ));
            }
            return Ok(());
        }
        let (Some(date), Some(shift_name), Some(service), Some(required), Some((start, end))) =
            (date, shift_name, service, required, times)
        else {
            return Ok(());
        };
        if self.is_duplicate(sheet, row_number, date, &shift_name, &service) {
            return Ok(());
        }
        self.parsed.shifts.push(ShiftRow {
            sheet: sheet.to_owned(),
            row: row_number,
            date,
            shift_name,
            start,
            end,
            service,
            required_staff: required,
        });
        Ok(())
    }

    /// True (with a warning) when the same date, shift and service were already read:
    /// the first row is kept and this one left out, so required staff never count twice.
    fn is_duplicate(
        &mut self,
        sheet: &str,
        row: u32,
        date: NaiveDate,
        shift: &str,
        service: &str,
    ) -> bool {
        let key = (
            date,
            collapse_spaces(shift).to_lowercase(),
            collapse_spaces(service).to_lowercase(),
        );
        match self.seen.get(&key) {
            Some((first_sheet, first_row)) => {
                let message = format!(
                    "the same date, shift and service already appear on sheet {first_sheet} row {first_row}; this row was left out and the first one kept"
                );
                self.parsed.messages.push(ImportMessage::cell(
                    Severity::Warning,
                    sheet,
                    row,
                    None,
                    message,
                ));
                true
            }
            None => {
                self.seen.insert(key, (sheet.to_owned(), row));
                false
            }
        }
    }

    /// The result, or an error carrying every message when nothing could be imported.
    pub(super) fn finish(self) -> Result<ParsedSchedule, OdsError> {
        let parsed = self.parsed;
        if parsed.sheets_read == 0 {
            return Err(OdsError::NoUsableSheet {
                messages: parsed.messages,
            });
        }
        if parsed.shifts.is_empty() {
            return Err(OdsError::NoValidRows {
                messages: parsed.messages,
            });
        }
        Ok(parsed)
    }
}
