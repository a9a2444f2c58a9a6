//! The engine's own events: run and step transitions, appended in the same commit as
//! the transition. Payloads carry ids, statuses, attempts and timings only.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::store::{NewEvent, RunId};

/// Who the engine's events come from.
pub const SOURCE: &str = "engine";

/// Context shared by the events of one run.
#[derive(Debug, Clone)]
pub struct RunEvents {
    /// Run.
    pub run_id: RunId,
    /// Workflow.
    pub workflow: String,
    /// Correlation id (defaults to the run id).
    pub correlation_id: Option<String>,
}

impl RunEvents {
    /// An event about the run.
    pub fn event(
        &self,
        event_type: &str,
        source: &str,
        at: DateTime<Utc>,
        mut data: Value,
    ) -> NewEvent {
        if let Value::Object(map) = &mut data {
            map.entry("runId").or_insert(json!(self.run_id));
            map.entry("workflow").or_insert(json!(self.workflow));
        }
        NewEvent {
            event_id: Uuid::now_v7(),
            event_type: event_type.to_string(),
            correlation_id: Some(
                self.correlation_id
                    .clone()
                    .unwrap_or_else(|| self.run_id.to_string()),
            ),
            run_id: Some(self.run_id),
            workflow: Some(self.workflow.clone()),
            source: source.to_string(),
            data,
            created_at: at,
        }
    }

    /// An engine event about the run.
    pub fn engine(&self, event_type: &str, at: DateTime<Utc>, data: Value) -> NewEvent {
        self.event(event_type, SOURCE, at, data)
    }
}
