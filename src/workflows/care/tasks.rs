//! Tasks staff create and resolve through the API. A new task is stored and
//! announced with `task/created` in the same transaction (which starts
//! `assign-task` and `monitor-sla`); resolving one announces `task/resolved`
//! (which cancels its SLA monitor), and resolving a resolved task changes nothing.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::new_task_created;
use crate::store::{NewEvent, NewTask, Store, StoreResult, TaskRow, TenantId};

/// An event the API announces at `at`.
fn event(name: &str, data: Value, at: DateTime<Utc>) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: name.to_string(),
        correlation_id: None,
        run_id: None,
        workflow: None,
        source: "api".into(),
        data,
        created_at: at,
    }
}

/// Stores `task` and announces it with `task/created`, together.
pub async fn create_task(store: &dyn Store, task: &NewTask) -> StoreResult<TaskRow> {
    let announce = event("task/created", new_task_created(task), task.created_at);
    store.insert_task(task, &[announce]).await
}

/// Resolves task `id` with an optional `resolution` and announces `task/resolved`;
/// answers the task and whether this call resolved it (`false` when it was
/// resolved before), or `None` for an unknown task.
pub async fn resolve_task(
    store: &dyn Store,
    tenant: &TenantId,
    id: Uuid,
    resolution: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<Option<(TaskRow, bool)>> {
    let Some(task) = store.get_task(tenant, id).await? else {
        return Ok(None);
    };
    let announce = event(
        "task/resolved",
        json!({"taskId": task.task_id, "patientId": task.patient_id}),
        now,
    );
    store
        .resolve_task(tenant, id, resolution, now, &[announce])
        .await
}
