//! The discharge steps' options, as requests give them under
//! `steps.<step>.options`: parsed once when the request is validated (every problem
//! listed, pointers relative to the options object) and again by the step itself.
//!
//! - `ingest`: none.
//! - `generateSummary`: `templateId` (`standard`, `brief`, `detailed`).
//! - `prepareEmail`: `recipientEmail`, `clinicName`.
//! - `scheduleEmail`: `scheduledFor` (RFC 3339; default now).
//! - `scheduleCall`: `scheduledFor` (RFC 3339; default now), `phoneNumber` (read
//!   into E.164, in `discharge.default_phone_region` when it has no country code),
//!   `clinicName`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domain::discharge::case::is_valid_email;
use crate::domain::discharge::phone::PhoneRegion;
use crate::domain::discharge::summary::template_ids;
use crate::domain::validation::Problems;
use crate::engine::escape_pointer;

/// The template a summary uses when the request names none.
pub const DEFAULT_TEMPLATE: &str = "standard";

/// Longest accepted clinic name.
const MAX_CLINIC_NAME: usize = 200;

/// Options of `generateSummary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryOptions {
    /// A built-in template id.
    pub template_id: String,
}

/// Options of `prepareEmail`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailOptions {
    /// Overrides the case's owner email.
    pub recipient_email: Option<String>,
    /// Overrides `discharge.clinic_name`.
    pub clinic_name: Option<String>,
}

/// Options of `scheduleEmail`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleOptions {
    /// When to deliver; `None` means now.
    pub scheduled_for: Option<DateTime<Utc>>,
}

/// Options of `scheduleCall`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// When to call; `None` means now.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Overrides the case's owner phone; E.164.
    pub phone_number: Option<String>,
    /// Overrides `discharge.clinic_name` in what the call says.
    pub clinic_name: Option<String>,
}

/// Reads one options object, collecting problems.
struct Reader<'a> {
    map: Map<String, Value>,
    problems: &'a mut Problems,
}

impl<'a> Reader<'a> {
    fn new(options: &Value, known: &[&str], problems: &'a mut Problems) -> Self {
        let map = match options {
            Value::Null => Map::new(),
            Value::Object(m) => m.clone(),
            _ => {
                problems.push("", "must be an object");
                Map::new()
            }
        };
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                let message = if known.is_empty() {
                    "unknown option; this step takes no options".to_string()
                } else {
                    format!("unknown option; the options are {}", known.join(", "))
                };
                problems.push(format!("/{}", escape_pointer(key)), message);
            }
        }
        Self { map, problems }
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(_) => {
                self.problems.push(format!("/{key}"), "must be a string");
                None
            }
        }
    }

    fn checked(&mut self, key: &str, ok: impl Fn(&str) -> bool, why: &str) -> Option<String> {
        let v = self.string(key)?;
        if ok(&v) {
            Some(v)
        } else {
            self.problems.push(format!("/{key}"), why);
            None
        }
    }

    fn timestamp(&mut self, key: &str) -> Option<DateTime<Utc>> {
        let v = self.string(key)?;
        match DateTime::parse_from_rfc3339(&v) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                self.problems.push(
                    format!("/{key}"),
                    "must be an RFC 3339 timestamp such as 2026-11-23T09:00:00Z",
                );
                None
            }
        }
    }

    fn clinic_name(&mut self) -> Option<String> {
        self.checked(
            "clinicName",
            |s| {
                !s.is_empty()
                    && s.chars().count() <= MAX_CLINIC_NAME
                    && !s.contains(char::is_control)
            },
            "must be a name of 1-200 characters on one line",
        )
    }
}

/// Options of `ingest` (it takes none).
pub fn ingest(options: &Value) -> Result<(), Problems> {
    let mut problems = Problems::new();
    Reader::new(options, &[], &mut problems);
    problems.into_result(())
}

/// Options of `generateSummary`.
pub fn summary(options: &Value) -> Result<SummaryOptions, Problems> {
    let mut problems = Problems::new();
    let mut r = Reader::new(options, &["templateId"], &mut problems);
    let known = template_ids();
    let template_id = r
        .checked(
            "templateId",
            |t| known.contains(&t),
            &format!("unknown template; the templates are {}", known.join(", ")),
        )
        .unwrap_or_else(|| DEFAULT_TEMPLATE.to_string());
    problems.into_result(SummaryOptions { template_id })
}

/// Options of `prepareEmail`.
pub fn email(options: &Value) -> Result<EmailOptions, Problems> {
    let mut problems = Problems::new();
    let mut r = Reader::new(options, &["recipientEmail", "clinicName"], &mut problems);
    let recipient_email = r.checked(
        "recipientEmail",
        is_valid_email,
        "must be an email address such as owner@example.com",
    );
    let clinic_name = r.clinic_name();
    problems.into_result(EmailOptions {
        recipient_email,
        clinic_name,
    })
}

/// Options of `scheduleEmail`.
pub fn schedule(options: &Value) -> Result<ScheduleOptions, Problems> {
    let mut problems = Problems::new();
    let mut r = Reader::new(options, &["scheduledFor"], &mut problems);
    let scheduled_for = r.timestamp("scheduledFor");
    problems.into_result(ScheduleOptions { scheduled_for })
}

/// Options of `scheduleCall`; a phone number without a country code is read in
/// `region`.
pub fn call(options: &Value, region: &PhoneRegion) -> Result<CallOptions, Problems> {
    let mut problems = Problems::new();
    let mut r = Reader::new(
        options,
        &["scheduledFor", "phoneNumber", "clinicName"],
        &mut problems,
    );
    let scheduled_for = r.timestamp("scheduledFor");
    let phone_number = r
        .string("phoneNumber")
        .and_then(|p| match region.normalise(&p) {
            Ok(e164) => Some(e164),
            Err(why) => {
                r.problems.push("/phoneNumber", format!("{why}"));
                None
            }
        });
    let clinic_name = r.clinic_name();
    problems.into_result(CallOptions {
        scheduled_for,
        phone_number,
        clinic_name,
    })
}

/// Checks the options of any discharge step; problems point inside the options.
pub fn check(step: &str, options: &Value, region: &PhoneRegion) -> Problems {
    let result = match step {
        "ingest" => ingest(options),
        "generateSummary" => summary(options).map(drop),
        "prepareEmail" => email(options).map(drop),
        "scheduleEmail" => schedule(options).map(drop),
        "scheduleCall" => call(options, region).map(drop),
        _ => Ok(()),
    };
    result.err().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pointers(p: Problems) -> Vec<String> {
        p.into_vec().into_iter().map(|p| p.pointer).collect()
    }

    #[test]
    fn omitted_options_take_their_defaults() {
        assert_eq!(summary(&Value::Null).unwrap().template_id, "standard");
        assert_eq!(schedule(&Value::Null).unwrap().scheduled_for, None);
        assert_eq!(
            call(&json!({}), &PhoneRegion::default()).unwrap(),
            CallOptions::default()
        );
    }

    #[test]
    fn given_options_are_read() {
        let c = call(
            &json!({
                "scheduledFor": "2026-11-23T10:00:00+01:00",
                "phoneNumber": "+15551234567",
                "clinicName": "Happy Paws"
            }),
            &PhoneRegion::default(),
        )
        .unwrap();
        assert_eq!(
            c.scheduled_for.unwrap().to_rfc3339(),
            "2026-11-23T09:00:00+00:00"
        );
        assert_eq!(c.phone_number.as_deref(), Some("+15551234567"));
        assert_eq!(
            summary(&json!({"templateId": "brief"}))
                .unwrap()
                .template_id,
            "brief"
        );
    }

    #[test]
    fn a_national_phone_number_is_read_in_the_default_region() {
        let us = PhoneRegion::parse("US").unwrap();
        let c = call(&json!({"phoneNumber": "(555) 123-4567"}), &us).unwrap();
        assert_eq!(c.phone_number.as_deref(), Some("+15551234567"));
        let none = call(
            &json!({"phoneNumber": "(555) 123-4567"}),
            &PhoneRegion::default(),
        );
        assert_eq!(pointers(none.unwrap_err()), ["/phoneNumber"]);
    }

    #[test]
    fn every_bad_option_is_named() {
        let p = call(
            &json!({"scheduledFor": "tomorrow", "phoneNumber": "555-1234", "x": 1}),
            &PhoneRegion::default(),
        );
        assert_eq!(
            pointers(p.unwrap_err()),
            ["/x", "/scheduledFor", "/phoneNumber"]
        );
        let p = check(
            "generateSummary",
            &json!({"templateId": "fancy"}),
            &PhoneRegion::default(),
        );
        assert!(
            p.as_slice()[0]
                .message
                .contains("standard, brief, detailed")
        );
        let p = check(
            "prepareEmail",
            &json!({"recipientEmail": "owner@"}),
            &PhoneRegion::default(),
        );
        assert_eq!(pointers(p), ["/recipientEmail"]);
        let p = check("ingest", &json!({"fast": true}), &PhoneRegion::default());
        assert_eq!(pointers(p), ["/fast"]);
    }
}
