//! `monitor-sla`, on `task/created`: sleeps until 75% of the task's SLA, records the
//! warning, emits `task/sla_warning` and notifies the assignee; sleeps until 100%,
//! records the breach, emits `task/sla_breach` and sends the assignee an urgent
//! notification. A task nobody holds is announced instead to each of the tenant's
//! escalation contacts (`POST /v1/escalation-contacts`), by SMS, at both stages. `task/resolved` of the same task cancels it; each step also reads
//! the task when it wakes, so a resolution that races the timer still wins.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::deps::{Care, id};
use super::outputs::SlaStage;
use crate::domain::care::sla::sla_times;
use crate::engine::{
    DefinitionError, FunctionSpec, StepContext, StepError, StepOutcome, StepOutput, StepPolicy,
    WorkflowDefinition,
};
use crate::store::TaskRow;

/// The function's name.
pub const NAME: &str = "monitor-sla";

/// The definition and its trigger.
pub fn function(care: Arc<Care>) -> Result<(WorkflowDefinition, FunctionSpec), DefinitionError> {
    let c = care.clone();
    let def = WorkflowDefinition::builder(NAME, 1)
        .step("warn", &[], StepPolicy::new().critical(), move |ctx| {
            let c = c.clone();
            async move { watch(&c, ctx, Stage::Warning).await }
        })
        .step(
            "breach",
            &["warn"],
            StepPolicy::new().critical(),
            move |ctx| {
                let c = care.clone();
                async move { watch(&c, ctx, Stage::Breach).await }
            },
        )
        .build()?;
    let spec = FunctionSpec::on(NAME, "task/created")
        .cancel_on("task/resolved", "taskId")
        .idempotency("data.taskId");
    Ok((def, spec))
}

#[derive(Clone, Copy, PartialEq)]
enum Stage {
    Warning,
    Breach,
}

impl Stage {
    fn due(self, task: &TaskRow) -> DateTime<Utc> {
        let times = sla_times(
            task.created_at,
            u32::try_from(task.sla_minutes).unwrap_or(0),
        );
        match self {
            Stage::Warning => times.warn_at,
            Stage::Breach => times.breach_at,
        }
    }
}

async fn load(care: &Care, ctx: &StepContext) -> Result<TaskRow, StepError> {
    let task_id = id(ctx, "taskId")?;
    care.store
        .get_task(&ctx.tenant, task_id)
        .await
        .map_err(StepError::from)?
        .ok_or_else(|| {
            StepError::permanent(
                "event data.taskId names no task (create tasks with POST /v1/tasks)",
            )
        })
}

fn quiet(task: &TaskRow, why: &str) -> Result<StepOutcome, StepError> {
    StepOutput::typed(&SlaStage {
        task_id: task.task_id,
        fired: false,
        at: None,
        notified: None,
        reason: Some(why.to_owned()),
    })
    .map(StepOutcome::Done)
}

/// Sleeps until the stage is due, then fires it once unless the task was resolved.
async fn watch(care: &Care, ctx: StepContext, stage: Stage) -> Result<StepOutcome, StepError> {
    let task = load(care, &ctx).await?;
    if task.status == "RESOLVED" {
        return quiet(&task, "task resolved");
    }
    let due = stage.due(&task);
    let now = ctx.now();
    if now < due {
        return Ok(StepOutcome::SleepUntil {
            until: due,
            state: json!({"taskId": task.task_id}),
        });
    }
    let breach = stage == Stage::Breach;
    if !care
        .store
        .mark_task_sla(&ctx.tenant, task.task_id, breach, now)
        .await
        .map_err(StepError::from)?
    {
        return quiet(&task, "task resolved");
    }
    let times = sla_times(
        task.created_at,
        u32::try_from(task.sla_minutes).unwrap_or(0),
    );
    let (event, kind, priority) = if breach {
        ("task/sla_breach", "sla_breach", "urgent")
    } else {
        ("task/sla_warning", "sla_warning", "normal")
    };
    let mut out = StepOutput::typed(&SlaStage {
        task_id: task.task_id,
        fired: true,
        at: Some(now),
        notified: task.assignee_id,
        reason: None,
    })?
    .emit(
        event,
        json!({
            "taskId": task.task_id,
            "patientId": task.patient_id,
            "nurseId": task.assignee_id,
            "priority": task.priority,
            "slaMinutes": task.sla_minutes,
            "warnAt": times.warn_at,
            "breachAt": times.breach_at,
        }),
    );
    if task.assignee_id.is_none() {
        let contacts = care
            .store
            .list_escalation_contacts(&ctx.tenant)
            .await
            .map_err(StepError::from)?;
        if contacts.is_empty() {
            tracing::warn!(
                task.id = %task.task_id,
                stage = kind,
                "an unassigned task reached its SLA stage and the tenant has no escalation contact"
            );
        }
        for contact in &contacts {
            out = out.emit(
                "notification/send",
                json!({
                    "kind": kind,
                    "contactId": contact.contact_id,
                    "channel": "sms",
                    "taskId": task.task_id,
                    "patientId": task.patient_id,
                    "priority": priority,
                }),
            );
        }
    }
    if let Some(nurse) = task.assignee_id {
        out = out.emit(
            "notification/send",
            json!({
                "kind": kind,
                "nurseId": nurse,
                "taskId": task.task_id,
                "patientId": task.patient_id,
                "priority": priority,
            }),
        );
    }
    Ok(StepOutcome::Done(out))
}
