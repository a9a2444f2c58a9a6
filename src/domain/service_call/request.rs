//! Validation of `POST /v1/service-calls` bodies: the body is read leniently
//! (any JSON types) and then checked field by field, reporting every problem.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use super::call_parts::{CallBody, KeyHeader, ServiceCallLimits, pointer_token};
use super::http_parts;
use super::redact::redact_headers;
use crate::domain::validation::Problems;
use crate::providers::outbound::{OutboundPolicy, OutboundRequest};

const MAX_NAME_CHARS: usize = 200;
const MAX_CORRELATION_ID_CHARS: usize = 200;
const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 64;

/// A service call that passed validation.
#[derive(Clone, PartialEq)]
pub struct ValidServiceCall {
    /// Human-readable name, 1-200 characters.
    pub name: String,
    /// HTTP method.
    pub method: Method,
    /// Absolute http(s) URL without user info.
    pub url: Url,
    /// Request headers as given (secrets included; redact before showing).
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Option<CallBody>,
    /// When to perform the call; never before the time of validation.
    pub due_at: DateTime<Utc>,
    /// Caller's correlation id.
    pub correlation_id: Option<String>,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// The header that carries the call's idempotency key.
    pub key_header: KeyHeader,
}

impl ValidServiceCall {
    /// The request to hand to the guarded client, with a content type added
    /// for the body when the caller gave none.
    pub fn outbound_request(&self) -> OutboundRequest {
        let mut headers = self.headers.clone();
        let typed = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
        if let Some(body) = self.body.as_ref().filter(|_| !typed) {
            headers.push(("Content-Type".into(), body.default_content_type().into()));
        }
        OutboundRequest {
            method: self.method.clone(),
            url: self.url.clone(),
            headers,
            body: self.body.as_ref().map(CallBody::to_bytes),
        }
    }
}

/// Debug redacts standard secret headers and hides the URL query and body.
impl fmt::Debug for ValidServiceCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidServiceCall")
            .field("name", &self.name)
            .field("method", &self.method)
            .field("host", &self.url.host_str())
            .field("path", &self.url.path())
            .field("headers", &redact_headers(&self.headers, &[]))
            .field("body", &self.body)
            .field("due_at", &self.due_at)
            .field("correlation_id", &self.correlation_id)
            .field("tags", &self.tags)
            .field("key_header", &self.key_header)
            .finish()
    }
}

/// The body as received; every field is checked by hand.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawServiceCall {
    name: Option<Value>,
    request: Option<Value>,
    due_at: Option<Value>,
    correlation_id: Option<Value>,
    tags: Option<Value>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// Validates a `POST /v1/service-calls` body, reporting every problem found.
/// A past `dueAt` means "now".
pub fn validate(
    body: &Value,
    now: DateTime<Utc>,
    limits: &ServiceCallLimits,
    policy: &OutboundPolicy,
) -> Result<ValidServiceCall, Problems> {
    let mut problems = Problems::new();
    let Ok(raw) = RawServiceCall::deserialize(body) else {
        problems.push("", "must be a JSON object");
        return Err(problems);
    };
    for key in raw.other.keys() {
        problems.push(format!("/{}", pointer_token(key)), "is not a known field");
    }
    let name = check_text(raw.name.as_ref(), "/name", MAX_NAME_CHARS, &mut problems);
    let http = match &raw.request {
        None => {
            problems.push("/request", "is required");
            None
        }
        Some(value) => {
            let mut inner = Problems::new();
            let parts = http_parts::check(value, limits, policy, &mut inner);
            problems.extend_under("/request", inner);
            parts
        }
    };
    let due_at = check_due_at(raw.due_at.as_ref(), now, limits, &mut problems);
    let correlation_id = raw.correlation_id.as_ref().and_then(|v| {
        check_text(
            Some(v),
            "/correlationId",
            MAX_CORRELATION_ID_CHARS,
            &mut problems,
        )
    });
    let tags = check_tags(raw.tags.as_ref(), &mut problems);
    match (name, http, due_at, tags) {
        (Some(name), Some(http), Some(due_at), Some(tags)) if problems.is_empty() => {
            Ok(ValidServiceCall {
                name,
                method: http.method,
                url: http.url,
                headers: http.headers,
                body: http.body,
                due_at,
                correlation_id,
                tags,
                key_header: http.key_header,
            })
        }
        _ => Err(problems),
    }
}

/// A required string of 1..=max characters, not blank, without control characters.
fn check_text(
    value: Option<&Value>,
    pointer: &str,
    max: usize,
    problems: &mut Problems,
) -> Option<String> {
    let message = match value {
        None => "is required".to_owned(),
        Some(Value::String(text)) if text.trim().is_empty() => "must not be blank".to_owned(),
        Some(Value::String(text)) if text.chars().count() > max => {
            format!("must be at most {max} characters")
        }
        Some(Value::String(text)) if text.chars().any(char::is_control) => {
            "must not contain control characters".to_owned()
        }
        Some(Value::String(text)) => return Some(text.clone()),
        Some(_) => "must be a string".to_owned(),
    };
    problems.push(pointer, message);
    None
}

fn check_due_at(
    value: Option<&Value>,
    now: DateTime<Utc>,
    limits: &ServiceCallLimits,
    problems: &mut Problems,
) -> Option<DateTime<Utc>> {
    let Some(value) = value else {
        return Some(now);
    };
    let parsed = value.as_str().map(DateTime::parse_from_rfc3339);
    let Some(Ok(at)) = parsed else {
        problems.push(
            "/dueAt",
            "must be an RFC 3339 date-time such as 2030-01-31T09:00:00Z",
        );
        return None;
    };
    let at = at.with_timezone(&Utc);
    let horizon =
        chrono::Duration::from_std(limits.max_due_horizon).unwrap_or(chrono::Duration::MAX);
    let latest = now
        .checked_add_signed(horizon)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    if at > latest {
        problems.push(
            "/dueAt",
            format!(
                "must not be more than {} ahead",
                describe(limits.max_due_horizon)
            ),
        );
        return None;
    }
    Some(at.max(now))
}

fn describe(horizon: Duration) -> String {
    const DAY: u64 = 24 * 60 * 60;
    let secs = horizon.as_secs();
    if secs.is_multiple_of(DAY) && horizon.subsec_nanos() == 0 {
        format!("{} days", secs / DAY)
    } else {
        humantime::format_duration(horizon).to_string()
    }
}

fn check_tags(value: Option<&Value>, problems: &mut Problems) -> Option<Vec<String>> {
    let items = match value {
        None => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            problems.push("/tags", "must be an array of strings");
            return None;
        }
    };
    let mut ok = true;
    if items.len() > MAX_TAGS {
        problems.push("/tags", format!("must have at most {MAX_TAGS} tags"));
        ok = false;
    }
    let mut tags = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match check_text(
            Some(item),
            &format!("/tags/{index}"),
            MAX_TAG_CHARS,
            problems,
        ) {
            Some(tag) => tags.push(tag),
            None => ok = false,
        }
    }
    ok.then_some(tags)
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
