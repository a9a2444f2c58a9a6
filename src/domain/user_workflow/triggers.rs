//! A definition's event triggers, Inngest-style: the events that start the
//! workflow (`triggers: [{event, match?}]`) and, for the runs they start,
//! `cancelOn`, `concurrency` per key, `idempotency`, `debounce`, `rateLimit` and
//! `throttle`. Paths are dotted paths into the event (`data.orderId`), as for the
//! built-in functions.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::domain::validation::Problems;

/// Most triggers a definition may have.
pub const MAX_TRIGGERS: usize = 10;

/// How events start and stop a tenant's workflow.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Triggers {
    /// Events that start a run: (event name, optional (path, value) to match).
    pub on: Vec<(String, Option<(String, Value)>)>,
    /// Later events that cancel runs: (event name, the `data` field both share).
    pub cancel_on: Vec<(String, String)>,
    /// At most `limit` runs per value of the key path execute at once.
    pub concurrency: Option<(u32, String)>,
    /// At most one run per value of this path per 24 hours.
    pub idempotency: Option<String>,
    /// Start only after a quiet period, per value of the key path.
    pub debounce: Option<(Duration, Option<String>)>,
    /// At most `limit` runs per period per key; extra events are skipped.
    pub rate_limit: Option<Limit>,
    /// At most `limit` run starts per period per key; extra runs wait.
    pub throttle: Option<Limit>,
}

/// A rate limit or throttle as defined.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// Runs (or starts) per period.
    pub limit: u32,
    /// The period.
    pub period: Duration,
    /// Dotted path into the event giving the key; one key for all events when `None`.
    pub key: Option<String>,
}

/// The shortest period of a rate limit or throttle.
pub const MIN_LIMIT_PERIOD: Duration = Duration::from_secs(1);
/// The longest period of a rate limit.
pub const MAX_RATE_LIMIT_PERIOD: Duration = Duration::from_secs(24 * 3600);
/// The longest period of a throttle.
pub const MAX_THROTTLE_PERIOD: Duration = Duration::from_secs(7 * 24 * 3600);
/// The most runs or starts per period.
pub const MAX_LIMIT: u64 = 1000;

/// The fields of a definition that [`parse`] reads.
pub const FIELDS: [&str; 7] = [
    "triggers",
    "cancelOn",
    "concurrency",
    "idempotency",
    "debounce",
    "rateLimit",
    "throttle",
];

fn path(v: Option<&Value>, at: &str, p: &mut Problems) -> Option<String> {
    match v.and_then(Value::as_str) {
        Some(s) if !s.is_empty() && s.len() <= 200 => Some(s.to_string()),
        _ => {
            p.push(
                at,
                "must be a dotted path into the event, such as data.orderId",
            );
            None
        }
    }
}

/// A key expression: a dotted path into the event (`data.patientId`, `name`),
/// whose segments are letters, digits, `_` or `-`.
fn key_path(v: Option<&Value>, at: &str, p: &mut Problems) -> Option<String> {
    let ok = |s: &str| {
        let mut parts = s.split('.');
        matches!(parts.next(), Some("data" | "name" | "id" | "ts"))
            && s.len() <= 200
            && s.split('.').all(|seg| {
                !seg.is_empty()
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            })
    };
    match v.and_then(Value::as_str) {
        Some(s) if ok(s) => Some(s.to_string()),
        _ => {
            p.push(
                at,
                "must be a dotted path into the event starting with data, name, id or ts, such as data.patientId",
            );
            None
        }
    }
}

/// Reads `rateLimit` or `throttle`: `{limit, period, key?}`.
fn limit(v: &Value, at: &str, longest: Duration, p: &mut Problems) -> Option<Limit> {
    let Some(o) = v.as_object() else {
        p.push(at, "must be an object {limit, period, key?}");
        return None;
    };
    only(o, at, &["limit", "period", "key"], p);
    let limit = match o.get("limit").and_then(Value::as_u64) {
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Some(n as u32),
        _ => {
            p.push(
                format!("{at}/limit"),
                format!("must be a whole number from 1 to {MAX_LIMIT}"),
            );
            None
        }
    };
    let period = o
        .get("period")
        .and_then(Value::as_str)
        .and_then(|s| humantime::parse_duration(s.trim()).ok())
        .filter(|d| (MIN_LIMIT_PERIOD..=longest).contains(d));
    if period.is_none() {
        p.push(
            format!("{at}/period"),
            format!(
                "must be a duration from 1s to {}, such as 30s or 5m",
                humantime::format_duration(longest)
            ),
        );
    }
    let key = match o.get("key") {
        None | Some(Value::Null) => Some(None),
        k => key_path(k, &format!("{at}/key"), p).map(Some),
    };
    match (limit, period, key) {
        (Some(limit), Some(period), Some(key)) => Some(Limit { limit, period, key }),
        _ => None,
    }
}

fn event(v: Option<&Value>, at: &str, p: &mut Problems) -> Option<String> {
    match v.and_then(Value::as_str) {
        Some(s) if !s.is_empty() && s.len() <= 200 => Some(s.to_string()),
        _ => {
            p.push(at, "must be an event name of 1-200 characters");
            None
        }
    }
}

fn only(obj: &Map<String, Value>, at: &str, known: &[&str], p: &mut Problems) {
    for k in obj.keys().filter(|k| !known.contains(&k.as_str())) {
        p.push(
            format!("{at}/{}", crate::domain::validation::escape_pointer(k)),
            "unknown field",
        );
    }
}

fn objects<'a>(
    v: &'a Value,
    at: &str,
    most: usize,
    p: &mut Problems,
) -> Vec<(String, &'a Map<String, Value>)> {
    match v.as_array() {
        Some(a) if a.len() <= most => a
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let at = format!("{at}/{i}");
                match item.as_object() {
                    Some(o) => Some((at, o)),
                    None => {
                        p.push(at, "must be an object");
                        None
                    }
                }
            })
            .collect(),
        _ => {
            p.push(at, format!("must be an array of at most {most} objects"));
            Vec::new()
        }
    }
}

/// Reads the trigger fields of a definition, recording every problem. A field
/// given as `null` is left out, as the description shows each of them nullable.
pub fn parse(def: &Map<String, Value>, p: &mut Problems) -> Triggers {
    let given = |key: &str| def.get(key).filter(|v| !v.is_null());
    let mut t = Triggers::default();
    if let Some(v) = given("triggers") {
        for (at, o) in objects(v, "/triggers", MAX_TRIGGERS, p) {
            only(o, &at, &["event", "match"], p);
            let name = event(o.get("event"), &format!("{at}/event"), p);
            let matching = match o.get("match") {
                None | Some(Value::Null) => Some(None),
                Some(Value::Object(m)) => {
                    let mat = format!("{at}/match");
                    only(m, &mat, &["path", "value"], p);
                    let path = path(m.get("path"), &format!("{mat}/path"), p);
                    if !m.contains_key("value") {
                        p.push(format!("{mat}/value"), "is required");
                    }
                    path.map(|path| Some((path, m.get("value").cloned().unwrap_or(Value::Null))))
                }
                Some(_) => {
                    p.push(format!("{at}/match"), "must be an object {path, value}");
                    None
                }
            };
            if let (Some(name), Some(matching)) = (name, matching) {
                t.on.push((name, matching));
            }
        }
    }
    if let Some(v) = given("cancelOn") {
        for (at, o) in objects(v, "/cancelOn", MAX_TRIGGERS, p) {
            only(o, &at, &["event", "field"], p);
            let name = event(o.get("event"), &format!("{at}/event"), p);
            let field = match o.get("field").and_then(Value::as_str) {
                Some(f) if !f.is_empty() && f.len() <= 200 => Some(f.to_string()),
                _ => {
                    p.push(
                        format!("{at}/field"),
                        "must name a `data` field both events carry, such as orderId",
                    );
                    None
                }
            };
            if let (Some(name), Some(field)) = (name, field) {
                t.cancel_on.push((name, field));
            }
        }
    }
    if let Some(v) = given("concurrency") {
        match v.as_object() {
            Some(o) => {
                only(o, "/concurrency", &["limit", "key"], p);
                let limit = match o.get("limit").and_then(Value::as_u64) {
                    Some(n) if (1..=1000).contains(&n) => Some(n as u32),
                    _ => {
                        p.push(
                            "/concurrency/limit",
                            "must be a whole number from 1 to 1000",
                        );
                        None
                    }
                };
                let key = path(o.get("key"), "/concurrency/key", p);
                t.concurrency = limit.zip(key);
            }
            None => p.push("/concurrency", "must be an object {limit, key}"),
        }
    }
    if let Some(v) = given("idempotency") {
        t.idempotency = path(Some(v), "/idempotency", p);
    }
    if let Some(v) = given("debounce") {
        match v.as_object() {
            Some(o) => {
                only(o, "/debounce", &["period", "key"], p);
                let period = o
                    .get("period")
                    .and_then(Value::as_str)
                    .and_then(|s| humantime::parse_duration(s.trim()).ok())
                    .filter(|d| !d.is_zero());
                if period.is_none() {
                    p.push("/debounce/period", "must be a duration such as 30s or 5m");
                }
                let key = match o.get("key") {
                    None | Some(Value::Null) => Some(None),
                    k => path(k, "/debounce/key", p).map(Some),
                };
                t.debounce = period.zip(key);
            }
            None => p.push("/debounce", "must be an object {period, key?}"),
        }
    }
    if let Some(v) = given("rateLimit") {
        t.rate_limit = limit(v, "/rateLimit", MAX_RATE_LIMIT_PERIOD, p);
    }
    if let Some(v) = given("throttle") {
        t.throttle = limit(v, "/throttle", MAX_THROTTLE_PERIOD, p);
    }
    let has_options = !t.cancel_on.is_empty()
        || t.concurrency.is_some()
        || t.idempotency.is_some()
        || t.debounce.is_some()
        || given("rateLimit").is_some()
        || given("throttle").is_some();
    if has_options && t.on.is_empty() && given("triggers").is_none() {
        p.push(
            "/triggers",
            "is required when cancelOn, concurrency, idempotency, debounce, rateLimit or throttle is given",
        );
    }
    t
}
