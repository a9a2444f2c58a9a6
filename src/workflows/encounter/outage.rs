//! Waiting out an outage: when a step's last attempt fails on a transient error (the
//! FHIR server or the model down, timing out, answering 5xx or 429), the run does not
//! fail; the step parks on a durable timer and tries again every
//! `encounters.outage_retry_interval`, holding no worker meanwhile. Only when the
//! outage outlasts `encounters.outage_max_wait` does the run fail, and such runs are
//! retried by the recovery task once their source answers again.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{EncounterInput, EncounterWorkflow, run_event};
use crate::engine::{StepContext, StepError, StepOutcome, Wake};

/// The parked state a step keeps while it waits out an outage.
const STATE_KEY: &str = "outage";

/// When the outage the step is waiting out began, if it is waiting one out.
fn outage_since(ctx: &StepContext) -> Option<DateTime<Utc>> {
    match &ctx.wake {
        Some(Wake::Timer { state, .. }) => state
            .get(STATE_KEY)
            .and_then(|o| o.get("since"))
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
}

/// The parking outcome for a failure worth waiting out, or `None` when the failure
/// must stand: permanent, not the last attempt (the engine retries), deferred by an
/// open breaker (the engine waits for it), the run cancelled, or the outage older
/// than `outage_max_wait`.
pub(super) fn wait_out(
    wf: &EncounterWorkflow,
    ctx: &StepContext,
    e: &StepError,
) -> Option<StepOutcome> {
    let last = ctx.attempt >= wf.max_attempts;
    if !e.is_retryable() || e.deferred || !last || ctx.cancel.is_cancelled() {
        return None;
    }
    let now = ctx.now();
    let since = outage_since(ctx).unwrap_or(now);
    let max_wait = chrono::Duration::from_std(wf.outage_max_wait).unwrap_or_default();
    if now - since >= max_wait {
        return None;
    }
    let interval = wf
        .outage_retry_interval
        .max(e.retry_after.unwrap_or_default());
    let until = now + chrono::Duration::from_std(interval).unwrap_or_default();
    Some(StepOutcome::SleepUntil {
        until,
        state: json!({STATE_KEY: {"since": since, "lastError": e.message}}),
    })
}

/// Publishes `EncounterProcessingDelayed` when a step starts waiting out an outage
/// (once per outage, not at every try).
pub(super) async fn announce(
    wf: &EncounterWorkflow,
    ctx: &StepContext,
    e: &StepError,
    parked: &StepOutcome,
) {
    let StepOutcome::SleepUntil { until, .. } = parked else {
        return;
    };
    if outage_since(ctx).is_some() {
        return;
    }
    let input = EncounterInput::from_value(&ctx.input).ok();
    let event = run_event(
        "EncounterProcessingDelayed",
        ctx.run_id,
        ctx.correlation_id.clone(),
        ctx.now(),
        json!({
            "encounterId": input.as_ref().map(|i| i.encounter_id.clone()),
            "source": input.as_ref().map(|i| i.source.clone()),
            "step": ctx.step.as_ref(),
            "error": e.message,
            "attempts": ctx.attempt,
            "retryAt": until,
        }),
    );
    if let Err(err) = wf.services.store.append_events(&ctx.tenant, &[event]).await {
        tracing::warn!(run.id = %ctx.run_id, error = %err,
            "could not publish EncounterProcessingDelayed");
    }
    tracing::info!(run.id = %ctx.run_id, step = %ctx.step,
        "encounter waits out a transient outage");
}
