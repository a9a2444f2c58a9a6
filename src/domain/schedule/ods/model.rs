//! What a schedule import produces: the shift rows read from the spreadsheet, the
//! messages explaining what was skipped or doubtful, and the limits that bound an upload.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// Bounds applied to one uploaded spreadsheet before and while it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportLimits {
    /// Largest accepted upload, in bytes.
    pub max_bytes: u64,
    /// Largest number of non-blank data rows read across all sheets.
    pub max_rows: u32,
    /// Most cells all sheets may declare, repeats multiplied out.
    #[serde(default = "default_max_cells")]
    pub max_cells: u64,
}

fn default_max_cells() -> u64 {
    500_000
}

impl Default for ImportLimits {
    /// 10 MiB, 20,000 rows and 500,000 cells: far above a year of shifts for a large
    /// hospital.
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            max_rows: 20_000,
            max_cells: default_max_cells(),
        }
    }
}

/// How serious an [`ImportMessage`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// The row or sheet was left out.
    Error,
    /// Imported, but probably not what the author meant.
    Warning,
    /// Something was skipped on purpose (a sheet without a schedule, a hidden sheet).
    Info,
}

/// One remark about the upload, located as precisely as possible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportMessage {
    /// How serious it is.
    pub severity: Severity,
    /// Sheet name, when the remark concerns one sheet.
    pub sheet: Option<String>,
    /// 1-based spreadsheet row number, as the spreadsheet program shows it.
    pub row: Option<u32>,
    /// Column header as written in the sheet, when the remark concerns one cell.
    pub column: Option<String>,
    /// What is wrong or what was done, for a human.
    pub message: String,
}

impl ImportMessage {
    /// A remark about a whole sheet.
    pub fn sheet(severity: Severity, sheet: &str, message: impl Into<String>) -> Self {
        Self {
            severity,
            sheet: Some(sheet.to_owned()),
            row: None,
            column: None,
            message: message.into(),
        }
    }

    /// A remark about one cell (or, without a column, one row).
    pub fn cell(
        severity: Severity,
        sheet: &str,
        row: u32,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            sheet: Some(sheet.to_owned()),
            row: Some(row),
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// One shift the hospital needs staffed, read from one spreadsheet row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftRow {
    /// Sheet the row came from.
    pub sheet: String,
    /// 1-based spreadsheet row number.
    pub row: u32,
    /// Day the shift starts on.
    pub date: NaiveDate,
    /// Shift name as written (`Day`, `Night Admitter`).
    pub shift_name: String,
    /// Start, local facility time.
    pub start: NaiveDateTime,
    /// End, local facility time; after `start`, on the next day for overnight shifts.
    pub end: NaiveDateTime,
    /// Service, location or unit as written.
    pub service: String,
    /// How many staff the shift needs (at least 1).
    pub required_staff: u32,
}

/// Everything read from one upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParsedSchedule {
    /// Valid shift rows, in sheet then row order.
    pub shifts: Vec<ShiftRow>,
    /// Errors, warnings and notes, in sheet then row order.
    pub messages: Vec<ImportMessage>,
    /// Sheets that had a recognisable header and were read.
    pub sheets_read: u32,
    /// Non-blank data rows examined below the header rows, valid or not (a grid's
    /// person rows included).
    pub rows_seen: u32,
    /// Who works which shift, from roster grids (empty for long tables).
    #[serde(default)]
    pub roster: Vec<RosterEntry>,
}

/// A person working a code on a date, read from a grid cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterEntry {
    /// Sheet and 1-based row of the person.
    pub sheet: String,
    /// Row number.
    pub row: u32,
    /// The person as written.
    pub person: String,
    /// The date of the column.
    pub date: NaiveDate,
    /// The shift name the code stands for.
    pub shift_name: String,
    /// The service of that shift.
    pub service: String,
}

/// First and last shift date, or `None` when there are no shifts.
pub fn date_range(shifts: &[ShiftRow]) -> Option<(NaiveDate, NaiveDate)> {
    let first = shifts.iter().map(|s| s.date).min()?;
    let last = shifts.iter().map(|s| s.date).max()?;
    Some((first, last))
}
