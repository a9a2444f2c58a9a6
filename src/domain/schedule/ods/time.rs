//! Turns spreadsheet cells into times of day: time cells, durations, fractions of a
//! day, and the text forms people type (`07:00`, `0700`, `7a`, `7pm`).

use calamine::Data;
use chrono::NaiveTime;

use super::cells::is_blank;

const SECONDS_PER_DAY: u32 = 86_400;

/// A time cell, a duration cell, a fraction of a day, or text such as `07:00`, `7:00`,
/// `0700`, `7a`, `7pm`, `19:00`. `24:00` is midnight.
pub(super) fn parse_time(cell: &Data) -> Result<NaiveTime, &'static str> {
    const INVALID: &str = "is not a time (expected a time cell, 07:00, 0700 or 7pm)";
    match cell {
        Data::DurationIso(s) => iso_duration_time(s).ok_or(INVALID),
        Data::DateTimeIso(s) => match s.split_once('T') {
            Some((_, t)) => text_clock(t).ok_or(INVALID),
            None => Err("is a date, not a time"),
        },
        Data::DateTime(dt) => day_fraction(dt.as_f64()).ok_or(INVALID),
        Data::Float(f) => numeric_time(*f).ok_or(INVALID),
        Data::Int(i) => numeric_time(*i as f64).ok_or(INVALID),
        Data::String(s) if !s.trim().is_empty() => text_time(s).ok_or(INVALID),
        _ if is_blank(cell) => Err("is missing"),
        _ => Err(INVALID),
    }
}

/// Whole numbers up to 2400 are HHMM typed into a number cell (`700`); anything else is
/// a spreadsheet time: the fractional part of a day.
fn numeric_time(value: f64) -> Option<NaiveTime> {
    if value.fract() == 0.0 && (0.0..=2400.0).contains(&value) {
        return hhmm(value as u32);
    }
    day_fraction(value)
}

fn day_fraction(value: f64) -> Option<NaiveTime> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let seconds = (value.fract() * f64::from(SECONDS_PER_DAY)).round() as u32;
    NaiveTime::from_num_seconds_from_midnight_opt(seconds % SECONDS_PER_DAY, 0)
}

fn hhmm(value: u32) -> Option<NaiveTime> {
    clock(value / 100, value % 100, 0)
}

/// Hours 0-24 (24 only on the hour, meaning midnight), minutes and seconds 0-59.
fn clock(h: u32, m: u32, s: u32) -> Option<NaiveTime> {
    match h {
        24 if m == 0 && s == 0 => NaiveTime::from_hms_opt(0, 0, 0),
        _ => NaiveTime::from_hms_opt(h, m, s),
    }
}

/// `PT07H00M00S`, optionally with a day part (`P0DT...`) and fractional seconds.
fn iso_duration_time(s: &str) -> Option<NaiveTime> {
    let rest = s.trim().strip_prefix('P')?;
    let (days, time) = rest.split_once('T').unwrap_or((rest, ""));
    let days = match days {
        "" => 0.0,
        d => d.strip_suffix('D')?.parse::<f64>().ok()?,
    };
    let mut seconds = days * f64::from(SECONDS_PER_DAY);
    let mut number = String::new();
    for c in time.chars() {
        let unit = match c {
            'H' => 3600.0,
            'M' => 60.0,
            'S' => 1.0,
            _ => {
                number.push(c);
                continue;
            }
        };
        seconds += number.parse::<f64>().ok()? * unit;
        number.clear();
    }
    let whole = seconds.round();
    if !number.is_empty() || !(0.0..=f64::from(SECONDS_PER_DAY)).contains(&whole) {
        return None;
    }
    NaiveTime::from_num_seconds_from_midnight_opt(whole as u32 % SECONDS_PER_DAY, 0)
}

/// `HH:MM` or `HH:MM:SS` (fractions of a second dropped), as in ISO date-times.
fn text_clock(s: &str) -> Option<NaiveTime> {
    let mut parts = s.split(':');
    let h = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let s = match parts.next() {
        Some(sec) => sec.split('.').next()?.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    clock(h, m, s)
}

fn text_time(raw: &str) -> Option<NaiveTime> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .flat_map(char::to_lowercase)
        .collect();
    match s.as_str() {
        "noon" => return NaiveTime::from_hms_opt(12, 0, 0),
        "midnight" => return NaiveTime::from_hms_opt(0, 0, 0),
        _ => {}
    }
    let (body, pm) = if let Some(b) = s.strip_suffix("am").or_else(|| s.strip_suffix('a')) {
        (b, Some(false))
    } else if let Some(b) = s.strip_suffix("pm").or_else(|| s.strip_suffix('p')) {
        (b, Some(true))
    } else {
        (s.as_str(), None)
    };
    let (h, m) = if body.contains(':') {
        let t = text_clock(body)?;
        (chrono::Timelike::hour(&t), chrono::Timelike::minute(&t))
    } else if body.chars().all(|c| c.is_ascii_digit()) {
        let v: u32 = body.parse().ok()?;
        match body.len() {
            1 | 2 => (v, 0),
            3 | 4 => (v / 100, v % 100),
            _ => return None,
        }
    } else {
        return None;
    };
    match pm {
        None => clock(h, m, 0),
        Some(_) if !(1..=12).contains(&h) => None,
        Some(false) => clock(h % 12, m, 0),
        Some(true) => clock(h % 12 + 12, m, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Data {
        Data::String(s.to_owned())
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn times_are_read_from_time_cells_and_fractions_of_a_day() {
        assert_eq!(
            parse_time(&Data::DurationIso("PT07H00M00S".into())),
            Ok(t(7, 0))
        );
        assert_eq!(
            parse_time(&Data::DurationIso("PT19H30M00.000S".into())),
            Ok(t(19, 30))
        );
        assert_eq!(
            parse_time(&Data::DurationIso("PT24H00M00S".into())),
            Ok(t(0, 0))
        );
        assert!(parse_time(&Data::DurationIso("PT25H00M00S".into())).is_err());
        assert_eq!(
            parse_time(&Data::DateTimeIso("1899-12-30T07:00:00".into())),
            Ok(t(7, 0))
        );
        assert_eq!(parse_time(&Data::Float(0.75)), Ok(t(18, 0)));
        assert_eq!(parse_time(&Data::Float(46083.5)), Ok(t(12, 0)));
        assert_eq!(parse_time(&Data::Float(700.0)), Ok(t(7, 0)));
        assert_eq!(
            parse_time(&Data::DateTimeIso("2026-03-02".into())),
            Err("is a date, not a time")
        );
    }

    #[test]
    fn times_typed_as_text_in_common_forms_are_understood() {
        let cases = [
            ("07:00", t(7, 0)),
            ("7:00", t(7, 0)),
            ("0700", t(7, 0)),
            ("700", t(7, 0)),
            ("7a", t(7, 0)),
            ("7 AM", t(7, 0)),
            ("7pm", t(19, 0)),
            ("7:30 p.m.", t(19, 30)),
            ("12a", t(0, 0)),
            ("12pm", t(12, 0)),
            ("19:00", t(19, 0)),
            ("19:00:00", t(19, 0)),
            ("24:00", t(0, 0)),
            ("noon", t(12, 0)),
        ];
        for (input, want) in cases {
            assert_eq!(parse_time(&text(input)), Ok(want), "{input}");
        }
        for bad in ["25:00", "7:60", "13pm", "0pm", "seven", "7-19", "12345"] {
            assert!(parse_time(&text(bad)).is_err(), "{bad}");
        }
        assert_eq!(parse_time(&text("  ")), Err("is missing"));
    }
}
