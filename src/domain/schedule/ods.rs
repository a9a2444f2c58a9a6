//! Imports a hospital's shift schedule from an OpenDocument spreadsheet upload: checks
//! that the bytes really are a safe ODS, then reads every visible sheet by its header:
//! one shift per row (the long table), or a roster grid (one row per person, one
//! column per date, shift codes from a legend), explaining every row it leaves out.

mod cells;
mod census;
mod grid;
mod header;
mod model;
mod sheet;
mod sniff;
#[cfg(test)]
mod tests;
mod time;

use std::io::Cursor;

use calamine::{Ods, Reader, SheetVisible, open_workbook_from_rs};

pub use census::{MAX_CONTENT_BYTES, check_cells};
pub use model::{
    ImportLimits, ImportMessage, ParsedSchedule, RosterEntry, Severity, ShiftRow, date_range,
};
pub use sniff::{MAX_ENTRIES, MAX_EXPANDED_BYTES, MAX_RATIO, ODS_MIMETYPE, sniff_ods};

/// Why an upload could not be imported at all. Row-level problems are not errors: they
/// are [`ImportMessage`]s, and the error variants that end an import carry them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OdsError {
    /// The upload exceeds [`ImportLimits::max_bytes`].
    #[error("the upload is {size} bytes, above the limit of {limit} bytes")]
    TooLarge {
        /// Upload size in bytes.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The bytes are not an OpenDocument spreadsheet (whatever the file was called).
    #[error("the upload is not an OpenDocument spreadsheet (.ods): {0}")]
    NotOds(&'static str),
    /// The archive has more entries than any spreadsheet needs.
    #[error("the archive has {count} entries, above the limit of {limit}")]
    TooManyEntries {
        /// Entries in the archive.
        count: usize,
        /// [`MAX_ENTRIES`].
        limit: usize,
    },
    /// The archive declares an expansion typical of a zip bomb.
    #[error("the archive was refused: {0}")]
    SuspiciousCompression(String),
    /// The sheets declare more cells than [`ImportLimits::max_cells`], repeated rows
    /// and columns multiplied out: refused before the reader allocates any.
    #[error("{}", too_many_cells(sheet, *cells, *total, *limit))]
    TooManyCells {
        /// The sheet at which the count passed the limit.
        sheet: String,
        /// The cells that sheet declares.
        cells: u64,
        /// The cells of that sheet and the ones before it.
        total: u64,
        /// The configured limit (`schedules.max_cells`).
        limit: u64,
    },
    /// More data rows than [`ImportLimits::max_rows`].
    #[error("the spreadsheet has more than {limit} data rows")]
    TooManyRows {
        /// The configured limit.
        limit: u32,
    },
    /// The spreadsheet reader failed (malformed content, password protection).
    #[error("the spreadsheet could not be read: {0}")]
    Unreadable(String),
    /// No visible sheet has a complete schedule header.
    #[error("no sheet has a schedule header (Date, Shift, Start, End, Service, Required staff)")]
    NoUsableSheet {
        /// Why each sheet was skipped.
        messages: Vec<ImportMessage>,
    },
    /// Sheets were read but no row was valid.
    #[error("no valid shift rows were found")]
    NoValidRows {
        /// Every problem found.
        messages: Vec<ImportMessage>,
    },
}

fn too_many_cells(sheet: &str, cells: u64, total: u64, limit: u64) -> String {
    let with_earlier = if total > cells {
        format!(", {total} with the sheets before it")
    } else {
        String::new()
    };
    format!(
        "sheet \"{sheet}\" declares {cells} cells (repeated rows and columns counted){with_earlier}, \
         above the limit of {limit} cells (schedules.max_cells)"
    )
}

impl OdsError {
    /// The messages explaining a failed import, empty for errors about the file itself.
    pub fn messages(&self) -> &[ImportMessage] {
        match self {
            OdsError::NoUsableSheet { messages } | OdsError::NoValidRows { messages } => messages,
            _ => &[],
        }
    }
}

/// Reads every shift row of an uploaded ODS schedule.
///
/// The upload is size-checked and sniffed ([`sniff_ods`]) before the spreadsheet reader
/// sees it. Hidden sheets and sheets without a header naming Date and Shift are skipped
/// with an info message; invalid rows are left out with one error message per problem.
pub fn parse_schedule(bytes: &[u8], limits: &ImportLimits) -> Result<ParsedSchedule, OdsError> {
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(OdsError::TooLarge {
            size,
            limit: limits.max_bytes,
        });
    }
    sniff_ods(bytes)?;
    // Also checked at intake; checked again here for uploads stored before a lower
    // limit, since the reader below allocates every declared cell.
    check_cells(bytes, limits.max_cells)?;
    let mut workbook: Ods<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::OdsError| OdsError::Unreadable(e.to_string()))?;
    let sheets = workbook.sheets_metadata().to_vec();
    let mut importer = sheet::Importer::new(limits);
    // Read every visible sheet first: a grid's legend may be on any sheet. Notes keep
    // the sheets' order.
    let mut ranges = Vec::new();
    for meta in &sheets {
        let read = if meta.visible != SheetVisible::Visible {
            Err((Severity::Info, "skipped: the sheet is hidden".to_owned()))
        } else {
            workbook.worksheet_range(&meta.name).map_err(|e| {
                (
                    Severity::Error,
                    format!("skipped: the sheet could not be read ({e})"),
                )
            })
        };
        ranges.push((meta.name.clone(), read));
    }
    let readable: Vec<(&str, &calamine::Range<calamine::Data>)> = ranges
        .iter()
        .filter_map(|(name, r)| r.as_ref().ok().map(|r| (name.as_str(), r)))
        .collect();
    let legend = importer.read_legends(&readable);
    for (name, read) in &ranges {
        match read {
            Err((severity, message)) => {
                importer.note(ImportMessage::sheet(*severity, name, message.clone()))
            }
            Ok(range) if grid::has_grid(range) => importer.read_grid(name, range, &legend)?,
            Ok(range) if grid::has_legend(range) => importer.note(ImportMessage::sheet(
                Severity::Info,
                name,
                "read as the legend of shift codes",
            )),
            Ok(range) => importer.read_sheet(name, range)?,
        }
    }
    let parsed = importer.finish()?;
    tracing::debug!(
        shifts = parsed.shifts.len(),
        messages = parsed.messages.len(),
        sheets = parsed.sheets_read,
        rows = parsed.rows_seen,
        "schedule spreadsheet parsed"
    );
    Ok(parsed)
}
