//! A definition's event triggers, Inngest-style: the events that start the
//! workflow (`triggers: [{event, match?}]`) and, for the runs they start,
//! `cancelOn`, `concurrency` per key, `idempotency` and `debounce`. Paths are
//! dotted paths into the event (`data.orderId`), as for the built-in functions.

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
}

/// The fields of a definition that [`parse`] reads.
pub const FIELDS: [&str; 5] = [
    "triggers",
    "cancelOn",
    "concurrency",
    "idempotency",
    "debounce",
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
            format!("{at}/{}", crate::engine::escape_pointer(k)),
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

/// Reads the trigger fields of a definition, recording every problem.
pub fn parse(def: &Map<String, Value>, p: &mut Problems) -> Triggers {
    let mut t = Triggers::default();
    if let Some(v) = def.get("triggers") {
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
    if let Some(v) = def.get("cancelOn") {
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
    if let Some(v) = def.get("concurrency") {
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
    if let Some(v) = def.get("idempotency") {
        t.idempotency = path(Some(v), "/idempotency", p);
    }
    if let Some(v) = def.get("debounce") {
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
    let has_options = !t.cancel_on.is_empty()
        || t.concurrency.is_some()
        || t.idempotency.is_some()
        || t.debounce.is_some();
    if has_options && t.on.is_empty() && !def.contains_key("triggers") {
        p.push(
            "/triggers",
            "is required when cancelOn, concurrency, idempotency or debounce is given",
        );
    }
    t
}
