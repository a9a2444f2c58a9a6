//! Parses Amion's report 619 (one record per assignment): a few free-text header lines,
//! then comma- or tab-separated records. Header wording varies between accounts, so any
//! line that does not parse as a record is skipped rather than interpreted.

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use super::AmionError;

/// Marker Amion returns instead of a schedule when the login is unknown.
const NO_FILE: &str = "NOFI=No file";

/// One person on one assignment (shift or service) for one stretch of time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmionAssignment {
    /// Staff name as Amion has it, often "Last, First".
    pub staff_name: String,
    /// The unique ID the schedule admin entered (e.g. an EHR id), when there is one.
    pub staff_id: Option<String>,
    /// Assignment (shift or service) name, e.g. `Night Admitter`.
    pub assignment_name: String,
    /// The assignment's unique ID, when there is one.
    pub assignment_id: Option<String>,
    /// Day the assignment starts on.
    pub date: NaiveDate,
    /// Start, local time of the schedule.
    pub start: NaiveDateTime,
    /// End; the next day when the assignment crosses midnight, 24 h after `start` when
    /// Amion gives equal start and end times.
    pub end: NaiveDateTime,
}

/// Reads every assignment record of a report 619 body.
///
/// A body containing `NOFI=No file` is [`AmionError::Auth`]. A body in which no line is a
/// record and nothing looks like a report header is [`AmionError::UnexpectedBody`], so an
/// error page is never mistaken for an empty schedule.
pub fn parse_report_619(body: &str) -> Result<Vec<AmionAssignment>, AmionError> {
    if body.contains(NO_FILE) {
        return Err(AmionError::Auth);
    }
    let records: Vec<AmionAssignment> = body.lines().filter_map(parse_record).collect();
    if records.is_empty() && !body.lines().any(looks_like_report_header) {
        return Err(AmionError::UnexpectedBody(
            "no assignment record and no report header",
        ));
    }
    Ok(records)
}

fn looks_like_report_header(line: &str) -> bool {
    let line = line.trim_start().to_ascii_lowercase();
    line.starts_with("assignments") || line.starts_with("field ")
}

fn parse_record(line: &str) -> Option<AmionAssignment> {
    let delimiter = if line.contains('\t') { '\t' } else { ',' };
    let fields = split_fields(line, delimiter);
    if fields.len() < 9 {
        return None;
    }
    let staff_name = fields[0].clone();
    let assignment_name = fields[3].clone();
    if staff_name.is_empty() || assignment_name.is_empty() {
        return None;
    }
    let date = parse_date(&fields[6])?;
    let start_time = parse_hhmm(&fields[7])?;
    let end_time = parse_hhmm(&fields[8])?;
    let end_date = if end_time <= start_time {
        date.checked_add_days(Days::new(1))?
    } else {
        date
    };
    Some(AmionAssignment {
        staff_name,
        staff_id: non_empty(&fields[1]),
        assignment_name,
        assignment_id: non_empty(&fields[4]),
        date,
        start: date.and_time(start_time),
        end: end_date.and_time(end_time),
    })
}

fn non_empty(field: &str) -> Option<String> {
    (!field.is_empty()).then(|| field.to_owned())
}

/// Splits one line, honouring double quotes (embedded delimiters, `""` for a quote) and
/// trimming whitespace around unquoted text.
fn split_fields(line: &str, delimiter: char) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.trim_end_matches(['\r', '\n']).chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => {
                fields.push(field.trim().to_owned());
                field.clear();
            }
            c => field.push(c),
        }
    }
    fields.push(field.trim().to_owned());
    fields
}

/// `M-D-YY` as Amion writes it (`3-3-25`); four-digit years are accepted too.
fn parse_date(field: &str) -> Option<NaiveDate> {
    let mut parts = field.split(['-', '/']);
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let year_text = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let year: i32 = year_text.parse().ok()?;
    let year = match year_text.len() {
        2 => 2000 + year,
        4 => year,
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `HHMM` with leading zeros dropped: `0` is midnight, `700` is 07:00, `2400` is midnight.
fn parse_hhmm(field: &str) -> Option<NaiveTime> {
    if field.is_empty() || field.len() > 4 || !field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u32 = field.parse().ok()?;
    match (value / 100, value % 100) {
        (24, 0) => NaiveTime::from_hms_opt(0, 0, 0),
        (h, m) => NaiveTime::from_hms_opt(h, m, 0),
    }
}

/// The report 619 sample from the format notes, without the padding after commas.
#[cfg(test)]
pub(super) const FIXTURE: &str = "Assignments for 3-3-25 (as of Mar 3 06:12 2025 eastern time)\n\
Field 1 - 3: Staff name, unique ID, backup ID\n\
Field 4 - 6: Assignment name, unique ID, backup ID\n\
Field 7 - 9: Date, start time, end time\n\
\n\
\"Okafor, Ada\",\"EPICID:R1033\",\"\",\"Hospitalist 1\",\"H1\",\"\",3-3-25,700,1900\n\
\"Lindqvist, Per\",\"\",\"\",\"Night Admitter\",\"NA\",\"\",3-3-25,1900,700\n\
\"Moreau, Ines\",\"EPICID:R2210\",\"\",\"ICU Call\",\"ICU\",\"\",3-3-25,800,800\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn at(d: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 3, d)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn the_sample_report_yields_three_assignments_with_overnight_and_24_hour_ends() {
        let got = parse_report_619(FIXTURE).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].staff_name, "Okafor, Ada");
        assert_eq!(got[0].staff_id.as_deref(), Some("EPICID:R1033"));
        assert_eq!(got[0].assignment_name, "Hospitalist 1");
        assert_eq!(got[0].assignment_id.as_deref(), Some("H1"));
        assert_eq!((got[0].start, got[0].end), (at(3, 7, 0), at(3, 19, 0)));
        assert_eq!(got[1].staff_id, None);
        assert_eq!((got[1].start, got[1].end), (at(3, 19, 0), at(4, 7, 0)));
        assert_eq!((got[2].start, got[2].end), (at(3, 8, 0), at(4, 8, 0)));
    }

    #[test]
    fn tab_separated_rows_with_midnight_and_extra_fields_are_read() {
        let body =
            "Assignments for 3-3-25\nOkafor, Ada\tR1\t\tICU Call\t\t\t12-31-25\t0\t30\tpager\t42\n";
        let got = parse_report_619(body).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].staff_name, "Okafor, Ada");
        let day = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        assert_eq!(got[0].start, day.and_hms_opt(0, 0, 0).unwrap());
        assert_eq!(got[0].end, day.and_hms_opt(0, 30, 0).unwrap());
    }

    #[test]
    fn quoted_names_with_commas_and_quotes_survive_and_spaces_are_trimmed() {
        let body = "\"Smith, \"\"Jo\"\" Ann\", \"\", \"\", \"Hospitalist 3\",\"\",\"\", 3-4-25, 700, 1500\r\n";
        let got = parse_report_619(body).unwrap();
        assert_eq!(got[0].staff_name, "Smith, \"Jo\" Ann");
        assert_eq!(got[0].date, NaiveDate::from_ymd_opt(2025, 3, 4).unwrap());
    }

    #[test]
    fn lines_that_are_not_records_are_skipped() {
        let body = format!(
            "{FIXTURE}\"Short, Row\",\"\",\"\",\"X\"\n\"Bad, Date\",\"\",\"\",\"X\",\"\",\"\",13-40-25,700,1900\n\"Bad, Time\",\"\",\"\",\"X\",\"\",\"\",3-3-25,7:00,1900\n"
        );
        assert_eq!(parse_report_619(&body).unwrap().len(), 3);
    }

    #[test]
    fn an_unknown_login_is_an_auth_error_not_an_empty_schedule() {
        let err = parse_report_619("NOFI=No file\n").unwrap_err();
        assert!(matches!(err, AmionError::Auth));
    }

    #[test]
    fn a_report_with_only_headers_is_an_empty_schedule() {
        let body =
            "Assignments for 3-3-25 (as of Mar 3 06:12 2025 eastern time)\nField 1 - 3: Staff\n";
        assert_eq!(parse_report_619(body).unwrap(), vec![]);
    }

    #[test]
    fn a_body_that_is_not_a_report_is_refused() {
        let err = parse_report_619("<html><body>Service unavailable</body></html>").unwrap_err();
        assert!(matches!(err, AmionError::UnexpectedBody(_)));
        assert!(parse_report_619("").is_err());
    }
}
