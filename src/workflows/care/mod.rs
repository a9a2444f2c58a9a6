//! Care transitions after discharge, as event functions on the engine:
//!
//! | function | trigger | what it does |
//! |---|---|---|
//! | `schedule-checkin` | `patient/discharged`, cancelled by `patient/readmitted`, `patient/opted_out`, `patient/deceased` | plans outreach, sleeps, sends check-in SMS, waits for replies, escalates silence |
//! | `handle-checkin-response` | `interaction/response_received` | records and classifies a reply (rules, optionally a model); MODERATE+ raises a task, anything lower a LOW review task; CRITICAL also answers the patient |
//! | `assign-task` | `task/created` | round-robin assignment among nurses on shift; retries when nobody is free |
//! | `monitor-sla` | `task/created`, cancelled by `task/resolved` | warns at 75% of the SLA, reports the breach at 100% |
//! | `send-notification` | `notification/send`, one at a time per nurse | logs and sends by SMS, email or voice, with a daily cap |
//! | `review-unrouted-reply` | `interaction/unrouted` | a review task for each patient who may have sent an ambiguous SMS |
//!
//! Tasks are created where `task/created` is produced (a step here, or
//! `POST /v1/tasks`), so both functions it starts receive an existing `taskId`.

mod assign;
mod channels;
mod checkin;
pub mod deps;
mod notify;
pub mod outputs;
mod response;
mod sla;
pub mod tasks;
mod triage;
mod unrouted;
pub mod webhooks;

use std::sync::Arc;

use serde_json::{Value, json};

use super::Services;
use crate::engine::{DefinitionError, FunctionSpec, WorkflowDefinition};
use crate::store::{NewTask, TaskRow};

pub use checkin::is_e164;
pub use deps::{Care, INBOUND_WEBHOOK, STATUS_WEBHOOK};

/// The care functions.
pub fn functions(
    services: &Services,
) -> Result<Vec<(WorkflowDefinition, FunctionSpec)>, DefinitionError> {
    let care = Arc::new(Care::new(services));
    Ok(vec![
        checkin::function(care.clone())?,
        response::function(care.clone())?,
        assign::function(care.clone())?,
        sla::function(care.clone())?,
        notify::function(care.clone())?,
        unrouted::function(care)?,
    ])
}

/// What `task/created` carries about a stored task.
pub fn task_created(task: &TaskRow) -> Value {
    new_task_created(&NewTask {
        tenant_id: task.tenant_id.clone(),
        task_id: task.task_id,
        patient_id: task.patient_id.clone(),
        title: task.title.clone(),
        description: None,
        priority: task.priority.clone(),
        severity: task.severity.clone(),
        sla_minutes: task.sla_minutes,
        origin: task.origin.clone(),
        origin_key: None,
        interaction_id: task.interaction_id,
        created_at: task.created_at,
    })
}

/// What `task/created` carries about a task about to be stored.
pub fn new_task_created(task: &NewTask) -> Value {
    json!({
        "taskId": task.task_id,
        "patientId": task.patient_id,
        "title": task.title,
        "priority": task.priority,
        "severity": task.severity,
        "slaMinutes": task.sla_minutes,
    })
}
