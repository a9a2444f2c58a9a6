//! What a cron schedule is, parsed from a request with every problem listed, and
//! the arithmetic of its ticks (pure, so it is unit-tested without a database).

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use serde_json::Value;

use crate::domain::casing;
use crate::domain::validation::Problems;
use crate::engine::Registry;

/// What a tick does.
#[derive(Debug, Clone, PartialEq)]
pub enum CronTarget {
    /// Start a run of a workflow with this input.
    Workflow {
        /// Workflow name.
        name: String,
        /// The run's input.
        input: Value,
    },
    /// Emit an event with this data (it triggers functions and wakes waits).
    Event {
        /// Event name.
        name: String,
        /// The event's data.
        data: Value,
    },
}

impl CronTarget {
    /// `workflow` or `event`, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Workflow { .. } => "workflow",
            Self::Event { .. } => "event",
        }
    }
}

/// What a tick does while the previous run of its schedule is unfinished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// Start nothing; the tick is recorded as skipped.
    Skip,
    /// Start the run, which waits until the previous one ends (concurrency 1).
    Queue,
    /// Start the run at once, beside the previous one.
    Allow,
}

/// What happens to ticks missed while no replica was running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUp {
    /// Drop them; the schedule goes on from its next future tick.
    Skip,
    /// Fire once for all of them, then go on from the next future tick.
    RunOnce,
}

macro_rules! named {
    ($t:ty { $($v:ident => $s:literal),+ }) => {
        impl $t {
            /// The stored name (`runOnce`, as earlier versions wrote it; the API
            /// spells it as `domain::casing` does, `run_once`).
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
            /// Reads the API spelling.
            fn parse(s: &str) -> Option<Self> {
                [$(Self::$v),+].into_iter().find(|v| casing::api_value(v.as_str()) == s)
            }
        }
    };
}
named!(Overlap { Skip => "skip", Queue => "queue", Allow => "allow" });
named!(CatchUp { Skip => "skip", RunOnce => "runOnce" });

/// A cron expression read in a time zone.
#[derive(Debug, Clone)]
pub struct CronClock {
    cron: Cron,
    tz: Tz,
}

impl CronClock {
    /// Parses an expression (5 fields, or 6 with seconds first) and an IANA zone.
    pub fn parse(expression: &str, time_zone: &str) -> Result<Self, (bool, String)> {
        let cron = Cron::from_str(expression).map_err(|e| (true, e.to_string()))?;
        let tz = Tz::from_str(time_zone).map_err(|_| {
            (
                false,
                "must be an IANA time zone such as Europe/Paris".into(),
            )
        })?;
        Ok(Self { cron, tz })
    }

    /// The first tick strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&t.with_timezone(&self.tz), false)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }

    /// The last tick at or before `t`.
    fn last_until(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&t.with_timezone(&self.tz), true)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }

    /// What to do with a schedule whose next tick, `due`, has come at `now`. A
    /// tick later than `grace`, or followed by another tick that is due too, was
    /// missed (the service was down or paused the ticker): the catch-up policy
    /// decides whether it fires.
    pub fn plan(
        &self,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
        catch_up: CatchUp,
        grace: chrono::Duration,
    ) -> TickPlan {
        let second = self.next_after(due);
        let several = second.is_some_and(|s| s <= now);
        if !several && now - due <= grace {
            return TickPlan {
                fire: Some(due),
                handled: due,
                next: second,
            };
        }
        let latest = self.last_until(now).filter(|t| *t >= due).unwrap_or(due);
        TickPlan {
            fire: (catch_up == CatchUp::RunOnce).then_some(latest),
            handled: latest,
            next: self.next_after(now.max(latest)),
        }
    }
}

/// The decision for a due schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickPlan {
    /// The tick to fire, if any (it names the run's idempotency key).
    pub fire: Option<DateTime<Utc>>,
    /// The latest tick this decision covers (recorded as the last tick).
    pub handled: DateTime<Utc>,
    /// The schedule's next tick (none when the expression has no more).
    pub next: Option<DateTime<Utc>>,
}

/// A validated schedule, as a user writes it.
#[derive(Debug, Clone)]
pub struct CronSpec {
    /// Unique name in the tenant.
    pub name: String,
    /// What a tick does.
    pub target: CronTarget,
    /// The expression, as given.
    pub expression: String,
    /// The IANA time zone, as given.
    pub time_zone: String,
    /// Overlap policy.
    pub overlap: Overlap,
    /// Catch-up policy.
    pub catch_up: CatchUp,
    /// Created paused.
    pub paused: bool,
    /// The parsed expression.
    pub clock: CronClock,
}

const MEMBERS: &[&str] = &[
    "name",
    "target",
    "expression",
    "timeZone",
    "overlap",
    "catchUp",
    "paused",
];

impl CronSpec {
    /// Parses a request body (`POST` and `PUT` alike), listing every problem with
    /// its pointer. Workflow targets must name a registered workflow; an expression
    /// must fire again after `now` (the engine's clock).
    pub fn from_request(
        body: &Value,
        registry: &Registry,
        now: DateTime<Utc>,
    ) -> Result<Self, Problems> {
        let mut p = Problems::new();
        let Some(obj) = body.as_object() else {
            p.push("", "must be a JSON object");
            return Err(p);
        };
        for k in obj.keys().filter(|k| !MEMBERS.contains(&k.as_str())) {
            p.push(
                format!("/{k}"),
                format!("unknown member; schedules have {}", MEMBERS.join(", ")),
            );
        }
        let name = match obj.get("name").and_then(Value::as_str).map(str::trim) {
            Some(n) if !n.is_empty() && n.len() <= 200 => n.to_string(),
            _ => {
                p.push("/name", "is required: 1-200 characters");
                String::new()
            }
        };
        let target = parse_target(obj.get("target"), registry, &mut p);
        let expression = obj
            .get("expression")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("")
            .to_string();
        if expression.is_empty() {
            p.push(
                "/expression",
                "is required: a cron expression such as `0 7 * * MON-FRI`",
            );
        }
        let time_zone = match obj.get("timeZone") {
            None | Some(Value::Null) => "UTC".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                p.push(
                    "/timeZone",
                    "must be an IANA time zone such as Europe/Paris",
                );
                String::new()
            }
        };
        let clock = if expression.is_empty() || time_zone.is_empty() {
            None
        } else {
            match CronClock::parse(&expression, &time_zone) {
                Ok(c) if c.next_after(now).is_none() => {
                    p.push("/expression", "never fires again");
                    None
                }
                Ok(c) => Some(c),
                Err((true, why)) => {
                    p.push(
                        "/expression",
                        format!("is not a valid cron expression: {why}"),
                    );
                    // The zone may be wrong as well: say so in the same answer.
                    if Tz::from_str(&time_zone).is_err() {
                        p.push(
                            "/timeZone",
                            "must be an IANA time zone such as Europe/Paris",
                        );
                    }
                    None
                }
                Err((false, why)) => {
                    p.push("/timeZone", why);
                    None
                }
            }
        };
        let overlap = choice(
            obj.get("overlap"),
            "/overlap",
            Overlap::Skip,
            Overlap::parse,
            "skip, queue or allow",
            &mut p,
        );
        let catch_up = choice(
            obj.get("catchUp"),
            "/catchUp",
            CatchUp::Skip,
            CatchUp::parse,
            "skip or run_once",
            &mut p,
        );
        let paused = match obj.get("paused") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                p.push("/paused", "must be true or false");
                false
            }
        };
        match (target, clock) {
            (Some(target), Some(clock)) if p.is_empty() => Ok(Self {
                name,
                target,
                expression,
                time_zone,
                overlap,
                catch_up,
                paused,
                clock,
            }),
            _ => Err(p),
        }
    }
}

fn choice<T: Copy>(
    v: Option<&Value>,
    pointer: &str,
    default: T,
    parse: fn(&str) -> Option<T>,
    allowed: &str,
    p: &mut Problems,
) -> T {
    match v {
        None | Some(Value::Null) => default,
        Some(v) => match v.as_str().and_then(parse) {
            Some(t) => t,
            None => {
                p.push(pointer, format!("must be one of {allowed}"));
                default
            }
        },
    }
}

/// `{"workflow": name, "input": {...}}` or `{"event": name, "data": {...}}`.
fn parse_target(v: Option<&Value>, registry: &Registry, p: &mut Problems) -> Option<CronTarget> {
    let Some(obj) = v.and_then(Value::as_object) else {
        p.push(
            "/target",
            "is required: {\"workflow\": name, \"input\": {...}} or {\"event\": name, \"data\": {...}}",
        );
        return None;
    };
    let before = p.as_slice().len();
    let payload = |key: &str, p: &mut Problems| match obj.get(key) {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => {
            p.push(format!("/target/{key}"), "must be an object");
            Value::Null
        }
    };
    let target = match (obj.get("workflow"), obj.get("event")) {
        (Some(w), None) => {
            for k in obj
                .keys()
                .filter(|k| !matches!(k.as_str(), "workflow" | "input"))
            {
                p.push(
                    format!("/target/{k}"),
                    "unknown member; a workflow target has workflow and input",
                );
            }
            let name = w.as_str().unwrap_or("").to_string();
            if registry.get(&name).is_none() {
                p.push(
                    "/target/workflow",
                    "names no registered workflow (see GET /v1/workflows)",
                );
            }
            CronTarget::Workflow {
                name,
                input: payload("input", p),
            }
        }
        (None, Some(e)) => {
            for k in obj
                .keys()
                .filter(|k| !matches!(k.as_str(), "event" | "data"))
            {
                p.push(
                    format!("/target/{k}"),
                    "unknown member; an event target has event and data",
                );
            }
            let name = e.as_str().map(str::trim).unwrap_or("").to_string();
            if name.is_empty() || name.len() > 200 {
                p.push("/target/event", "must be an event name of 1-200 characters");
            }
            CronTarget::Event {
                name,
                data: payload("data", p),
            }
        }
        _ => {
            p.push("/target", "must have exactly one of workflow and event");
            return None;
        }
    };
    (p.as_slice().len() == before).then_some(target)
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
