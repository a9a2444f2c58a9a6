//! The follow-up call: `scheduleCall` records it and starts its placement run, and
//! the placement run's `place` step calls the owner through the voice provider
//! when it is due (or records `not_configured` when there is none).

use serde_json::json;
use uuid::Uuid;

use super::input::{CallPlacement, child_input, child_value};
use super::outputs::{IngestOutput, Placement, ScheduledCall};
use super::{CALL_PLACEMENT, Discharge, invalid, options, provider_failure};
use crate::domain::discharge::call::call_script;
use crate::domain::discharge::case::is_e164;
use crate::engine::{Cancelled, StepContext, StepError, StepOutcome, StepOutput};
use crate::providers::resilience::CallError;
use crate::store::{CallOutcome, CallRow, CallStatus, NewCall};

/// `scheduleCall`: the call recorded for `scheduledFor` and its placement run
/// started. Completes as soon as both exist.
pub(super) async fn schedule(d: Discharge, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let opts = options::call(&ctx.options, &d.phone_region)
        .map_err(|p| invalid("invalid scheduleCall options", &p))?;
    let case_id = ctx.dep_as::<IngestOutput>("ingest")?.case_id;
    let case = d.case(&ctx.tenant, case_id).await?;
    let phone = opts
        .phone_number
        .or_else(|| case.owner.phone.clone())
        .ok_or_else(|| {
            StepError::permanent(
                "no phone number: the case has no owner phone and steps.scheduleCall.options.phoneNumber is not given",
            )
        })?;
    if !is_e164(&phone) {
        return Err(StepError::permanent(
            "the phone number is not E.164 (+ and 8 to 15 digits)",
        ));
    }
    let clinic = opts.clinic_name.as_deref().unwrap_or(&d.clinic_name);
    let now = ctx.now();
    let row = d
        .store
        .insert_call(&NewCall {
            tenant_id: ctx.tenant.clone(),
            call_id: Uuid::now_v7(),
            case_id,
            origin_key: ctx.idempotency_key.clone(),
            run_id: ctx.run_id,
            to_phone: phone,
            script: call_script(&case, clinic),
            scheduled_for: opts.scheduled_for.unwrap_or(now),
            created_at: now,
        })
        .await
        .map_err(StepError::from)?;
    let child = ctx
        .start_child(
            CALL_PLACEMENT,
            child_value(&CallPlacement {
                call_id: row.call_id,
            })?,
            "placement",
        )
        .await?;
    d.store
        .set_call_placement_run(&ctx.tenant, row.call_id, child, now)
        .await
        .map_err(StepError::from)?;
    tracing::info!(call.id = %row.call_id, placement.run = %child, "follow-up call scheduled");
    let event = json!({
        "callId": row.call_id,
        "caseId": row.case_id,
        "scheduledFor": row.scheduled_for,
        "placementRunId": child,
    });
    Ok(StepOutcome::Done(
        StepOutput::typed(&ScheduledCall {
            call_id: row.call_id,
            case_id: row.case_id,
            to: row.to_phone,
            scheduled_for: row.scheduled_for,
            status: row.status.to_string(),
            placement_run_id: child.0,
            placement_channel: if d.providers.twilio.is_some() {
                "voice"
            } else {
                "not_configured"
            }
            .into(),
        })?
        .emit("CallScheduled", event),
    ))
}

/// A cancelled placement run cancels its call, unless it was already placed or
/// given up on, or another run places it.
pub(super) async fn placement_cancelled(d: Discharge, run: Cancelled) -> Result<(), String> {
    let Ok(CallPlacement { call_id }) = child_input(&run.input) else {
        return Ok(());
    };
    let row = d
        .store
        .cancel_call(&run.tenant, call_id, Some(run.run_id), run.at)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(row) = row.filter(|r| r.status == CallStatus::Cancelled) {
        tracing::info!(call.id = %row.call_id, run.id = %run.run_id, "follow-up call cancelled with its placement run");
    }
    Ok(())
}

/// The output of a placement that found its call settled.
fn settled(row: &CallRow) -> Result<StepOutcome, StepError> {
    StepOutput::typed(&Placement {
        call_id: row.call_id,
        status: row.status,
        attempts: row.attempts,
        provider_call_id: row.provider_call_id.clone(),
        provider_status: row.provider_status.clone(),
        placed_at: row.placed_at,
        last_error: row.last_error.clone(),
        note: None,
    })
    .map(StepOutcome::Done)
}

/// `place` (of `discharge-call-placement`): waits for the call's time on an engine
/// timer, then places it once.
pub(super) async fn place(d: Discharge, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let CallPlacement { call_id } = child_input(&ctx.input)?;
    let row = d
        .store
        .get_call(&ctx.tenant, call_id)
        .await
        .map_err(StepError::from)?
        .ok_or_else(|| StepError::permanent(format!("call {call_id} does not exist")))?;
    if row.status != CallStatus::Scheduled {
        return settled(&row);
    }
    let now = ctx.now();
    if row.scheduled_for > now {
        return Ok(StepOutcome::SleepUntil {
            until: row.scheduled_for,
            state: json!({"callId": call_id}),
        });
    }
    let Some(voice) = &d.providers.twilio else {
        let outcome = CallOutcome {
            status: CallStatus::NotConfigured,
            last_error: None,
            provider_call_id: None,
            provider_status: None,
            placed_at: None,
        };
        d.store
            .finish_call_attempt(&ctx.tenant, call_id, &outcome, now)
            .await
            .map_err(StepError::from)?;
        tracing::info!(call.id = %call_id, "follow-up call due but no voice provider is configured");
        let output = StepOutput::typed(&Placement {
            call_id,
            status: CallStatus::NotConfigured,
            attempts: 0,
            provider_call_id: None,
            provider_status: None,
            placed_at: None,
            last_error: None,
            note: Some("no voice provider is configured (providers.twilio.base_url is empty); the call was not placed".into()),
        })?;
        return Ok(StepOutcome::Done(
            output.emit("CallNotConfigured", json!({"callId": call_id})),
        ));
    };
    // Counted before calling, so an attempt cut short still shows.
    let row = d
        .store
        .start_call_attempt(&ctx.tenant, call_id, ctx.run_id, now)
        .await
        .map_err(StepError::from)?
        .ok_or_else(|| StepError::permanent(format!("call {call_id} does not exist")))?;
    if row.status != CallStatus::Scheduled {
        return settled(&row);
    }
    if row.placement_run_id != Some(ctx.run_id) {
        // Another run places this call; calling here could call twice.
        return Err(StepError::permanent(format!(
            "call {call_id} is placed by another run"
        )));
    }
    let placed = voice
        .call(|c| c.place_call(&row.to_phone, &row.script, None))
        .await;
    let done = ctx.now();
    let outcome = match &placed {
        Ok(call) => CallOutcome {
            status: CallStatus::Placed,
            last_error: None,
            provider_call_id: Some(call.sid.clone()),
            provider_status: Some(call.status.as_str().to_string()),
            placed_at: Some(done),
        },
        Err(e) => {
            // An open breaker sent nothing; the step waits for it.
            let refused = matches!(e, CallError::Open(_));
            let last = !refused && (!e.is_retryable() || ctx.attempt >= d.call_retry.max_attempts);
            CallOutcome {
                status: if last {
                    CallStatus::Failed
                } else {
                    CallStatus::Scheduled
                },
                last_error: Some(e.to_string()),
                provider_call_id: None,
                provider_status: None,
                placed_at: None,
            }
        }
    };
    // The call was placed (or failed): losing this record to a database blip would
    // place it again, so it is retried while the lease holds.
    ctx.persist("recording a call placement", || {
        d.store
            .finish_call_attempt(&ctx.tenant, call_id, &outcome, done)
    })
    .await
    .map_err(StepError::from)?;
    tracing::info!(
        call.id = %call_id,
        attempt = row.attempts,
        status = %outcome.status,
        "follow-up call placement attempt finished"
    );
    match placed {
        Ok(call) => {
            let event =
                json!({"callId": call_id, "providerCallId": call.sid, "attempts": row.attempts});
            let output = StepOutput::typed(&Placement {
                call_id,
                status: CallStatus::Placed,
                attempts: row.attempts,
                provider_call_id: Some(call.sid),
                provider_status: Some(call.status.as_str().to_owned()),
                placed_at: Some(done),
                last_error: None,
                note: None,
            })?;
            Ok(StepOutcome::Done(output.emit("CallPlaced", event)))
        }
        Err(e) => {
            let code = match &e {
                CallError::Provider(e) => e.code(),
                _ => None,
            };
            Err(provider_failure(
                &e,
                json!({"provider": "voice", "code": code}),
            ))
        }
    }
}
