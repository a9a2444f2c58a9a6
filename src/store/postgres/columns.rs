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
    /// Each step's latest attempt after its marks, as JSON.
    pub latest_attempts: Vec<Option<Value>>,
}

impl StepColumns {
    /// The steps as `replica` writes them.
    pub fn new<'a>(steps: impl IntoIterator<Item = &'a StepWrite>, replica: &str) -> Self {
        let mut c = Self::default();
        for s in steps {
            // A value of plain fields and JSON: it always serializes.
            c.latest_attempts.push(
                s.attempt_after_marks(replica)
                    .and_then(|a| serde_json::to_value(a).ok()),
            );
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

    /// Appends `other`'s steps: the steps of several commits in one statement.
    pub fn extend_from(&mut self, other: &StepColumns) {
        self.names.extend_from_slice(&other.names);
        self.positions.extend_from_slice(&other.positions);
        self.statuses.extend_from_slice(&other.statuses);
        self.attempts.extend_from_slice(&other.attempts);
        self.started_at.extend_from_slice(&other.started_at);
        self.finished_at.extend_from_slice(&other.finished_at);
        self.duration_ms.extend_from_slice(&other.duration_ms);
        self.outputs.extend_from_slice(&other.outputs);
        self.errors.extend_from_slice(&other.errors);
        self.messages.extend_from_slice(&other.messages);
        self.skip_reasons.extend_from_slice(&other.skip_reasons);
        self.wake_at.extend_from_slice(&other.wake_at);
        self.waits.extend_from_slice(&other.waits);
        self.latest_attempts
            .extend_from_slice(&other.latest_attempts);
    }
}

/// Event rows as parallel arrays.
///
/// A row is one event, or (see [`EventColumns::by_commit`]) one event with the events
/// before it that share its tenant, correlation id, run, workflow and source, kept in
/// `earlier` (migration 0143). A row's position is its own (last) event's; the
/// earlier ones take the positions just below it.
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
    /// The events before the row's own, as `[{id, type, data, at}]`.
    pub earlier: Vec<Option<Value>>,
    /// Where the row's own event falls among the statement's events (0, 1, ...).
    pub offsets: Vec<i32>,
}

impl EventColumns {
    /// One row per event: for events that are looked up one by one later (an
    /// appended event's position is awaited by its id).
    pub fn new(events: &[NewEvent]) -> Self {
        let mut c = Self::default();
        for (i, e) in events.iter().enumerate() {
            c.push(e, None, i);
        }
        c
    }

    /// One row per run of consecutive events that share their correlation id, run,
    /// workflow and source: a run's commit (a step's outcome and the next step's
    /// start, a run's last step and its end) writes one row instead of one per
    /// transition. Readers give every event its own position and row as before.
    pub fn by_commit(events: &[NewEvent]) -> Self {
        let mut c = Self::default();
        let mut start = 0;
        for (i, e) in events.iter().enumerate() {
            let ends_group = events.get(i + 1).is_none_or(|next| !same_row(e, next));
            if ends_group {
                let earlier = &events[start..i];
                let earlier = (!earlier.is_empty())
                    .then(|| Value::Array(earlier.iter().map(earlier_item).collect()));
                c.push(e, earlier, i);
                start = i + 1;
            }
        }
        c
    }

    /// Appends `other`'s rows, their events placed after the `before` events
    /// already in the statement: the events of several commits in one statement.
    pub fn extend_from(&mut self, other: &EventColumns, before: usize) {
        let shift = i32::try_from(before).unwrap_or(i32::MAX);
        self.ids.extend_from_slice(&other.ids);
        self.types.extend_from_slice(&other.types);
        self.correlation_ids
            .extend_from_slice(&other.correlation_ids);
        self.run_ids.extend_from_slice(&other.run_ids);
        self.workflows.extend_from_slice(&other.workflows);
        self.sources.extend_from_slice(&other.sources);
        self.data.extend_from_slice(&other.data);
        self.created_at.extend_from_slice(&other.created_at);
        self.earlier.extend_from_slice(&other.earlier);
        self.offsets
            .extend(other.offsets.iter().map(|o| o.saturating_add(shift)));
    }

    fn push(&mut self, e: &NewEvent, earlier: Option<Value>, offset: usize) {
        self.ids.push(e.event_id);
        self.types.push(e.event_type.clone());
        self.correlation_ids.push(e.correlation_id.clone());
        self.run_ids.push(e.run_id.map(|r| r.0));
        self.workflows.push(e.workflow.clone());
        self.sources.push(e.source.clone());
        self.data.push(e.data.clone());
        self.created_at.push(e.created_at);
        self.earlier.push(earlier);
        // A statement inserts far fewer than 2^31 events; the insert refuses more
        // than a transaction's 4096 positions anyway.
        self.offsets.push(i32::try_from(offset).unwrap_or(i32::MAX));
    }
}

/// True when `b` can share `a`'s row: everything a row holds once is equal.
fn same_row(a: &NewEvent, b: &NewEvent) -> bool {
    a.correlation_id == b.correlation_id
        && a.run_id == b.run_id
        && a.workflow == b.workflow
        && a.source == b.source
}

/// An event kept in a later event's row. The time is written with microseconds, as
/// PostgreSQL keeps a `timestamptz`, so it reads back the same as a row's own.
fn earlier_item(e: &NewEvent) -> Value {
    serde_json::json!({
        "id": e.event_id,
        "type": e.event_type,
        "data": e.data,
        "at": e.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::store::RunId;

    fn event(event_type: &str, run: Option<RunId>, source: &str) -> NewEvent {
        NewEvent {
            event_id: Uuid::now_v7(),
            event_type: event_type.into(),
            correlation_id: run.map(|r| r.to_string()),
            run_id: run,
            workflow: run.map(|_| "discharge".into()),
            source: source.into(),
            data: json!({"step": event_type}),
            created_at: Utc.timestamp_opt(1_800_000_000, 123_456_789).unwrap(),
        }
    }

    #[test]
    fn a_commit_writes_one_row_per_run_and_source_with_the_earlier_events_in_it() {
        let run = Some(RunId(Uuid::now_v7()));
        let other = Some(RunId(Uuid::now_v7()));
        let events = [
            event("step.completed", run, "engine"),
            event("step.started", run, "engine"),
            event("PA_FORM_READY", run, "workflow:encounter"),
            event("run.completed", run, "engine"),
            event("run.queued", other, "engine"),
        ];
        let c = EventColumns::by_commit(&events);
        assert_eq!(
            c.types,
            [
                "step.started",
                "PA_FORM_READY",
                "run.completed",
                "run.queued"
            ]
        );
        assert_eq!(c.offsets, [1, 2, 3, 4]);
        let earlier = c.earlier[0]
            .as_ref()
            .expect("the step's outcome rides along");
        assert_eq!(earlier[0]["type"], "step.completed");
        assert_eq!(earlier[0]["id"], json!(events[0].event_id));
        assert_eq!(earlier[0]["data"], json!({"step": "step.completed"}));
        // Microseconds, as the row's own time column keeps them.
        assert_eq!(earlier[0]["at"], "2027-01-15T08:00:00.123456Z");
        assert!(c.earlier[1..].iter().all(Option::is_none));
    }

    #[test]
    fn appended_events_keep_a_row_each() {
        let run = Some(RunId(Uuid::now_v7()));
        let c = EventColumns::new(&[event("a", run, "engine"), event("b", run, "engine")]);
        assert_eq!(c.offsets, [0, 1]);
        assert!(c.earlier.iter().all(Option::is_none));
    }
}
