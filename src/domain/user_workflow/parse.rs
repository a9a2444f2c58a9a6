//! From the JSON a tenant sends to a checked [`UserWorkflow`], collecting every
//! problem with its JSON pointer instead of stopping at the first: unknown or
//! missing fields, bad names, durations and kinds, references a step cannot read,
//! expressions that do not compile, unknown dependencies and cycles.

use std::time::Duration;

use serde_json::{Map, Value};

use super::graph;
use super::model::{HttpSpec, PolicySpec, StepKind, StepSpec, UserWorkflow};
use super::template::{Scope, Template};
use crate::domain::validation::Problems;

/// Most steps a definition may have.
pub const MAX_STEPS: usize = 100;
/// Most retries a step may ask for.
pub const MAX_RETRIES: u64 = 20;
const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

/// True for names of workflows and steps: 1-64 of `a-z A-Z 0-9 _ -`, starting
/// with a letter or digit.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Checks a definition of workflow `name`. Whether the workflow an `invoke` names
/// exists is left to the caller, which can read the registry and the store.
pub fn parse(name: &str, body: &Value) -> Result<UserWorkflow, Problems> {
    let mut p = Problems::new();
    let Some(obj) = body.as_object() else {
        p.push("", "must be a JSON object with `steps`");
        return Err(p);
    };
    let known: Vec<&str> = ["description", "steps"]
        .into_iter()
        .chain(super::triggers::FIELDS)
        .collect();
    unknown_keys(obj, "", &known, &mut p);
    let triggers = super::triggers::parse(obj, &mut p);
    let description = match obj.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() <= 500 => Some(s.clone()),
        Some(_) => {
            p.push("/description", "must be a string of at most 500 characters");
            None
        }
    };
    let raw_steps = match obj.get("steps") {
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= MAX_STEPS => a.as_slice(),
        Some(Value::Array(_)) => {
            p.push("/steps", format!("must hold 1-{MAX_STEPS} steps"));
            &[]
        }
        _ => {
            p.push("/steps", "is required: an array of steps");
            &[]
        }
    };
    let steps: Vec<Option<StepSpec>> = raw_steps
        .iter()
        .enumerate()
        .map(|(i, s)| parse_step(name, s, &format!("/steps/{i}"), &mut p))
        .collect();
    graph::check(raw_steps, &mut p);
    if !p.is_empty() {
        return Err(p);
    }
    Ok(UserWorkflow {
        description,
        steps: steps.into_iter().flatten().collect(),
        triggers,
    })
}

fn unknown_keys(obj: &Map<String, Value>, at: &str, known: &[&str], p: &mut Problems) {
    for k in obj.keys().filter(|k| !known.contains(&k.as_str())) {
        let key = crate::domain::validation::escape_pointer(k);
        p.push(format!("{at}/{key}"), "unknown field");
    }
}

/// Normalises a kind: the snake_case names, and the camelCase ones the event
/// functions' vocabulary uses.
fn kind_of(raw: &str) -> Option<&'static str> {
    Some(match raw {
        "http" => "http",
        "sleep" => "sleep",
        "sleep_until" | "sleepUntil" => "sleep_until",
        "wait_for_event" | "waitForEvent" => "wait_for_event",
        "emit" => "emit",
        "invoke" => "invoke",
        _ => return None,
    })
}

fn parse_step(workflow: &str, v: &Value, at: &str, p: &mut Problems) -> Option<StepSpec> {
    let Some(obj) = v.as_object() else {
        p.push(at, "must be an object");
        return None;
    };
    let name = match obj.get("name").and_then(Value::as_str) {
        Some(n) if valid_name(n) => Some(n.to_string()),
        _ => {
            p.push(
                format!("{at}/name"),
                "is required: 1-64 letters, digits, `-` or `_`",
            );
            None
        }
    };
    let depends_on = match obj.get("dependsOn") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(_) => {
            p.push(format!("{at}/dependsOn"), "must be an array of step names");
            Vec::new()
        }
    };
    let policy = parse_policy(obj.get("policy"), &format!("{at}/policy"), p);
    let common = ["name", "kind", "dependsOn", "policy"];
    let scope = Scope { deps: &depends_on };
    let raw_kind = obj.get("kind").and_then(Value::as_str);
    let kind = match raw_kind.and_then(kind_of) {
        None => {
            p.push(
                format!("{at}/kind"),
                "must be one of http, sleep, sleep_until, wait_for_event, emit, invoke",
            );
            None
        }
        Some(kind) => {
            let fields: &[&str] = match kind {
                "http" => &["request"],
                "sleep" => &["duration"],
                "sleep_until" => &["until"],
                "wait_for_event" => &["event", "match", "timeout"],
                "emit" => &["event", "data"],
                _ => &["workflow", "input"],
            };
            let known: Vec<&str> = common.iter().chain(fields).copied().collect();
            unknown_keys(obj, at, &known, p);
            parse_kind(kind, workflow, obj, at, &scope, p)
        }
    };
    Some(StepSpec {
        name: name?,
        depends_on,
        policy,
        kind: kind?,
    })
}

fn parse_policy(v: Option<&Value>, at: &str, p: &mut Problems) -> PolicySpec {
    let mut policy = PolicySpec {
        critical: true,
        ..PolicySpec::default()
    };
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return policy;
    };
    let Some(obj) = v.as_object() else {
        p.push(at, "must be an object");
        return policy;
    };
    unknown_keys(obj, at, &["retries", "backoff", "timeout", "critical"], p);
    match obj.get("retries") {
        None => {}
        Some(r) => match r.as_u64() {
            Some(n) if n <= MAX_RETRIES => policy.retries = Some(n as u32),
            _ => p.push(
                format!("{at}/retries"),
                format!("must be a whole number from 0 to {MAX_RETRIES}"),
            ),
        },
    }
    policy.backoff = obj
        .get("backoff")
        .and_then(|b| duration(Some(b), &format!("{at}/backoff"), p));
    policy.timeout = obj
        .get("timeout")
        .and_then(|t| duration(Some(t), &format!("{at}/timeout"), p));
    match obj.get("critical") {
        None => {}
        Some(Value::Bool(b)) => policy.critical = *b,
        Some(_) => p.push(format!("{at}/critical"), "must be true or false"),
    }
    policy
}

/// A positive duration such as `500ms`, `30s`, `2h`.
fn duration(v: Option<&Value>, at: &str, p: &mut Problems) -> Option<Duration> {
    let parsed = v
        .and_then(Value::as_str)
        .and_then(|s| humantime::parse_duration(s.trim()).ok())
        .filter(|d| !d.is_zero());
    if parsed.is_none() {
        p.push(at, "must be a duration such as 500ms, 30s, 10m or 24h");
    }
    parsed
}

fn event_name(v: Option<&Value>, at: &str, p: &mut Problems) -> Option<String> {
    match v.and_then(Value::as_str) {
        Some(s) if !s.is_empty() && s.len() <= 200 => Some(s.to_string()),
        _ => {
            p.push(at, "must be an event name of 1-200 characters");
            None
        }
    }
}

fn template(
    v: Option<&Value>,
    at: &str,
    scope: &Scope<'_>,
    p: &mut Problems,
    required: bool,
) -> Option<Template> {
    match v {
        None if required => {
            p.push(at, "is required");
            None
        }
        None => Some(Template::new(Value::Null)),
        Some(v) => {
            let t = Template::new(v.clone());
            t.check(at, scope, p);
            Some(t)
        }
    }
}

fn parse_kind(
    kind: &str,
    workflow: &str,
    obj: &Map<String, Value>,
    at: &str,
    scope: &Scope<'_>,
    p: &mut Problems,
) -> Option<StepKind> {
    let field = |k: &str| format!("{at}/{k}");
    match kind {
        "http" => parse_http(obj.get("request"), &field("request"), scope, p).map(StepKind::Http),
        "sleep" => duration(obj.get("duration"), &field("duration"), p)
            .map(|duration| StepKind::Sleep { duration }),
        "sleep_until" => template(obj.get("until"), &field("until"), scope, p, true)
            .map(|until| StepKind::SleepUntil { until }),
        "wait_for_event" => {
            let event = event_name(obj.get("event"), &field("event"), p);
            let timeout = duration(obj.get("timeout"), &field("timeout"), p);
            let matching = match obj.get("match") {
                None | Some(Value::Null) => Some(None),
                Some(Value::Object(m)) => {
                    let at = field("match");
                    unknown_keys(m, &at, &["path", "value"], p);
                    let path = match m.get("path").and_then(Value::as_str) {
                        Some(s) if !s.is_empty() => Some(s.to_string()),
                        _ => {
                            p.push(
                                format!("{at}/path"),
                                "must be a dotted path such as data.orderId",
                            );
                            None
                        }
                    };
                    let value = template(m.get("value"), &format!("{at}/value"), scope, p, true);
                    path.zip(value).map(Some)
                }
                Some(_) => {
                    p.push(field("match"), "must be an object {path, value}");
                    None
                }
            };
            Some(StepKind::WaitForEvent {
                event: event?,
                matching: matching?,
                timeout: timeout?,
            })
        }
        "emit" => {
            let event = event_name(obj.get("event"), &field("event"), p);
            let data = template(obj.get("data"), &field("data"), scope, p, false);
            Some(StepKind::Emit {
                event: event?,
                data: data?,
            })
        }
        _ => {
            let target = match obj.get("workflow").and_then(Value::as_str) {
                Some(w) if w == workflow => {
                    p.push(field("workflow"), "a workflow cannot invoke itself");
                    None
                }
                Some(w) if valid_name(w) => Some(w.to_string()),
                _ => {
                    p.push(field("workflow"), "is required: the name of a workflow");
                    None
                }
            };
            let input = template(obj.get("input"), &field("input"), scope, p, false);
            Some(StepKind::Invoke {
                workflow: target?,
                input: input?,
            })
        }
    }
}

fn parse_http(
    v: Option<&Value>,
    at: &str,
    scope: &Scope<'_>,
    p: &mut Problems,
) -> Option<HttpSpec> {
    let Some(obj) = v.and_then(Value::as_object) else {
        p.push(at, "is required: {method, url, headers?, body?}");
        return None;
    };
    unknown_keys(obj, at, &["method", "url", "headers", "body"], p);
    let method = match obj.get("method").and_then(Value::as_str) {
        None => Some("GET".to_string()),
        Some(m) if METHODS.contains(&m.to_ascii_uppercase().as_str()) => {
            Some(m.to_ascii_uppercase())
        }
        Some(_) => {
            p.push(
                format!("{at}/method"),
                format!("must be one of {}", METHODS.join(", ")),
            );
            None
        }
    };
    let url = match obj.get("url") {
        Some(Value::String(_)) => {
            let t = template(obj.get("url"), &format!("{at}/url"), scope, p, true)?;
            if t.is_literal() && !literal_url_ok(t.source()) {
                p.push(format!("{at}/url"), "must be an absolute http or https URL");
            }
            Some(t)
        }
        _ => {
            p.push(
                format!("{at}/url"),
                "is required: an absolute http or https URL",
            );
            None
        }
    };
    let mut headers = Vec::new();
    match obj.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (name, value) in h {
                let hat = format!(
                    "{at}/headers/{}",
                    crate::domain::validation::escape_pointer(name)
                );
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    p.push(&hat, "is not a valid header name");
                    continue;
                }
                if !value.is_string() {
                    p.push(&hat, "must be a string");
                    continue;
                }
                if let Some(t) = template(Some(value), &hat, scope, p, true) {
                    headers.push((name.clone(), t));
                }
            }
        }
        Some(_) => p.push(format!("{at}/headers"), "must be an object of strings"),
    }
    let body = match obj.get("body") {
        None => None,
        Some(b) => template(Some(b), &format!("{at}/body"), scope, p, true),
    };
    Some(HttpSpec {
        method: method?,
        url: url?,
        headers,
        body,
    })
}

fn literal_url_ok(v: &Value) -> bool {
    v.as_str()
        .and_then(|s| url::Url::parse(s).ok())
        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}
