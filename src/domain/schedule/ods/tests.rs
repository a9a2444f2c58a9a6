//! Whole-upload tests on spreadsheets generated here, so every fixture is readable code.

use std::io::{Cursor, Write};

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use spreadsheet_ods::style::TableStyle;
use spreadsheet_ods::{Sheet, WorkBook, write_ods_buf};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::*;

const HEADER: [&str; 6] = ["Date", "Shift", "Start", "End", "Service", "Required staff"];

fn d(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
}

fn at(day: u32, h: u32, m: u32) -> NaiveDateTime {
    d(day).and_hms_opt(h, m, 0).unwrap()
}

fn hours(h: i64) -> Duration {
    Duration::hours(h)
}

fn ods(sheets: Vec<Sheet>) -> Vec<u8> {
    let mut book = WorkBook::new_empty();
    for sheet in sheets {
        book.push_sheet(sheet);
    }
    write_ods_buf(&mut book, Vec::new()).unwrap()
}

fn header(sheet: &mut Sheet, row: u32, col: u32, titles: &[&str]) {
    for (i, title) in titles.iter().enumerate() {
        sheet.set_value(row, col + i as u32, *title);
    }
}

fn parse(bytes: &[u8]) -> Result<ParsedSchedule, OdsError> {
    parse_schedule(bytes, &ImportLimits::default())
}

/// A clean week sheet using real date and time cells.
fn good_sheet() -> Sheet {
    let mut s = Sheet::new("Week 10");
    header(&mut s, 0, 0, &HEADER);
    s.set_value(1, 0, d(2));
    s.set_value(1, 1, "Day");
    s.set_value(1, 2, hours(7));
    s.set_value(1, 3, hours(19));
    s.set_value(1, 4, "Hospitalist 1");
    s.set_value(1, 5, 2.0);
    s.set_value(2, 0, d(3));
    s.set_value(2, 1, "Evening");
    s.set_value(2, 2, NaiveTime::from_hms_opt(15, 0, 0).unwrap());
    s.set_value(2, 3, NaiveTime::from_hms_opt(23, 30, 0).unwrap());
    s.set_value(2, 4, "ICU");
    s.set_value(2, 5, 1);
    s
}

#[test]
fn a_clean_schedule_imports_every_shift_with_its_row_number() {
    let parsed = parse(&ods(vec![good_sheet()])).unwrap();
    assert_eq!(parsed.messages, vec![]);
    assert_eq!((parsed.sheets_read, parsed.rows_seen), (1, 2));
    let first = &parsed.shifts[0];
    assert_eq!(
        (
            first.sheet.as_str(),
            first.row,
            first.date,
            first.shift_name.as_str()
        ),
        ("Week 10", 2, d(2), "Day")
    );
    assert_eq!((first.start, first.end), (at(2, 7, 0), at(2, 19, 0)));
    assert_eq!(
        (first.service.as_str(), first.required_staff),
        ("Hospitalist 1", 2)
    );
    let second = &parsed.shifts[1];
    assert_eq!(
        (second.row, second.start, second.end),
        (3, at(3, 15, 0), at(3, 23, 30))
    );
    assert_eq!(date_range(&parsed.shifts), Some((d(2), d(3))));
}

#[test]
fn headers_in_another_order_with_extra_columns_and_an_offset_start_are_found() {
    let mut s = Sheet::new("March");
    // The used range starts at C4, not A1.
    header(
        &mut s,
        3,
        2,
        &[
            "Notes",
            " required ",
            "UNIT",
            "end time",
            "shift",
            "Start",
            "DATE",
        ],
    );
    let rows: [[&str; 7]; 2] = [
        [
            "bring pager",
            "2",
            "Cardiology",
            "7pm",
            "Day",
            "7a",
            "3/2/2026",
        ],
        ["", "1.0", "ED", "0700", "Night", "19:00", "2026-03-02"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            if !value.is_empty() {
                s.set_value(4 + r as u32, 2 + c as u32, *value);
            }
        }
    }
    let mut legend = Sheet::new("Legend");
    legend.set_value(0, 0, "Code");
    legend.set_value(0, 1, "Meaning");
    // Hidden the way spreadsheet programs do it: through the sheet's table style.
    let mut book = WorkBook::new_empty();
    let mut hidden_style = TableStyle::new("hidden");
    hidden_style.set_display(false);
    let hidden_style = book.add_tablestyle(hidden_style);
    let mut hidden = good_sheet();
    hidden.set_name("Old week");
    hidden.set_style(&hidden_style);
    for sheet in [legend, s, hidden] {
        book.push_sheet(sheet);
    }
    let parsed = parse(&write_ods_buf(&mut book, Vec::new()).unwrap()).unwrap();
    let got: Vec<_> = parsed
        .shifts
        .iter()
        .map(|s| {
            (
                s.row,
                s.shift_name.as_str(),
                s.service.as_str(),
                s.start,
                s.end,
                s.required_staff,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (5, "Day", "Cardiology", at(2, 7, 0), at(2, 19, 0), 2),
            (6, "Night", "ED", at(2, 19, 0), at(3, 7, 0), 1),
        ]
    );
    assert_eq!(parsed.sheets_read, 1);
    let notes: Vec<_> = parsed
        .messages
        .iter()
        .map(|m| (m.severity, m.sheet.as_deref()))
        .collect();
    assert_eq!(
        notes,
        vec![
            (Severity::Info, Some("Legend")),
            (Severity::Info, Some("Old week"))
        ]
    );
}

#[test]
fn bad_rows_are_reported_by_row_and_column_while_the_rest_import() {
    let mut s = good_sheet();
    let bad: [(u32, [&str; 6]); 4] = [
        (3, ["2026-02-30", "Day", "07:00", "19:00", "ED", "1"]),
        (4, ["2026-03-04", "Day", "07:00", "", "ED", "1"]),
        (6, ["2026-03-04", "Night", "19:00", "07:00", "ED", "-1"]),
        (7, ["2026-03-05", "Night", "late", "07:00", "ED", "0"]),
    ];
    for (row, cells) in bad {
        for (c, value) in cells.iter().enumerate() {
            if !value.is_empty() {
                s.set_value(row, c as u32, *value);
            }
        }
    }
    // Row 6 (index 5) stays blank and is skipped without a word.
    let parsed = parse(&ods(vec![s])).unwrap();
    assert_eq!(parsed.shifts.len(), 2);
    assert_eq!(parsed.rows_seen, 6);
    let errors: Vec<_> = parsed
        .messages
        .iter()
        .map(|m| (m.severity, m.sheet.as_deref(), m.row, m.column.as_deref()))
        .collect();
    let e = |row, col| (Severity::Error, Some("Week 10"), Some(row), Some(col));
    assert_eq!(
        errors,
        vec![
            e(4, "Date"),
            e(5, "End"),
            e(7, "Required staff"),
            e(8, "Start"),
            e(8, "Required staff"),
        ]
    );
    assert_eq!(parsed.messages[1].message, "End is missing; row left out");
    assert!(parsed.messages[2].message.contains("at least 1"));
}

#[test]
fn overnight_and_24_hour_shifts_end_on_the_next_day() {
    let mut s = Sheet::new("Nights");
    header(&mut s, 0, 0, &HEADER);
    for (r, (start, end)) in [(hours(19), hours(7)), (hours(8), hours(8))]
        .into_iter()
        .enumerate()
    {
        let row = r as u32 + 1;
        s.set_value(row, 0, d(2));
        s.set_value(row, 1, if r == 0 { "Night" } else { "Call" });
        s.set_value(row, 2, start);
        s.set_value(row, 3, end);
        s.set_value(row, 4, "ICU");
        s.set_value(row, 5, 1.0);
    }
    let parsed = parse(&ods(vec![s])).unwrap();
    assert_eq!(
        (parsed.shifts[0].start, parsed.shifts[0].end),
        (at(2, 19, 0), at(3, 7, 0))
    );
    assert_eq!(
        (parsed.shifts[1].start, parsed.shifts[1].end),
        (at(2, 8, 0), at(3, 8, 0))
    );
}

#[test]
fn the_same_shift_twice_keeps_the_first_row_and_warns_about_the_second() {
    let mut s = good_sheet();
    for (c, value) in [
        "2026-03-02",
        " day ",
        "07:00",
        "19:00",
        "hospitalist  1",
        "1",
    ]
    .iter()
    .enumerate()
    {
        s.set_value(3, c as u32, *value);
    }
    let parsed = parse(&ods(vec![s])).unwrap();
    assert_eq!(parsed.shifts.len(), 2, "the duplicate is left out");
    let day = &parsed.shifts[0];
    assert_eq!(
        (day.row, day.required_staff),
        (2, 2),
        "the first row's requirement is kept, not added to"
    );
    assert_eq!(parsed.rows_seen, 3);
    assert_eq!(parsed.messages.len(), 1);
    assert_eq!(parsed.messages[0].severity, Severity::Warning);
    assert_eq!(parsed.messages[0].row, Some(4));
    assert!(parsed.messages[0].message.contains("Week 10 row 2"));
    assert!(parsed.messages[0].message.contains("left out"));
}

#[test]
fn a_workbook_without_a_schedule_header_is_refused_with_the_reasons() {
    let mut legend = Sheet::new("Legend");
    legend.set_value(0, 0, "D");
    let mut partial = Sheet::new("Week 11");
    header(&mut partial, 0, 0, &["Date", "Shift", "Start"]);
    let err = parse(&ods(vec![legend, partial])).unwrap_err();
    let OdsError::NoUsableSheet { messages } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].severity, Severity::Error);
    assert!(messages[1].message.contains("End, Service, Required staff"));
}

#[test]
fn a_sheet_whose_rows_are_all_invalid_is_no_valid_rows() {
    let mut s = Sheet::new("Week 12");
    header(&mut s, 0, 0, &HEADER);
    s.set_value(1, 0, "soon");
    let err = parse(&ods(vec![s])).unwrap_err();
    assert!(matches!(err, OdsError::NoValidRows { .. }), "{err:?}");
    // Date bad, and Shift, Start, End, Service, Required staff missing: all six reported.
    assert_eq!(
        err.messages()
            .iter()
            .filter(|m| m.severity == Severity::Error)
            .count(),
        6
    );
}

#[test]
fn uploads_over_the_limits_are_refused() {
    let bytes = ods(vec![good_sheet()]);
    let small = ImportLimits {
        max_bytes: 100,
        max_rows: 100,
        ..ImportLimits::default()
    };
    assert!(matches!(
        parse_schedule(&bytes, &small),
        Err(OdsError::TooLarge { .. })
    ));
    let few = ImportLimits {
        max_bytes: 1 << 20,
        max_rows: 1,
        ..ImportLimits::default()
    };
    assert_eq!(
        parse_schedule(&bytes, &few),
        Err(OdsError::TooManyRows { limit: 1 })
    );
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn files_that_are_not_ods_are_refused_by_content() {
    let text_named_ods = b"Date,Shift,Start,End,Service,Required staff\n".to_vec();
    let no_mimetype = zip_of(&[("content.xml", b"<office:document-content/>")]);
    let xlsx_like = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/workbook.xml", b"<workbook/>"),
        ("xl/worksheets/sheet1.xml", b"<worksheet/>"),
    ]);
    for bytes in [text_named_ods, no_mimetype, xlsx_like] {
        let err = parse(&bytes).unwrap_err();
        assert!(matches!(err, OdsError::NotOds(_)), "{err:?}");
    }
}

#[test]
fn generated_files_pass_the_sniffer() {
    sniff_ods(&ods(vec![good_sheet()])).unwrap();
}

#[test]
fn files_written_by_a_spreadsheet_library_pass_the_cell_census_and_import() {
    // A real writer's output, with its own repeats, counts what it holds.
    let bytes = ods(vec![good_sheet()]);
    check_cells(&bytes, 500_000).unwrap();
    let tight = ImportLimits {
        max_cells: 3,
        ..ImportLimits::default()
    };
    assert!(matches!(
        parse_schedule(&bytes, &tight),
        Err(OdsError::TooManyCells { limit: 3, .. })
    ));
}
