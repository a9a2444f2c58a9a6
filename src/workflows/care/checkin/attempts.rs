//! The check-in attempts of `schedule-checkin`: `checkin-n` records attempt n and asks
//! for the SMS, `await-n` waits for the reply, `escalate` raises a task after silence.
//! A number that opted out of SMS gets no check-in: the plan ends `OPTED_OUT` and the
//! later steps pass that on (`stopped`).

use std::time::Duration;

use serde_json::json;
use uuid::Uuid;

use super::super::deps::Care;
use super::super::task_created;
use super::outputs::{CheckinSent, Escalated, ReplyAwaited, Standing};
use super::{REPLY_EVENT, discharge};
use crate::domain::care::notify::priority_for;
use crate::engine::{EventMatch, StepContext, StepError, StepOutcome, StepOutput, Wake};
use crate::store::{NewAttempt, NewTask};

/// Step `checkin-n`: records attempt `n` and asks for the check-in SMS, unless the
/// patient already replied.
pub(super) async fn send_checkin(
    care: &Care,
    ctx: StepContext,
    n: u32,
    previous: &str,
) -> Result<StepOutcome, StepError> {
    let before = Standing::after(&ctx, previous)?;
    let plan_id = before.plan_id;
    if before.replied {
        return StepOutput::typed(&CheckinSent::skipped(plan_id, true, None))
            .map(StepOutcome::Done);
    }
    if let Some(stopped) = before.stopped {
        return StepOutput::typed(&CheckinSent::skipped(plan_id, false, Some(stopped)))
            .map(StepOutcome::Done);
    }
    let d = discharge(&ctx)?;
    let opted_out = care
        .store
        .latest_consent(&ctx.tenant, &d.phone)
        .await
        .map_err(StepError::from)?
        .is_some_and(|c| c.action == "opt_out");
    if opted_out {
        care.store
            .stop_plan(&ctx.tenant, plan_id, "OPTED_OUT", ctx.now())
            .await
            .map_err(StepError::from)?;
        let output = CheckinSent::skipped(plan_id, false, Some("opted_out".into()));
        return Ok(StepOutcome::Done(StepOutput::typed(&output)?.emit(
            "checkin/completed",
            json!({"patientId": d.patient_id, "planId": plan_id, "outcome": "opted_out"}),
        )));
    }
    let attempt = care
        .store
        .insert_attempt(&NewAttempt {
            tenant_id: ctx.tenant.clone(),
            attempt_id: Uuid::now_v7(),
            plan_id,
            attempt_number: i32::try_from(n).unwrap_or(1),
            channel: "sms".into(),
            sent_at: ctx.now(),
        })
        .await
        .map_err(StepError::from)?;
    Ok(StepOutcome::Done(
        StepOutput::typed(&CheckinSent {
            plan_id,
            attempt_id: Some(attempt.attempt_id),
            attempt: Some(n),
            sent_at: Some(attempt.sent_at),
            sent: true,
            replied: false,
            stopped: None,
        })?
        .emit(
            "notification/send",
            json!({
                "kind": "checkin",
                "channel": "sms",
                "patientId": d.patient_id,
                "planId": plan_id,
                "attemptId": attempt.attempt_id,
            }),
        ),
    ))
}

/// Step `await-n`: waits for the patient's reply to attempt `n`.
pub(super) async fn await_reply(
    care: &Care,
    ctx: StepContext,
    checkin: &str,
) -> Result<StepOutcome, StepError> {
    let sent: CheckinSent = ctx.dep_as(checkin)?;
    let plan_id = sent.plan_id;
    let nothing = |replied, stopped| ReplyAwaited {
        plan_id,
        attempt_id: None,
        replied,
        interaction_id: None,
        stopped,
    };
    if let Some(stopped) = sent.stopped {
        return StepOutput::typed(&nothing(false, Some(stopped))).map(StepOutcome::Done);
    }
    if !sent.sent {
        return StepOutput::typed(&nothing(true, None)).map(StepOutcome::Done);
    }
    let (Some(attempt_id), Some(sent_at)) = (sent.attempt_id, sent.sent_at) else {
        return Err(StepError::permanent(format!(
            "step {checkin} sent a check-in but names no attempt"
        )));
    };
    let d = discharge(&ctx)?;
    let replied = match &ctx.wake {
        Some(Wake::Event { event, .. }) => Some(
            event["data"]["interactionId"]
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok()),
        ),
        // A reply that arrived just before the wait began, or raced its timeout, is
        // in the interactions table.
        None | Some(Wake::TimedOut { .. }) | Some(Wake::Timer { .. }) => care
            .store
            .reply_since(&ctx.tenant, &d.patient_id, sent_at)
            .await
            .map_err(StepError::from)?
            .map(|i| Some(i.interaction_id)),
    };
    let now = ctx.now();
    match replied {
        Some(interaction) => {
            care.store
                .finish_attempt(&ctx.tenant, attempt_id, "RESPONDED", interaction, now)
                .await
                .map_err(StepError::from)?;
            care.store
                .finish_plan(&ctx.tenant, plan_id, "COMPLETED", now)
                .await
                .map_err(StepError::from)?;
            Ok(StepOutcome::Done(
                StepOutput::typed(&ReplyAwaited {
                    plan_id,
                    attempt_id: Some(attempt_id),
                    replied: true,
                    interaction_id: interaction,
                    stopped: None,
                })?
                .emit(
                    "checkin/completed",
                    json!({
                        "patientId": d.patient_id,
                        "planId": plan_id,
                        "outcome": "replied",
                        "attemptId": attempt_id,
                        "interactionId": interaction,
                    }),
                ),
            ))
        }
        None if ctx.wake.is_none() => {
            let plan = care
                .store
                .get_plan(&ctx.tenant, plan_id)
                .await
                .map_err(StepError::from)?
                .ok_or_else(|| StepError::permanent("the outreach plan is missing"))?;
            let timeout = Duration::from_secs(u64::try_from(plan.reply_timeout_secs).unwrap_or(0));
            Ok(StepOutcome::WaitForEvent {
                event: REPLY_EVENT.into(),
                matching: Some(EventMatch {
                    path: "data.patientId".into(),
                    value: json!(plan.patient_id),
                }),
                timeout,
                state: json!({"attemptId": attempt_id}),
            })
        }
        None => {
            care.store
                .finish_attempt(&ctx.tenant, attempt_id, "NO_RESPONSE", None, now)
                .await
                .map_err(StepError::from)?;
            StepOutput::typed(&ReplyAwaited {
                plan_id,
                attempt_id: Some(attempt_id),
                replied: false,
                interaction_id: None,
                stopped: None,
            })
            .map(StepOutcome::Done)
        }
    }
}

/// Step `escalate`: after the last attempt went unanswered, raises a task.
pub(super) async fn escalate(
    care: &Care,
    ctx: StepContext,
    last: &str,
) -> Result<StepOutcome, StepError> {
    let before = Standing::after(&ctx, last)?;
    let plan_id = before.plan_id;
    if before.replied || before.stopped.is_some() {
        return StepOutput::typed(&Escalated {
            plan_id,
            escalated: false,
            task_id: None,
        })
        .map(StepOutcome::Done);
    }
    let d = discharge(&ctx)?;
    let severity = care.care().no_reply_severity.clone();
    let sla = care.care().sla_minutes.for_severity(&severity);
    let attempts = care.care().checkin_attempts;
    let now = ctx.now();
    let task = care
        .store
        .insert_task(
            &NewTask {
                tenant_id: ctx.tenant.clone(),
                task_id: Uuid::now_v7(),
                patient_id: d.patient_id.clone(),
                title: "No reply to the post-discharge check-in".into(),
                description: Some(format!(
                    "The patient did not answer {attempts} check-in SMS; call them."
                )),
                priority: priority_for(&severity).into(),
                severity: severity.clone(),
                sla_minutes: i32::try_from(sla).unwrap_or(i32::MAX),
                origin: "checkin-no-reply".into(),
                origin_key: Some(ctx.idempotency_key.clone()),
                interaction_id: None,
                created_at: now,
            },
            &[],
        )
        .await
        .map_err(StepError::from)?;
    care.store
        .finish_plan(&ctx.tenant, plan_id, "ESCALATED", now)
        .await
        .map_err(StepError::from)?;
    Ok(StepOutcome::Done(
        StepOutput::typed(&Escalated {
            plan_id,
            escalated: true,
            task_id: Some(task.task_id),
        })?
        .emit(
            "interaction/escalated",
            json!({
                "patientId": d.patient_id,
                "planId": plan_id,
                "taskId": task.task_id,
                "severity": severity,
                "reason": "no_reply",
            }),
        )
        .emit("task/created", task_created(&task))
        .emit(
            "checkin/completed",
            json!({
                "patientId": d.patient_id,
                "planId": plan_id,
                "outcome": "no_reply",
                "taskId": task.task_id,
            }),
        ),
    ))
}
