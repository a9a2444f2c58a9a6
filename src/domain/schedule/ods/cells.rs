//! Turns single spreadsheet cells into dates, counts and names, accepting the
//! forms people actually type into hospital schedules. Errors are short phrases the
//! caller prefixes with the column's name.

use calamine::Data;
use chrono::{Days, NaiveDate};

/// Day 0 of spreadsheet serial dates (both LibreOffice and Excel agree from 1900-03-01).
const SERIAL_EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1899, 12, 30) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
/// Serial number of 9999-12-31; anything larger is not a date.
const SERIAL_MAX: f64 = 2_958_465.0;

/// True for an empty cell or one holding only whitespace.
pub(super) fn is_blank(cell: &Data) -> bool {
    match cell {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Text of a name-like cell; numbers are accepted (a shift called `1`).
pub(super) fn parse_text(cell: &Data) -> Result<String, &'static str> {
    match cell {
        Data::String(s) if !s.trim().is_empty() => Ok(collapse_spaces(s)),
        Data::Float(f) if f.is_finite() && f.fract() == 0.0 => Ok(format!("{f:.0}")),
        Data::Float(f) if f.is_finite() => Ok(f.to_string()),
        Data::Int(i) => Ok(i.to_string()),
        _ if is_blank(cell) => Err("is missing"),
        _ => Err("is not text"),
    }
}

/// A date cell, a serial day number, or text as `2026-03-02` or `3/2/2026`.
pub(super) fn parse_date(cell: &Data) -> Result<NaiveDate, &'static str> {
    const INVALID: &str = "is not a date (expected a date cell, 2026-03-02 or 3/2/2026)";
    match cell {
        Data::DateTimeIso(s) => s
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .ok_or(INVALID),
        Data::DateTime(dt) if dt.is_datetime() => serial_date(dt.as_f64()).ok_or(INVALID),
        Data::Float(f) => serial_date(*f).ok_or(INVALID),
        Data::Int(i) => serial_date(*i as f64).ok_or(INVALID),
        Data::String(s) if !s.trim().is_empty() => text_date(s.trim()).ok_or(INVALID),
        _ if is_blank(cell) => Err("is missing"),
        _ => Err(INVALID),
    }
}

fn serial_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..=SERIAL_MAX).contains(&serial) {
        return None;
    }
    SERIAL_EPOCH.checked_add_days(Days::new(serial.floor() as u64))
}

fn text_date(s: &str) -> Option<NaiveDate> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    // M/D/YYYY, with a four-digit year so `3/2/26` is not read as the year 26.
    let mut parts = s.split('/');
    let (m, d, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// A positive whole number of staff; `2.0` is fine, `-1`, `0` and `1.5` are not.
pub(super) fn parse_required(cell: &Data) -> Result<u32, &'static str> {
    const INVALID: &str = "must be a whole number of staff, at least 1";
    let value = match cell {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        Data::String(s) if !s.trim().is_empty() => s.trim().parse::<f64>().map_err(|_| INVALID)?,
        _ if is_blank(cell) => return Err("is missing"),
        _ => return Err(INVALID),
    };
    if value.is_finite() && value.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&value) {
        Ok(value as u32)
    } else {
        Err(INVALID)
    }
}

/// Trims and collapses runs of whitespace, so `ICU  Call ` and `ICU Call` agree.
pub(super) fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Data {
        Data::String(s.to_owned())
    }

    #[test]
    fn dates_are_read_from_date_cells_serial_numbers_and_common_text() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(parse_date(&Data::DateTimeIso("2026-03-02".into())), Ok(d));
        assert_eq!(
            parse_date(&Data::DateTimeIso("2026-03-02T00:00:00".into())),
            Ok(d)
        );
        assert_eq!(parse_date(&Data::Float(46083.0)), Ok(d));
        assert_eq!(parse_date(&text(" 2026-03-02 ")), Ok(d));
        assert_eq!(parse_date(&text("3/2/2026")), Ok(d));
        assert_eq!(parse_date(&text("03/02/2026")), Ok(d));
    }

    #[test]
    fn impossible_or_ambiguous_dates_are_refused() {
        for bad in ["2026-02-30", "3/2/26", "13/1/2026", "tomorrow", "2026-3"] {
            assert!(parse_date(&text(bad)).is_err(), "{bad}");
        }
        assert_eq!(parse_date(&Data::Empty), Err("is missing"));
        assert!(parse_date(&Data::Float(-3.0)).is_err());
        assert!(parse_date(&Data::Bool(true)).is_err());
    }

    #[test]
    fn required_staff_must_be_a_positive_whole_number() {
        assert_eq!(parse_required(&Data::Float(2.0)), Ok(2));
        assert_eq!(parse_required(&Data::Int(3)), Ok(3));
        assert_eq!(parse_required(&text(" 4 ")), Ok(4));
        assert_eq!(parse_required(&text("2.0")), Ok(2));
        for bad in [
            Data::Float(-1.0),
            Data::Float(0.0),
            Data::Float(1.5),
            text("two"),
            text("NaN"),
        ] {
            assert!(parse_required(&bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_required(&Data::Empty), Err("is missing"));
    }

    #[test]
    fn names_are_trimmed_and_numbers_accepted_as_names() {
        assert_eq!(parse_text(&text("  ICU   Call ")), Ok("ICU Call".into()));
        assert_eq!(parse_text(&Data::Float(3.0)), Ok("3".into()));
        assert_eq!(parse_text(&text(" ")), Err("is missing"));
    }
}
