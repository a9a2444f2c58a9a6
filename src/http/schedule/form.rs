//! The `multipart/form-data` body of `POST /v1/schedules/imports`: `file` (the .ods),
//! `hospitalId`, optional `periodStart`/`periodEnd` (ISO dates) and `amionLogin`.
//! Every problem is listed at once; the file is recognised by its bytes, never its name.

use axum::body::Bytes;
use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;
use chrono::NaiveDate;

use crate::domain::schedule::ods::{check_cells, sniff_ods};
use crate::domain::schedule::period::Period;
use crate::domain::validation::Problems;
use crate::http::error::ApiError;

/// Longest accepted text field (names, dates, the access code).
const MAX_TEXT: usize = 200;

/// The fields as sent, before validation.
#[derive(Default)]
pub(super) struct RawForm {
    pub file: Option<(Option<String>, Bytes)>,
    pub hospital_id: Option<String>,
    period_start: Option<String>,
    period_end: Option<String>,
    amion_login: Option<String>,
    problems: Problems,
}

/// The validated upload (the hospital is checked by the caller).
pub(super) struct ImportForm {
    pub file_name: Option<String>,
    pub bytes: Bytes,
    pub period: Period,
    pub amion_login: Option<String>,
}

fn read_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(
            "The upload is larger than server.upload_limit_bytes allows.".into(),
        )
    } else {
        let mut p = Problems::new();
        p.push(
            "",
            format!("is not a well-formed multipart body: {}", e.body_text()),
        );
        ApiError::Validation(p)
    }
}

/// Reads every part. Unknown and repeated parts are problems, not errors, so they are
/// listed with the rest.
pub(super) async fn read(mut multipart: Multipart) -> Result<RawForm, ApiError> {
    let mut form = RawForm::default();
    while let Some(field) = multipart.next_field().await.map_err(read_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let pointer = format!("/{}", crate::engine::escape_pointer(&name));
        let slot = match name.as_str() {
            "file" => {
                let file_name = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(read_error)?;
                if form.file.replace((file_name, bytes)).is_some() {
                    form.problems.push(pointer, "must be sent once");
                }
                continue;
            }
            "hospitalId" => &mut form.hospital_id,
            "periodStart" => &mut form.period_start,
            "periodEnd" => &mut form.period_end,
            "amionLogin" => &mut form.amion_login,
            _ => {
                form.problems.push(pointer, "is not a field of an import");
                continue;
            }
        };
        let text = field.text().await.map_err(read_error)?;
        if slot.replace(text).is_some() {
            form.problems.push(pointer, "must be sent once");
        }
    }
    Ok(form)
}

fn date(raw: Option<&str>, pointer: &str, problems: &mut Problems) -> Option<NaiveDate> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            problems.push(pointer, "must be a date such as 2026-03-02");
            None
        }
    }
}

impl RawForm {
    /// Checks every field but `hospitalId`; returns the form and the problems found.
    pub(super) fn validate(self, max_cells: u64) -> (Option<ImportForm>, Problems) {
        let mut problems = self.problems;
        let start = date(self.period_start.as_deref(), "/periodStart", &mut problems);
        let end = date(self.period_end.as_deref(), "/periodEnd", &mut problems);
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            problems.push("/periodEnd", "must not be before periodStart");
        }
        // The code is a password: its problems are described, never echoed.
        let login = self.amion_login.filter(|l| !l.is_empty());
        if let Some(l) = &login
            && (l.chars().count() > MAX_TEXT || l.chars().any(|c| c.is_control()))
        {
            problems.push(
                "/amionLogin",
                format!("must be 1-{MAX_TEXT} characters without control characters"),
            );
        }
        let file = match self.file {
            None => {
                problems.push("/file", "is required (the .ods schedule)");
                None
            }
            Some((_, bytes)) if bytes.is_empty() => {
                problems.push("/file", "is empty");
                None
            }
            // The cell census streams the XML: a declared bomb is refused here,
            // before the file is stored or any replica's reader allocates it.
            Some((name, bytes)) => {
                match sniff_ods(&bytes).and_then(|()| check_cells(&bytes, max_cells)) {
                    Ok(()) => Some((name, bytes)),
                    Err(e) => {
                        problems.push("/file", e.to_string());
                        None
                    }
                }
            }
        };
        let form = file.map(|(name, bytes)| ImportForm {
            file_name: name.map(|n| {
                n.chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_TEXT)
                    .collect()
            }),
            bytes,
            period: Period { start, end },
            amion_login: login,
        });
        (form.filter(|_| problems.is_empty()), problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(file: &[u8]) -> RawForm {
        RawForm {
            file: Some((Some("week.ods".into()), Bytes::copy_from_slice(file))),
            hospital_id: Some("x".into()),
            ..RawForm::default()
        }
    }

    #[test]
    fn a_csv_named_ods_and_a_reversed_period_are_both_reported() {
        let mut form = raw(b"Date,Shift\n2026-03-02,Day\n");
        form.period_start = Some("2026-03-09".into());
        form.period_end = Some("2026-03-02".into());
        let (ok, problems) = form.validate(500_000);
        assert!(ok.is_none());
        let pointers: Vec<&str> = problems
            .as_slice()
            .iter()
            .map(|p| p.pointer.as_str())
            .collect();
        assert_eq!(pointers, vec!["/periodEnd", "/file"]);
        assert!(
            problems.as_slice()[1]
                .message
                .contains("not an OpenDocument")
        );
    }

    #[test]
    fn a_bad_access_code_is_described_without_being_echoed() {
        let mut form = raw(b"");
        form.amion_login = Some(format!("secret\u{7}{}", "x".repeat(10)));
        let (_, problems) = form.validate(500_000);
        let shown = format!("{problems}");
        assert!(shown.contains("/amionLogin"), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("/file: is empty"), "{shown}");
    }

    #[test]
    fn dates_must_be_iso() {
        let mut form = raw(b"");
        form.period_start = Some("3/2/2026".into());
        let (_, problems) = form.validate(500_000);
        assert_eq!(problems.as_slice()[0].pointer, "/periodStart");
    }
}
