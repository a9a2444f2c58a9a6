//! Event-triggered functions: a workflow started by an event (Inngest-style), with
//! optional cancellation by a later event, a concurrency limit per key, an
//! idempotency key, debouncing, a rate limit (extra events are skipped) and a
//! throttle (extra runs start later).
//!
//! A function's run gets the triggering event as its input: `{"event": {"name",
//! "data", "id", "ts"}}`. Keys and matches are dotted paths into that event
//! (`data.taskId`).

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::step::{EventMatch, lookup};

/// When a function starts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Trigger {
    /// Event name, e.g. `task/created`.
    pub event: String,
    /// Only events passing this match start the function.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matching: Option<EventMatch>,
}

/// A later event that cancels the function's runs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelOn {
    /// Event name, e.g. `task/resolved`.
    pub event: String,
    /// A `data` field both events share (e.g. `taskId`): a cancelling event cancels
    /// the runs whose trigger had the same value there.
    pub field: String,
}

/// At most `limit` runs with the same key value execute at once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Concurrency {
    /// Runs per key value.
    pub limit: u32,
    /// Dotted path into the event giving the key (e.g. `data.nurseId`).
    pub key: String,
}

/// Waits for quiet before starting: events with the same key within `period`
/// restart the wait, and the run gets the latest event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Debounce {
    /// Quiet period, in milliseconds.
    #[serde(with = "duration_ms")]
    #[schema(value_type = u64)]
    pub period: Duration,
    /// Dotted path into the event giving the key; all events share one key when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// At most `limit` runs (rate limit) or run starts (throttle) per `period` per
/// key value.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Limit {
    /// Runs or starts per period.
    pub limit: u32,
    /// The period, in milliseconds.
    #[serde(with = "duration_ms")]
    #[schema(value_type = u64)]
    pub period: Duration,
    /// Dotted path into the event giving the key; all events share one key when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Limit {
    /// The key value of `event` (`_` without a key path, or when the event lacks it).
    pub fn key_value(&self, event: &Value) -> String {
        self.key
            .as_ref()
            .and_then(|k| key_of(event, k))
            .unwrap_or_else(|| "_".into())
    }
}

mod duration_ms {
    use serde::Serializer;
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
}

/// How a function is triggered and limited.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FunctionSpec {
    /// The workflow it runs (also the function's name).
    pub workflow: String,
    /// What starts it.
    pub trigger: Trigger,
    /// What cancels it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cancel_on: Vec<CancelOn>,
    /// Runs per key executing at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency>,
    /// At most one run per value of this path per 24 hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency: Option<String>,
    /// Quiet period before starting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debounce: Option<Debounce>,
    /// At most this many runs per period per key: extra events start nothing
    /// (they are recorded as skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<Limit>,
    /// At most this many run starts per period per key: extra runs wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttle: Option<Limit>,
}

impl FunctionSpec {
    /// A function of `workflow` triggered by every `event`.
    pub fn on(workflow: impl Into<String>, event: impl Into<String>) -> Self {
        Self {
            workflow: workflow.into(),
            trigger: Trigger {
                event: event.into(),
                matching: None,
            },
            cancel_on: Vec::new(),
            concurrency: None,
            idempotency: None,
            debounce: None,
            rate_limit: None,
            throttle: None,
        }
    }

    /// Only events whose `path` equals `value` trigger it.
    pub fn when(mut self, path: &str, value: Value) -> Self {
        self.trigger.matching = Some(EventMatch {
            path: path.into(),
            value,
        });
        self
    }

    /// Cancelled by `event` with the same `data.<field>`.
    pub fn cancel_on(mut self, event: &str, field: &str) -> Self {
        self.cancel_on.push(CancelOn {
            event: event.into(),
            field: field.into(),
        });
        self
    }

    /// At most `limit` runs per value of `key` execute at once.
    pub fn concurrency(mut self, limit: u32, key: &str) -> Self {
        self.concurrency = Some(Concurrency {
            limit,
            key: key.into(),
        });
        self
    }

    /// One run per value of `key` per 24 hours.
    pub fn idempotency(mut self, key: &str) -> Self {
        self.idempotency = Some(key.into());
        self
    }

    /// Starts only after `period` without another event of the same `key`.
    pub fn debounce(mut self, period: Duration, key: Option<&str>) -> Self {
        self.debounce = Some(Debounce {
            period,
            key: key.map(String::from),
        });
        self
    }

    /// At most `limit` runs per `period` per value of `key`; extra events are skipped.
    pub fn rate_limit(mut self, limit: u32, period: Duration, key: Option<&str>) -> Self {
        self.rate_limit = Some(Limit {
            limit,
            period,
            key: key.map(String::from),
        });
        self
    }

    /// At most `limit` run starts per `period` per value of `key`; extra runs wait.
    pub fn throttle(mut self, limit: u32, period: Duration, key: Option<&str>) -> Self {
        self.throttle = Some(Limit {
            limit,
            period,
            key: key.map(String::from),
        });
        self
    }

    /// True when `event` (`{name, data, ...}`) starts this function.
    pub fn triggered_by(&self, event: &Value) -> bool {
        event.get("name").and_then(Value::as_str) == Some(self.trigger.event.as_str())
            && self
                .trigger
                .matching
                .as_ref()
                .is_none_or(|m| m.matches(event))
    }
}

/// A key value at `path` of an event, as text (`None` when absent or null).
pub fn key_of(event: &Value, path: &str) -> Option<String> {
    match lookup(event, path)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn triggers_match_names_and_conditions_and_keys_read_paths() {
        let f = FunctionSpec::on("assign", "task/created").when("data.kind", json!("escalation"));
        let e = json!({"name": "task/created", "data": {"kind": "escalation", "nurseId": 7}});
        assert!(f.triggered_by(&e));
        assert!(!f.triggered_by(&json!({"name": "task/created", "data": {"kind": "other"}})));
        assert!(!f.triggered_by(&json!({"name": "task/resolved", "data": {"kind": "escalation"}})));
        assert_eq!(key_of(&e, "data.nurseId").as_deref(), Some("7"));
        assert_eq!(key_of(&e, "data.missing"), None);
    }
}
