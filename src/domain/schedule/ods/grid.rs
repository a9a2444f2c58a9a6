//! The roster-grid layout: one row per person, one column per date, a shift code in
//! each cell, and a legend of shift codes (code, name, start, end, required staff) on
//! a sheet of its own or above the grid. A grid is recognised by its header row: a
//! person column (`Name`, `Staff`, `Employee`, `Person`, `Provider`) followed by date
//! cells; a legend by a header naming `Code`, `Start` and `End`.
//!
//! Each date of a grid and each working code of the legend become one shift instance
//! (the legend's required staff, on that date); each code in a person's cell becomes
//! an assignment of that person to that shift. Problems are reported like the long
//! table's, by sheet, row and column.

use std::collections::BTreeMap;

use calamine::{Data, Range};
use chrono::{Days, NaiveDate, NaiveTime};

use super::cells::{collapse_spaces, is_blank, parse_date, parse_required, parse_text};
use super::model::{ImportMessage, RosterEntry, Severity};
use super::time::parse_time;

/// One working code of a legend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LegendEntry {
    /// Shift name (the code when the legend gives none).
    pub name: String,
    /// Service or unit, when the legend has such a column.
    pub service: Option<String>,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub required: u32,
    /// Where it was defined.
    pub sheet: String,
    pub row: u32,
}

/// The codes of every legend in a workbook, by lower-case code. A code with no start
/// and no end (`OFF`, `PTO`) is a day off: known, but no shift.
#[derive(Debug, Clone, Default)]
pub(super) struct Legend {
    pub codes: BTreeMap<String, Option<LegendEntry>>,
}

fn key(text: &str) -> String {
    collapse_spaces(text).to_lowercase()
}

fn is_person_title(cell: &Data) -> bool {
    matches!(cell, Data::String(s) if matches!(key(s).as_str(),
        "name" | "staff" | "employee" | "person" | "provider" | "staff name"))
}

/// Columns of a legend header.
struct LegendHeader {
    row_offset: usize,
    code: usize,
    name: Option<usize>,
    service: Option<usize>,
    start: usize,
    end: usize,
    required: Option<usize>,
    titles: BTreeMap<usize, String>,
}

fn legend_header(row: &[Data], row_offset: usize) -> Option<LegendHeader> {
    let mut found: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut titles = BTreeMap::new();
    for (i, cell) in row.iter().enumerate() {
        let Data::String(text) = cell else { continue };
        let role = match key(text).as_str() {
            "code" | "shift code" => "code",
            "shift" | "shift name" | "name" => "name",
            "service" | "unit" | "location" => "service",
            "start" | "start time" => "start",
            "end" | "end time" => "end",
            "required" | "required staff" | "staff required" | "min staff" | "headcount" => {
                "required"
            }
            _ => continue,
        };
        found.entry(role).or_insert(i);
        titles.entry(i).or_insert_with(|| text.trim().to_owned());
    }
    Some(LegendHeader {
        row_offset,
        code: *found.get("code")?,
        name: found.get("name").copied(),
        service: found.get("service").copied(),
        start: *found.get("start")?,
        end: *found.get("end")?,
        required: found.get("required").copied(),
        titles,
    })
}

/// True when the sheet holds a legend of shift codes.
pub(super) fn has_legend(range: &Range<Data>) -> bool {
    range
        .rows()
        .enumerate()
        .any(|(i, row)| legend_header(row, i).is_some())
}

/// A date column of a grid: its index, its date, and its title in messages.
type DateColumn = (usize, NaiveDate, String);

/// The person column and the date columns of a grid header, when `row` is one.
fn grid_header(row: &[Data]) -> Option<(usize, Vec<DateColumn>)> {
    let person = row.iter().position(|c| !is_blank(c))?;
    if !is_person_title(&row[person]) {
        return None;
    }
    let dates: Vec<DateColumn> = row
        .iter()
        .enumerate()
        .skip(person + 1)
        .filter_map(|(i, c)| {
            let d = parse_date(c).ok()?;
            Some((i, d, d.to_string()))
        })
        .collect();
    (!dates.is_empty()).then_some((person, dates))
}

/// True when the sheet has a grid header row.
pub(super) fn has_grid(range: &Range<Data>) -> bool {
    range.rows().any(|row| grid_header(row).is_some())
}

impl Legend {
    /// Reads the legend rows of one sheet, reporting each problem.
    pub(super) fn read(&mut self, sheet: &str, range: &Range<Data>, out: &mut Vec<ImportMessage>) {
        let first_row = range.start().map_or(0, |(r, _)| r);
        let Some(header) = range
            .rows()
            .enumerate()
            .find_map(|(i, row)| legend_header(row, i))
        else {
            return;
        };
        for (offset, row) in range.rows().enumerate().skip(header.row_offset + 1) {
            let row_number = first_row + offset as u32 + 1;
            let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).unwrap_or(&Data::Empty);
            let code = cell(Some(header.code));
            if is_blank(code) {
                // The legend ends at its first row without a code (a grid may follow).
                if row.iter().all(is_blank) {
                    continue;
                }
                break;
            }
            let title = |i: usize| header.titles.get(&i).map(String::as_str);
            let mut problem = |column: usize, what: String| {
                out.push(ImportMessage::cell(
                    Severity::Error,
                    sheet,
                    row_number,
                    title(column),
                    format!("{what}; code left out"),
                ));
            };
            let Ok(code) = parse_text(code) else {
                problem(header.code, "Code is not text".into());
                continue;
            };
            let (start_cell, end_cell) = (cell(Some(header.start)), cell(Some(header.end)));
            if is_blank(start_cell) && is_blank(end_cell) {
                self.codes.insert(key(&code), None);
                continue;
            }
            let start =
                parse_time(start_cell).map_err(|e| problem(header.start, format!("Start {e}")));
            let end = parse_time(end_cell).map_err(|e| problem(header.end, format!("End {e}")));
            let required = match header.required {
                Some(i) => parse_required(cell(Some(i)))
                    .map_err(|e| problem(i, format!("Required staff {e}"))),
                None => Ok(1),
            };
            let (Ok(start), Ok(end), Ok(required)) = (start, end, required) else {
                continue;
            };
            let name = header
                .name
                .and_then(|i| parse_text(cell(Some(i))).ok())
                .unwrap_or_else(|| code.clone());
            let service = header.service.and_then(|i| parse_text(cell(Some(i))).ok());
            if self.codes.contains_key(&key(&code)) {
                out.push(ImportMessage::cell(
                    Severity::Warning,
                    sheet,
                    row_number,
                    title(header.code),
                    format!("the code {code} is defined twice; the first definition is kept"),
                ));
                continue;
            }
            self.codes.insert(
                key(&code),
                Some(LegendEntry {
                    name,
                    service,
                    start,
                    end,
                    required,
                    sheet: sheet.to_owned(),
                    row: row_number,
                }),
            );
        }
    }
}

/// A shift instance a grid calls for: one per date column and working code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GridShift {
    pub sheet: String,
    pub row: u32,
    pub date: NaiveDate,
    pub name: String,
    pub service: String,
    pub start: chrono::NaiveDateTime,
    pub end: chrono::NaiveDateTime,
    pub required: u32,
}

/// What one grid sheet yields.
#[derive(Debug, Default)]
pub(super) struct GridRead {
    pub shifts: Vec<GridShift>,
    pub roster: Vec<RosterEntry>,
    /// Non-blank person rows read.
    pub rows: u32,
}

/// Reads one grid sheet against the legend.
pub(super) fn read_grid(
    sheet: &str,
    range: &Range<Data>,
    legend: &Legend,
    out: &mut Vec<ImportMessage>,
) -> GridRead {
    let mut read = GridRead::default();
    let first_row = range.start().map_or(0, |(r, _)| r);
    let Some((offset, (person_col, dates))) = range
        .rows()
        .enumerate()
        .find_map(|(i, row)| grid_header(row).map(|h| (i, h)))
    else {
        return read;
    };
    // Every date of the grid needs every working shift of the legend.
    for (_, date, _) in &dates {
        for entry in legend.codes.values().flatten() {
            let end_day = if entry.end <= entry.start {
                date.checked_add_days(Days::new(1))
            } else {
                Some(*date)
            };
            let Some(end_day) = end_day else { continue };
            read.shifts.push(GridShift {
                sheet: entry.sheet.clone(),
                row: entry.row,
                date: *date,
                name: entry.name.clone(),
                service: entry.service.clone().unwrap_or_else(|| sheet.to_owned()),
                start: date.and_time(entry.start),
                end: end_day.and_time(entry.end),
                required: entry.required,
            });
        }
    }
    for (i, row) in range.rows().enumerate().skip(offset + 1) {
        let row_number = first_row + i as u32 + 1;
        if row.iter().all(is_blank) || grid_header(row).is_some() {
            continue;
        }
        let person_cell = row.get(person_col).unwrap_or(&Data::Empty);
        let Ok(person) = parse_text(person_cell) else {
            if dates
                .iter()
                .any(|(c, _, _)| row.get(*c).is_some_and(|d| !is_blank(d)))
            {
                out.push(ImportMessage::cell(
                    Severity::Error,
                    sheet,
                    row_number,
                    Some("Name"),
                    "Name is missing; row left out",
                ));
            }
            continue;
        };
        read.rows += 1;
        for (column, date, title) in &dates {
            let cell = row.get(*column).unwrap_or(&Data::Empty);
            if is_blank(cell) {
                continue;
            }
            let Ok(code) = parse_text(cell) else {
                out.push(ImportMessage::cell(
                    Severity::Error,
                    sheet,
                    row_number,
                    Some(title),
                    "the shift code is not text; cell left out",
                ));
                continue;
            };
            match legend.codes.get(&key(&code)) {
                Some(Some(entry)) => read.roster.push(RosterEntry {
                    sheet: sheet.to_owned(),
                    row: row_number,
                    person: person.clone(),
                    date: *date,
                    shift_name: entry.name.clone(),
                    service: entry.service.clone().unwrap_or_else(|| sheet.to_owned()),
                }),
                Some(None) => {}
                None => out.push(ImportMessage::cell(
                    Severity::Error,
                    sheet,
                    row_number,
                    Some(title),
                    format!("the shift code {code} is not in the legend; cell left out"),
                )),
            }
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Data {
        Data::String(s.to_owned())
    }

    #[test]
    fn a_grid_header_is_a_person_column_then_dates_and_a_legend_names_code_start_end() {
        let header = [
            text("  Staff "),
            text("2026-03-02"),
            text("notes"),
            text("3/3/2026"),
        ];
        let (person, dates) = grid_header(&header).unwrap();
        assert_eq!(person, 0);
        let columns: Vec<(usize, String)> = dates.iter().map(|(c, _, t)| (*c, t.clone())).collect();
        assert_eq!(
            columns,
            [(1, "2026-03-02".to_owned()), (3, "2026-03-03".to_owned())]
        );
        assert!(
            grid_header(&[text("Name"), text("Monday")]).is_none(),
            "no date"
        );
        assert!(
            grid_header(&[text("Date"), text("2026-03-02")]).is_none(),
            "no person"
        );
        let legend = legend_header(&[text("Code"), text("Start Time"), text("End")], 0).unwrap();
        assert_eq!((legend.code, legend.start, legend.end), (0, 1, 2));
        assert!(legend.required.is_none() && legend.name.is_none());
        assert!(legend_header(&[text("Shift"), text("Start"), text("End")], 0).is_none());
    }
}
