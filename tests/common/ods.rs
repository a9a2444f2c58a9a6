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
