//! Column vectors for `unnest`-based batch writes: one statement writes any number
//! of steps or events.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::store::{NewEvent, StepWrite};

/// Steps as parallel arrays.
#[derive(Default)]
pub(super) struct StepColumns {
    pub names: Vec<String>,
    pub positions: Vec<i32>,
    pub statuses: Vec<String>,
    pub attempts: Vec<i32>,
    pub started_at: Vec<Option<DateTime<Utc>>>,
    pub finished_at: Vec<Option<DateTime<Utc>>>,
    pub duration_ms: Vec<Option<i64>>,
    pub outputs: Vec<Option<Value>>,
    pub errors: Vec<Option<Value>>,
    pub messages: Vec<Option<Value>>,
    pub skip_reasons: Vec<Option<String>>,
    pub wake_at: Vec<Option<DateTime<Utc>>>,
    pub waits: Vec<Option<Value>>,
}

impl StepColumns {
    pub fn new(steps: &[StepWrite]) -> Self {
        let mut c = Self::default();
        for s in steps {
            c.names.push(s.name.clone());
            c.positions.push(s.position);
            c.statuses.push(s.status.as_str().to_string());
            c.attempts.push(s.attempts);
            c.started_at.push(s.started_at);
            c.finished_at.push(s.finished_at);
            c.duration_ms.push(s.duration_ms);
            c.outputs.push(s.output.clone());
            c.errors.push(s.error.clone());
            c.messages.push(s.messages.clone());
            c.skip_reasons.push(s.skip_reason.clone());
            c.wake_at.push(s.wake_at);
            c.waits.push(s.wait.clone());
        }
        c
    }
}

/// Events as parallel arrays.
#[derive(Default)]
pub(super) struct EventColumns {
    pub ids: Vec<Uuid>,
    pub types: Vec<String>,
    pub correlation_ids: Vec<Option<String>>,
    pub run_ids: Vec<Option<Uuid>>,
    pub workflows: Vec<Option<String>>,
    pub sources: Vec<String>,
    pub data: Vec<Value>,
    pub created_at: Vec<DateTime<Utc>>,
}

impl EventColumns {
    pub fn new(events: &[NewEvent]) -> Self {
        let mut c = Self::default();
        for e in events {
            c.ids.push(e.event_id);
            c.types.push(e.event_type.clone());
            c.correlation_ids.push(e.correlation_id.clone());
            c.run_ids.push(e.run_id.map(|r| r.0));
            c.workflows.push(e.workflow.clone());
            c.sources.push(e.source.clone());
            c.data.push(e.data.clone());
            c.created_at.push(e.created_at);
        }
        c
    }
}
