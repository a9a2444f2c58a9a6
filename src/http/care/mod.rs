//! The care-transitions API: nurses and shifts, tasks, the notification log, a
//! patient's outreach, and Twilio's webhooks (outside bearer authentication, checked
//! by signature instead). Rows become JSON views here; the work happens in the
//! event functions of `workflows::care`.

pub mod contacts;
pub mod inbound;
pub mod notifications;
pub mod numbers;
pub mod nurses;
pub mod outreach;
pub mod tasks;
pub mod webhooks;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::domain::care::notify::FALLBACK_ORIGIN;
use crate::domain::care::reference::task_reference;
use crate::domain::care::sla::sla_times;
use crate::domain::casing::{self, api_value};
use crate::domain::validation::Problems;
use crate::store::{NotificationRow, TaskRow};

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

/// A task as the API shows it, with its SLA timetable.
pub fn task_view(t: &TaskRow, now: chrono::DateTime<chrono::Utc>) -> Value {
    let times = sla_times(t.created_at, u32::try_from(t.sla_minutes).unwrap_or(0));
    let standing = if t.status == "RESOLVED" {
        json!(null)
    } else {
        json!(times.status_at(now))
    };
    json!({
        "taskId": t.task_id,
        "reference": task_reference(t.reference_number, t.task_id),
        "patientId": t.patient_id,
        "title": t.title,
        "description": t.description,
        "priority": t.priority,
        "severity": api_value(&t.severity),
        "slaMinutes": t.sla_minutes,
        "status": api_value(&t.status),
        "assigneeId": t.assignee_id,
        "origin": api_value(&t.origin),
        "interactionId": t.interaction_id,
        "createdAt": t.created_at,
        "assignedAt": t.assigned_at,
        "resolvedAt": t.resolved_at,
        "resolution": t.resolution,
        "sla": {
            "warnAt": times.warn_at,
            "breachAt": times.breach_at,
            "warnedAt": t.sla_warned_at,
            "breachedAt": t.sla_breached_at,
            "standing": standing,
        },
        "updatedAt": t.updated_at,
    })
}

/// A notification log entry as the API shows it (the address itself is left out);
/// `fallbackFor` names the unanswered urgent call an SMS stands in for.
pub fn notification_view(n: &NotificationRow) -> Value {
    json!({
        "notificationId": n.notification_id,
        "kind": n.kind,
        "channel": n.channel,
        "recipient": {"kind": n.recipient_kind, "id": n.recipient_id},
        "subject": n.subject,
        "body": n.body,
        "priority": n.priority,
        "taskId": n.task_id,
        "patientId": n.patient_id,
        "attemptId": n.attempt_id,
        "fallbackFor": n.origin_key.strip_prefix(FALLBACK_ORIGIN),
        "status": api_value(&n.status),
        "provider": n.provider,
        "providerId": n.provider_id,
        "providerStatus": n.provider_status,
        "attempts": n.attempts,
        "error": n.error,
        "errorCode": n.error_code,
        "createdAt": n.created_at,
        "sentAt": n.sent_at,
        "deliveredAt": n.delivered_at,
        "readAt": n.read_at,
        "failedAt": n.failed_at,
        "cancelledAt": n.cancelled_at,
        "updatedAt": n.updated_at,
    })
}
