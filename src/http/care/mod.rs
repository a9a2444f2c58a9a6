//! The care-transitions API: nurses and shifts, tasks, the notification log, a
//! patient's outreach, and Twilio's webhooks (outside bearer authentication, checked
//! by signature instead). Rows become the typed answers of the `*_view` modules (the
//! schemas the API description names); the work happens in the event functions of
//! `workflows::care`.

pub mod contact_view;
pub mod contacts;
pub mod inbound;
pub mod notification_view;
pub mod notifications;
pub mod numbers;
pub mod nurse_view;
pub mod nurses;
pub mod outreach;
pub mod outreach_view;
pub mod task_view;
pub mod tasks;
pub mod webhooks;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::casing;
use crate::domain::validation::Problems;

/// Largest page of a listing.
const MAX_PAGE: i64 = 100;
/// Page size when none is asked for.
const DEFAULT_PAGE: i64 = 50;

/// Reads `?limit=` (1-100, default 50).
fn page_limit(raw: Option<&str>, problems: &mut Problems) -> i64 {
    match raw {
        None => DEFAULT_PAGE,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                problems.push(
                    "/query/limit",
                    format!("must be a number from 1 to {MAX_PAGE}"),
                );
                DEFAULT_PAGE
            }
        },
    }
}

/// Reads an id from the query string.
fn query_id(raw: Option<&str>, pointer: &str, problems: &mut Problems) -> Option<Uuid> {
    let v = raw?;
    match Uuid::parse_str(v) {
        Ok(id) => Some(id),
        Err(_) => {
            problems.push(pointer, "must be an id this API returned");
            None
        }
    }
}

/// Reads a query value that must be the API spelling of one of `allowed` (stored
/// spellings); answers the stored one.
fn one_of(
    raw: Option<&str>,
    allowed: &[&str],
    pointer: &str,
    problems: &mut Problems,
) -> Option<String> {
    let v = raw?;
    match casing::stored_value(v, allowed) {
        Some(stored) => Some(stored.to_string()),
        None => {
            problems.push(
                pointer,
                format!("must be one of {}", casing::accepted(allowed)),
            );
            None
        }
    }
}

/// Flags members of a request object that are not in `known`.
fn unknown_members(body: &Map<String, Value>, known: &[&str], problems: &mut Problems) {
    for key in body.keys().filter(|k| !known.contains(&k.as_str())) {
        problems.push(
            format!("/{key}"),
            format!("unknown member; expected {}", known.join(", ")),
        );
    }
}

/// An optional string member of at most `max` characters (blank counts as absent).
fn optional_text(
    body: &Map<String, Value>,
    key: &str,
    max: usize,
    problems: &mut Problems,
) -> Option<String> {
    match body.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= max => {
            Some(s.trim().to_string()).filter(|s| !s.is_empty())
        }
        Some(_) => {
            problems.push(
                format!("/{key}"),
                format!("must be a string of at most {max} characters"),
            );
            None
        }
    }
}

/// A required string member of 1-`max` characters.
fn required_text(
    body: &Map<String, Value>,
    key: &str,
    max: usize,
    problems: &mut Problems,
) -> String {
    let before = problems.as_slice().len();
    match optional_text(body, key, max, problems) {
        Some(s) => s,
        None => {
            // Only when the member was not already reported as malformed.
            if problems.as_slice().len() == before {
                problems.push(
                    format!("/{key}"),
                    format!("is required: 1-{max} characters"),
                );
            }
            String::new()
        }
    }
}
