//! `assign-task`, on `task/created`: gives the task to the nurse on shift who was
//! assigned least recently (round-robin, from the shift table), records it, and emits
//! `task/assigned` and a `notification/send` to the nurse. A CRITICAL or HIGH task
//! goes past `max_open_tasks` to the least loaded nurse on shift when nobody has
//! room. Otherwise, when nobody on shift has room, the task stays unassigned, `task/unassigned` is emitted, and assignment is
//! tried again every `care.assign_retry_interval` for `care.assign_retry_for`.
//! Cancelled by `task/resolved` of the same task; one run per task.
//!
//! Two assignments at once never take the same turn: the nurse's assignment count is
//! compared and set with the task's assignment in one transaction, and a loser
//! chooses again from fresh data.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::deps::{Care, id};
use super::outputs::{Assignment, Retried};
use crate::domain::care::assignment::{
    NurseCandidate, may_exceed_capacity, pick_nurse, pick_over_capacity,
};
use crate::engine::{
    DefinitionError, FunctionSpec, StepContext, StepError, StepOutcome, StepOutput, StepPolicy,
    WorkflowDefinition,
};
use crate::store::{AssignOutcome, TaskRow};

/// The function's name.
pub const NAME: &str = "assign-task";

/// Choices in a row that may lose to a concurrent assignment before giving up.
const MAX_RACES: usize = 50;

/// The definition and its trigger.
pub fn function(care: Arc<Care>) -> Result<(WorkflowDefinition, FunctionSpec), DefinitionError> {
    let c = care.clone();
    let def = WorkflowDefinition::builder(NAME, 1)
        .step("assign", &[], StepPolicy::new().critical(), move |ctx| {
            let c = c.clone();
            async move { first_try(&c, ctx).await }
        })
        .step(
            "retry",
            &["assign"],
            StepPolicy::new().critical(),
            move |ctx| {
                let c = care.clone();
                async move { retry(&c, ctx).await }
            },
        )
        .build()?;
    let spec = FunctionSpec::on(NAME, "task/created")
        .cancel_on("task/resolved", "taskId")
        .idempotency("data.taskId");
    Ok((def, spec))
}

enum Attempt {
    /// The task is the nurse's now.
    Assigned(Box<TaskRow>),
    /// Nobody on shift has room.
    Nobody(Box<TaskRow>),
    /// The task is assigned or resolved already.
    Settled(Box<TaskRow>),
}

async fn task(care: &Care, ctx: &StepContext, task_id: Uuid) -> Result<TaskRow, StepError> {
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

/// One round of choosing and assigning.
async fn try_assign(
    care: &Care,
    ctx: &StepContext,
    task_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Attempt, StepError> {
    let default_max = care.care().max_open_tasks;
    for _ in 0..MAX_RACES {
        let row = task(care, ctx, task_id).await?;
        if row.status != "OPEN" {
            return Ok(Attempt::Settled(Box::new(row)));
        }
        let rows = care
            .store
            .assignment_candidates(&ctx.tenant, now)
            .await
            .map_err(StepError::from)?;
        let candidates: Vec<NurseCandidate> = rows
            .iter()
            .map(|r| NurseCandidate {
                id: r.nurse_id,
                on_shift_now: true,
                last_assigned_at: r.last_assigned_at,
                open_tasks: u32::try_from(r.open_tasks).unwrap_or(u32::MAX),
                max_open_tasks: u32::try_from(r.max_open_tasks)
                    .ok()
                    .filter(|m| *m > 0)
                    .unwrap_or(default_max),
            })
            .collect();
        // CRITICAL and HIGH work cannot wait for someone to have room.
        let nurse = pick_nurse(&candidates, now).or_else(|| {
            may_exceed_capacity(&row.severity)
                .then(|| pick_over_capacity(&candidates, now))
                .flatten()
        });
        let Some(nurse) = nurse else {
            return Ok(Attempt::Nobody(Box::new(row)));
        };
        let expected = rows
            .iter()
            .find(|r| r.nurse_id == nurse)
            .map(|r| r.assignment_count)
            .unwrap_or_default();
        match care
            .store
            .assign_task(&ctx.tenant, task_id, nurse, expected, now)
            .await
            .map_err(StepError::from)?
        {
            AssignOutcome::Assigned(task) => return Ok(Attempt::Assigned(task)),
            AssignOutcome::NurseChanged | AssignOutcome::TaskNotOpen => continue,
        }
    }
    Err(StepError::retryable(
        "assignment kept losing to concurrent assignments",
    ))
}

fn task_event(task: &TaskRow) -> Value {
    json!({
        "taskId": task.task_id,
        "patientId": task.patient_id,
        "priority": task.priority,
        "severity": task.severity,
        "nurseId": task.assignee_id,
    })
}

/// The outcome for a task this function assigned (now, or in an attempt whose
/// outcome was not committed): `task/assigned` and the nurse's notification.
fn assigned(task: &TaskRow) -> Result<StepOutcome, StepError> {
    let Some(nurse) = task.assignee_id else {
        return StepOutput::typed(&Assignment::default()).map(StepOutcome::Done);
    };
    let urgent = task.priority == "urgent";
    let output = StepOutput::typed(&Assignment {
        assigned: true,
        nurse_id: Some(nurse),
        task_id: Some(task.task_id),
        ..Assignment::default()
    })?;
    Ok(StepOutcome::Done(
        output.emit("task/assigned", task_event(task)).emit(
            "notification/send",
            json!({
                "kind": "task_assigned",
                "nurseId": nurse,
                "taskId": task.task_id,
                "patientId": task.patient_id,
                "priority": if urgent { "urgent" } else { "normal" },
            }),
        ),
    ))
}

fn settled(task: &TaskRow) -> Result<StepOutcome, StepError> {
    if task.status == "ASSIGNED" {
        // One run per task (idempotency on data.taskId): an assigned task was
        // assigned by this run, in an attempt whose outcome was not committed.
        return assigned(task);
    }
    StepOutput::typed(&Assignment {
        task_id: Some(task.task_id),
        reason: Some(format!("task is {}", task.status)),
        ..Assignment::default()
    })
    .map(StepOutcome::Done)
}

/// Step `assign`: the first try; announces an unassigned task once.
async fn first_try(care: &Care, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let task_id = id(&ctx, "taskId")?;
    match try_assign(care, &ctx, task_id, ctx.now()).await? {
        Attempt::Assigned(t) => assigned(&t),
        Attempt::Settled(t) => settled(&t),
        Attempt::Nobody(t) => {
            let output = StepOutput::typed(&Assignment {
                task_id: Some(t.task_id),
                waiting: true,
                ..Assignment::default()
            })?;
            Ok(StepOutcome::Done(output.emit(
                "task/unassigned",
                json!({
                    "taskId": t.task_id,
                    "patientId": t.patient_id,
                    "reason": "no nurse on shift has room for another task",
                }),
            )))
        }
    }
}

/// Step `retry`: while the first try found nobody, tries again on a timer.
async fn retry(care: &Care, ctx: StepContext) -> Result<StepOutcome, StepError> {
    if !ctx.dep_as::<Assignment>("assign")?.waiting {
        return StepOutput::typed(&Retried::NotNeeded { needed: false }).map(StepOutcome::Done);
    }
    let task_id = id(&ctx, "taskId")?;
    let now = ctx.now();
    let interval = chrono::Duration::from_std(care.care().assign_retry_interval)
        .unwrap_or_else(|_| chrono::Duration::minutes(5));
    let give_up_after = chrono::Duration::from_std(care.care().assign_retry_for)
        .unwrap_or_else(|_| chrono::Duration::hours(24));
    let started = match &ctx.wake {
        None => {
            return Ok(StepOutcome::SleepUntil {
                until: now + interval,
                state: json!({"since": now, "tries": 1}),
            });
        }
        Some(w) => w.state().get("since").cloned(),
    };
    let since: DateTime<Utc> = started
        .and_then(|s| serde_json::from_value(s).ok())
        .unwrap_or(now);
    let tries = ctx
        .wake
        .as_ref()
        .and_then(|w| w.state()["tries"].as_u64())
        .unwrap_or(1)
        + 1;
    match try_assign(care, &ctx, task_id, now).await? {
        Attempt::Assigned(t) => assigned(&t),
        Attempt::Settled(t) => settled(&t),
        Attempt::Nobody(t) if now - since >= give_up_after => {
            StepOutput::typed(&Retried::Tried(Assignment {
                task_id: Some(t.task_id),
                tries: Some(tries),
                reason: Some("nobody on shift had room; left for staff to assign".into()),
                ..Assignment::default()
            }))
            .map(StepOutcome::Done)
        }
        Attempt::Nobody(_) => Ok(StepOutcome::SleepUntil {
            until: now + interval,
            state: json!({"since": since, "tries": tries}),
        }),
    }
}
