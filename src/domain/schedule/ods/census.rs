//! Counts the cells a spreadsheet declares before any reader allocates them.
//!
//! An ODS row or cell can say "repeat me N times" (`table:number-rows-repeated`,
//! `table:number-columns-repeated`): an 867-byte file can declare a hundred million
//! cells, and the spreadsheet reader materialises every one of them. The census
//! streams `content.xml` as XML events (no tree, nothing kept per cell, the
//! decompressed text capped at [`MAX_CONTENT_BYTES`]) and works out the rectangle
//! each sheet's reader would build: from column A to the last cell holding a value,
//! from the first row holding one to the last, repeats multiplied out. Trailing
//! empty cells and rows, which spreadsheet programs write by the million as repeats
//! (an export artefact), hold no value and so enlarge nothing.

use std::io::{BufReader, Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::OdsError;

/// Most bytes `content.xml` may decompress to. Spreadsheet XML spends 70 to 150 bytes
/// per filled cell, so this leaves room for the default cell limit (a year of shifts
/// is a few MiB) while bounding the time spent reading.
pub const MAX_CONTENT_BYTES: u64 = 128 * 1024 * 1024;

/// Attributes that give a cell a value (or a formula), as the reader sees them.
const VALUE_ATTRIBUTES: [&str; 7] = [
    "office:value-type",
    "office:value",
    "office:string-value",
    "office:date-value",
    "office:time-value",
    "office:boolean-value",
    "table:formula",
];

/// Checks that the workbook declares at most `max_cells` cells in all its sheets
/// together, and that its text expands to at most [`MAX_CONTENT_BYTES`].
pub fn check_cells(bytes: &[u8], max_cells: u64) -> Result<(), OdsError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| OdsError::NotOds("the zip directory is unreadable"))?;
    let content = archive
        .by_name("content.xml")
        .map_err(|_| OdsError::NotOds("content.xml is missing"))?;
    let capped = Capped {
        inner: content,
        left: MAX_CONTENT_BYTES,
        exceeded: false,
    };
    let mut reader = Reader::from_reader(BufReader::new(capped));
    let mut census = Census::new(max_cells);
    let mut buf = Vec::new();
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                return Err(if reader.get_ref().get_ref().exceeded {
                    too_large()
                } else {
                    OdsError::Unreadable(format!("content.xml is not well-formed XML: {e}"))
                });
            }
        };
        match event {
            Event::Start(e) => census.open(&e, false)?,
            Event::Empty(e) => census.open(&e, true)?,
            Event::End(e) => census.close(e.name().as_ref())?,
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

fn too_large() -> OdsError {
    OdsError::SuspiciousCompression(format!(
        "content.xml expands beyond {MAX_CONTENT_BYTES} bytes"
    ))
}

/// A reader that fails once more than `left` bytes came through, remembering why.
struct Capped<R> {
    inner: R,
    left: u64,
    exceeded: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => {
                self.exceeded = true;
                Err(std::io::Error::other("content.xml is too large"))
            }
        }
    }
}

/// One sheet's extent so far.
struct Sheet {
    name: String,
    /// Rows seen so far, repeats included: the index of the next row.
    next_row: u64,
    /// First and last row holding a value.
    rows: Option<(u64, u64)>,
    /// Last column holding a value, in any row.
    last_col: u64,
}

/// The row being read.
struct Row {
    repeats: u64,
    next_col: u64,
    last_value_col: Option<u64>,
}

struct Census {
    max_cells: u64,
    total: u64,
    sheet: Option<Sheet>,
    row: Option<Row>,
    /// Depth inside a cell's content, where nothing but spaces counts.
    in_cell: u32,
    /// Spaces declared by `<text:s text:c="N"/>`, which the reader writes out.
    spaces: u64,
}

impl Census {
    fn new(max_cells: u64) -> Self {
        Self {
            max_cells,
            total: 0,
            sheet: None,
            row: None,
            in_cell: 0,
            spaces: 0,
        }
    }

    fn open(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), OdsError> {
        let name = e.name();
        if self.in_cell > 0 {
            if name.as_ref() == "text:s" {
                let c = count(e, "text:c")?;
                self.spaces = self.spaces.saturating_add(c);
                if self.spaces > MAX_CONTENT_BYTES {
                    return Err(too_large());
                }
            }
            if !empty {
                self.in_cell += 1;
            }
            return Ok(());
        }
        match name.as_ref() {
            "table:table" if !empty => {
                self.sheet = Some(Sheet {
                    name: text_attribute(e, "table:name"),
                    next_row: 0,
                    rows: None,
                    last_col: 0,
                });
            }
            "table:table-row" if self.sheet.is_some() => {
                let repeats = count(e, "table:number-rows-repeated")?;
                self.row = Some(Row {
                    repeats,
                    next_col: 0,
                    last_value_col: None,
                });
                if empty {
                    self.end_row();
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                if let Some(row) = self.row.as_mut() {
                    let repeats = count(e, "table:number-columns-repeated")?;
                    let has_value = VALUE_ATTRIBUTES
                        .iter()
                        .any(|a| e.try_get_attribute(a).ok().flatten().is_some());
                    row.next_col = row.next_col.saturating_add(repeats);
                    if has_value {
                        row.last_value_col = Some(row.next_col.saturating_sub(1));
                    }
                }
                if !empty {
                    self.in_cell = 1;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn close(&mut self, name: &str) -> Result<(), OdsError> {
        if self.in_cell > 0 {
            self.in_cell -= 1;
            return Ok(());
        }
        match name {
            "table:table-row" => self.end_row(),
            "table:table" => self.end_sheet()?,
            _ => {}
        }
        Ok(())
    }

    fn end_row(&mut self) {
        let (Some(row), Some(sheet)) = (self.row.take(), self.sheet.as_mut()) else {
            return;
        };
        let first = sheet.next_row;
        sheet.next_row = first.saturating_add(row.repeats);
        if let Some(col) = row.last_value_col {
            let last = sheet.next_row.saturating_sub(1);
            sheet.rows = Some(match sheet.rows {
                None => (first, last),
                Some((top, _)) => (top, last),
            });
            sheet.last_col = sheet.last_col.max(col);
        }
    }

    fn end_sheet(&mut self) -> Result<(), OdsError> {
        let Some(sheet) = self.sheet.take() else {
            return Ok(());
        };
        let cells = match sheet.rows {
            None => 0,
            Some((top, bottom)) => (bottom - top + 1).saturating_mul(sheet.last_col + 1),
        };
        self.total = self.total.saturating_add(cells);
        if self.total > self.max_cells {
            return Err(OdsError::TooManyCells {
                sheet: sheet.name,
                cells,
                total: self.total,
                limit: self.max_cells,
            });
        }
        Ok(())
    }
}

/// A repeat count: 1 when absent; a value that is not a count refuses the file.
fn count(e: &BytesStart<'_>, attribute: &str) -> Result<u64, OdsError> {
    match e.try_get_attribute(attribute) {
        Ok(None) => Ok(1),
        Ok(Some(a)) => a
            .value
            .trim()
            .parse::<u64>()
            .ok()
            .ok_or_else(|| OdsError::Unreadable("a repeat count is not a number".into())),
        Err(_) => Err(OdsError::Unreadable(
            "content.xml has a malformed attribute".into(),
        )),
    }
}

/// An attribute's text, unescaped where possible.
fn text_attribute(e: &BytesStart<'_>, attribute: &str) -> String {
    e.try_get_attribute(attribute)
        .ok()
        .flatten()
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    use super::*;

    /// An ODS archive whose `content.xml` holds `body` inside one spreadsheet.
    pub(crate) fn ods_with(body: &str) -> Vec<u8> {
        let content = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>"#
        );
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        writer.start_file("mimetype", stored).unwrap();
        writer
            .write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        writer.start_file("content.xml", stored).unwrap();
        writer.write_all(content.as_bytes()).unwrap();
        writer.finish().unwrap().into_inner()
    }

    const BOMB: &str = r#"<table:table table:name="Bomb"><table:table-row table:number-rows-repeated="6100"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#;

    #[test]
    fn a_repeat_bomb_is_refused_naming_the_sheet_and_the_figure() {
        let err = check_cells(&ods_with(BOMB), 500_000).unwrap_err();
        assert_eq!(
            err,
            OdsError::TooManyCells {
                sheet: "Bomb".into(),
                cells: 6100 * 16384,
                total: 6100 * 16384,
                limit: 500_000,
            }
        );
        let message = err.to_string();
        assert!(message.contains("\"Bomb\""), "{message}");
        assert!(message.contains("99942400"), "{message}");
    }

    #[test]
    fn trailing_empty_repeats_of_an_export_count_nothing() {
        let sheet = r#"<table:table table:name="Week 1"><table:table-column table:number-columns-repeated="1024"/>
            <table:table-row><table:table-cell office:value-type="string"><text:p>Date</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Shift</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1022"/></table:table-row>
            <table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>"#;
        check_cells(&ods_with(sheet), 2).unwrap();
        assert!(matches!(
            check_cells(&ods_with(sheet), 1),
            Err(OdsError::TooManyCells { cells: 2, .. })
        ));
    }

    #[test]
    fn empty_rows_between_values_and_leading_empty_columns_count() {
        // Values in row 1 and row 10 at column C: the reader builds 10 rows x 3 columns.
        let sheet = r#"<table:table table:name="S"><table:table-row><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value="1" office:value-type="float"/></table:table-row><table:table-row table:number-rows-repeated="8"><table:table-cell/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value="2" office:value-type="float"/></table:table-row></table:table>"#;
        assert!(matches!(
            check_cells(&ods_with(sheet), 29),
            Err(OdsError::TooManyCells { cells: 30, .. })
        ));
        check_cells(&ods_with(sheet), 30).unwrap();
    }

    #[test]
    fn sheets_count_together() {
        let one = r#"<table:table table:name="A"><table:table-row table:number-rows-repeated="3"><table:table-cell office:value-type="string" table:number-columns-repeated="2"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#;
        let two = one.replace("\"A\"", "\"B\"");
        let err = check_cells(&ods_with(&format!("{one}{two}")), 10).unwrap_err();
        assert_eq!(
            err,
            OdsError::TooManyCells {
                sheet: "B".into(),
                cells: 6,
                total: 12,
                limit: 10
            }
        );
    }

    #[test]
    fn declared_spaces_and_bad_counts_are_refused() {
        let spaces = r#"<table:table table:name="S"><table:table-row><table:table-cell office:value-type="string"><text:p><text:s text:c="4000000000"/></text:p></table:table-cell></table:table-row></table:table>"#;
        assert!(matches!(
            check_cells(&ods_with(spaces), 10),
            Err(OdsError::SuspiciousCompression(_))
        ));
        let bad = r#"<table:table table:name="S"><table:table-row table:number-rows-repeated="lots"/></table:table>"#;
        assert!(matches!(
            check_cells(&ods_with(bad), 10),
            Err(OdsError::Unreadable(_))
        ));
    }
}
