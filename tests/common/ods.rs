//! Generates schedule spreadsheets (.ods) for the tests, so every fixture is code a
//! reader can check: one sheet per call, a header row, then the rows as given.

use chrono::{Duration, NaiveDate};
use spreadsheet_ods::{Sheet, WorkBook, write_ods_buf};

/// The header the README documents.
pub const HEADER: [&str; 6] = ["Date", "Shift", "Start", "End", "Service", "Required staff"];

/// One cell of a row.
#[derive(Debug, Clone)]
pub enum Cell {
    /// A text cell.
    Text(&'static str),
    /// A date cell.
    Date(NaiveDate),
    /// A time cell, in hours after midnight.
    Hours(i64),
    /// A number cell.
    Number(f64),
    /// Nothing.
    Empty,
}

/// A valid shift row with real date and time cells.
pub fn shift(
    date: NaiveDate,
    name: &'static str,
    start_h: i64,
    end_h: i64,
    service: &'static str,
    required: f64,
) -> Vec<Cell> {
    vec![
        Cell::Date(date),
        Cell::Text(name),
        Cell::Hours(start_h),
        Cell::Hours(end_h),
        Cell::Text(service),
        Cell::Number(required),
    ]
}

/// A sheet named `name` with [`HEADER`] in row 1 and `rows` below it.
pub fn sheet(name: &str, rows: &[Vec<Cell>]) -> Sheet {
    let mut s = Sheet::new(name);
    for (c, title) in HEADER.iter().enumerate() {
        s.set_value(0, c as u32, *title);
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u32;
            match cell {
                Cell::Text(t) => s.set_value(r, c, *t),
                Cell::Date(d) => s.set_value(r, c, *d),
                Cell::Hours(h) => s.set_value(r, c, Duration::hours(*h)),
                Cell::Number(n) => s.set_value(r, c, *n),
                Cell::Empty => {}
            }
        }
    }
    s
}

/// A sheet named `name` holding `rows` from its first row on, header rows included.
pub fn raw_sheet(name: &str, rows: &[Vec<Cell>]) -> Sheet {
    let mut s = Sheet::new(name);
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u32);
            match cell {
                Cell::Text(t) => s.set_value(r, c, *t),
                Cell::Date(d) => s.set_value(r, c, *d),
                Cell::Hours(h) => s.set_value(r, c, Duration::hours(*h)),
                Cell::Number(n) => s.set_value(r, c, *n),
                Cell::Empty => {}
            }
        }
    }
    s
}

/// The bytes of an .ods workbook holding `sheets`.
pub fn workbook(sheets: Vec<Sheet>) -> Vec<u8> {
    let mut book = WorkBook::new_empty();
    for s in sheets {
        book.push_sheet(s);
    }
    write_ods_buf(&mut book, Vec::new()).expect("the workbook is written")
}

/// A one-sheet schedule ("Week 10").
pub fn schedule(rows: &[Vec<Cell>]) -> Vec<u8> {
    workbook(vec![sheet("Week 10", rows)])
}

/// An .ods archive written by hand around `tables` (the `<table:table>` elements of
/// `content.xml`), for layouts a spreadsheet library does not write: rows and cells
/// repeated thousands of times.
pub fn raw_ods(tables: &str) -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
    );
    let mut writer = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    writer.start_file("mimetype", stored).unwrap();
    writer
        .write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    writer.start_file("content.xml", deflated).unwrap();
    writer.write_all(content.as_bytes()).unwrap();
    writer
        .start_file("META-INF/manifest.xml", deflated)
        .unwrap();
    writer
        .write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#)
        .unwrap();
    writer.finish().unwrap().into_inner()
}

/// The expansion bomb of the report: sheet `name`, one row repeated `rows` times of
/// one text cell repeated `cols` times; under a kilobyte declaring `rows * cols` cells.
pub fn repeat_bomb(name: &str, rows: u64, cols: u64) -> Vec<u8> {
    raw_ods(&format!(
        r#"<table:table table:name="{name}"><table:table-row table:number-rows-repeated="{rows}"><table:table-cell table:number-columns-repeated="{cols}" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#
    ))
}

/// A one-shift schedule followed by the empty repeated rows and columns spreadsheet
/// programs write up to their last row and column.
pub fn schedule_with_trailing_repeats() -> Vec<u8> {
    let text = |t: &str| {
        format!(
            r#"<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>"#
        )
    };
    let header: String = HEADER.iter().map(|t| text(t)).collect();
    let row = format!(
        r#"<table:table-cell office:value-type="date" office:date-value="2026-03-02"><text:p>2026-03-02</text:p></table:table-cell>{}<table:table-cell office:value-type="time" office:time-value="PT07H00M00S"><text:p>07:00</text:p></table:table-cell><table:table-cell office:value-type="time" office:time-value="PT19H00M00S"><text:p>19:00</text:p></table:table-cell>{}<table:table-cell office:value-type="float" office:value="2"><text:p>2</text:p></table:table-cell>"#,
        text("Day"),
        text("ICU")
    );
    raw_ods(&format!(
        r#"<table:table table:name="Week 10"><table:table-column table:number-columns-repeated="16384"/><table:table-row>{header}<table:table-cell table:number-columns-repeated="16378"/></table:table-row><table:table-row>{row}<table:table-cell table:number-columns-repeated="16378"/></table:table-row><table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>"#
    ))
}
