//! The `service-call` workflow: `wait` parks the run on a durable timer until the
//! call is due; `execute` claims the call, performs its request through the
//! guarded client and records the outcome. Retryable failures (5xx, 429 with its
//! `Retry-After`, timeouts, connection errors) are retried by the engine under
//! the step's retry policy; meanwhile the call is `Scheduled` with the time of its
//! next attempt and the last error. The last attempt, or a failure no retry can
//! fix, records `Failed`. A cancelled run cancels its call. Every state change goes
//! through the `ServiceCall` aggregate, whose conditional transitions make a
//! duplicate firing a no-op.

mod cancel;
mod submit;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

pub use cancel::{CancelCallError, cancel_call};
pub use submit::{CallRequest, SubmitCallError, SubmittedCall, submit_call};

use super::Services;
use crate::config::ServiceCallSettings;
use crate::domain::service_call::{
    FailureKind, FailureMeta, HeaderSealer, ResponseMeta, ServiceCall, ServiceCalls, Transition,
    WORKFLOW, is_header_name,
};
use crate::engine::{
    Cancelled, DefinitionError, RetryPolicy, StepContext, StepError, StepOutcome, StepOutput,
    StepPolicy, WorkflowDefinition,
};
use crate::providers::outbound::{GuardedClient, OutboundError, OutboundRequest, OutboundResponse};
use crate::providers::resilience::{CallError, Endpoint, Resilient};
use crate::store::{ServiceCallStatus, StoreError};

/// The `[service_calls]` keys read where they are used: the sealing key and the
/// idempotency header's name. The error names the key (and never echoes the key's
/// value); start-up stops on it.
pub fn check_settings(settings: &ServiceCallSettings) -> Result<(), String> {
    HeaderSealer::from_key(&settings.encryption_key)
        .map_err(|e| format!("service_calls.encryption_key: {e}"))?;
    if !settings.idempotency_header.is_empty() && !is_header_name(&settings.idempotency_header) {
        return Err(
            "service_calls.idempotency_header: must be a header name (or empty for none)".into(),
        );
    }
    Ok(())
}

/// What the `execute` step needs.
struct Execution {
    calls: Arc<ServiceCalls>,
    client: Resilient<GuardedClient>,
    max_attempts: u32,
    max_retry_after: Duration,
    /// The backoff between attempts, jitter included. The step picks each delay
    /// itself, so the call can show when its next attempt is due; the engine's copy
    /// of the policy has no jitter and never waits longer than the step asks.
    retry: RetryPolicy,
}

/// The `service-call` workflow.
pub fn definitions(services: &Services) -> Result<Vec<WorkflowDefinition>, DefinitionError> {
    let settings = &services.settings.service_calls;
    let outbound = &services.settings.providers.outbound;
    let retry = RetryPolicy::from_settings(&outbound.retry);
    let execution = Arc::new(Execution {
        calls: services.service_calls.clone(),
        client: services.providers.outbound.clone(),
        max_attempts: outbound.retry.max_attempts,
        max_retry_after: outbound.max_retry_after,
        retry: retry.clone(),
    });
    let engine_retry = RetryPolicy {
        jitter: 0.0,
        ..retry
    };
    let calls = services.service_calls.clone();
    let on_cancel = services.service_calls.clone();
    let def = WorkflowDefinition::builder(WORKFLOW, 1)
        .step("wait", &[], StepPolicy::new().critical(), move |ctx| {
            wait(calls.clone(), ctx)
        })
        .step(
            "execute",
            &["wait"],
            StepPolicy::new()
                .critical()
                .retry(engine_retry)
                .reconciles_lost()
                .timeout(settings.attempt_timeout(outbound)),
            move |ctx| execute(execution.clone(), ctx),
        )
        .on_cancel(move |run| run_cancelled(on_cancel.clone(), run))
        .build()?;
    Ok(vec![def])
}

/// Makes sure the call is `Scheduled` (the submitting replica may have died
/// before marking it), then parks until it is due.
async fn wait(calls: Arc<ServiceCalls>, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let call = ensure_scheduled(&calls, &ctx).await?;
    let now = ctx.now();
    if call.status == ServiceCallStatus::Scheduled && call.due_at > now {
        return Ok(StepOutcome::SleepUntil {
            until: call.due_at,
            state: json!({"dueAt": call.due_at}),
        });
    }
    Ok(StepOutcome::Done(StepOutput::new(json!({
        "serviceCallId": call.id,
        "status": call.status,
        "dueAt": call.due_at,
        "wokeAt": now,
    }))))
}

/// Claims this attempt and performs the request, unless the call is already
/// settled or claimed elsewhere, in which case nothing is sent.
async fn execute(x: Arc<Execution>, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let call = ensure_scheduled(&x.calls, &ctx).await?;
    if let Some(lost) = ctx.lost_attempt {
        return settle_lost(&x.calls, call, lost, &ctx).await;
    }
    if !matches!(
        call.status,
        ServiceCallStatus::Scheduled | ServiceCallStatus::Running
    ) {
        return settled(&call, &ctx);
    }
    let attempt = ctx.attempt;
    let claimed = persist(&ctx, || {
        x.calls.start_attempt(&call, ctx.run_id, attempt, ctx.now())
    })
    .await?;
    match claimed {
        Transition::Applied(call) => x.perform(call, &ctx).await,
        Transition::Unchanged(Some(current)) => settled(&current, &ctx),
        Transition::Unchanged(None) => Err(missing()),
    }
}

impl Execution {
    /// Sends `request` through the breaker of the host it names. An open breaker
    /// is a retryable failure that did not reach the partner.
    async fn send(
        &self,
        request: OutboundRequest,
        ctx: &StepContext,
    ) -> Result<OutboundResponse, OutboundError> {
        let host = request.url.host_str().unwrap_or_default().to_owned();
        let key = match request.url.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        let endpoint = Endpoint::of_tenant("outbound", key, ctx.tenant.as_str());
        let sent = self
            .client
            .call_at(&endpoint, |client| client.execute(request))
            .await;
        sent.map_err(|e| match e {
            CallError::Provider(e) => e,
            CallError::Open(open) => OutboundError::CircuitOpen {
                host,
                retry_after: open.retry_after,
            },
            CallError::Timeout(limit) => OutboundError::Timeout(format!(
                "no answer from {host} within {}",
                humantime::format_duration(limit)
            )),
        })
    }

    async fn perform(
        &self,
        call: ServiceCall,
        ctx: &StepContext,
    ) -> Result<StepOutcome, StepError> {
        let attempt = ctx.attempt;
        let request = match self.calls.outbound_request(&call) {
            Ok(r) => r,
            Err(message) => {
                let failure = FailureMeta::new(FailureKind::InvalidRequest, message, attempt);
                return self.record_failure(&call, ctx, failure, None).await;
            }
        };
        let host = request.url.host_str().unwrap_or_default().to_owned();
        tracing::info!(service_call.id = %call.id, run.id = %ctx.run_id, attempt, %host, "performing service call");
        let outcome = tokio::select! {
            outcome = self.send(request, ctx) => outcome,
            _ = ctx.cancel.cancelled() => {
                let failure = FailureMeta::new(
                    FailureKind::Cancelled,
                    "the run was cancelled while the request was in flight; the server may have received it",
                    attempt,
                );
                tracing::warn!(service_call.id = %call.id, attempt, "service call cancelled with its request in flight");
                let done = persist(ctx, || {
                    self.calls
                        .cancel_for_run(&call, ctx.run_id, Some(&failure), ctx.now())
                })
                .await?;
                return match done {
                    Transition::Applied(c) | Transition::Unchanged(Some(c)) => settled(&c, ctx),
                    Transition::Unchanged(None) => Err(missing()),
                };
            }
        };
        let error = match outcome {
            Ok(answer) => {
                let meta = ResponseMeta::from(&answer);
                tracing::info!(service_call.id = %call.id, status = meta.status_code, latency_ms = meta.latency_ms, "service call succeeded");
                let done = persist(ctx, || {
                    self.calls.succeed(&call, ctx.run_id, &meta, ctx.now())
                })
                .await?;
                return match done {
                    Transition::Applied(c) | Transition::Unchanged(Some(c)) => settled(&c, ctx),
                    Transition::Unchanged(None) => Err(missing()),
                };
            }
            Err(error) => error,
        };
        let failure = FailureMeta::from_outbound(&error, attempt);
        let response = error.response().map(ResponseMeta::from);
        if error.is_retryable() && attempt < self.max_attempts && !ctx.cancel.is_cancelled() {
            tracing::warn!(service_call.id = %call.id, attempt, kind = ?failure.kind, status = ?failure.status_code, "service call attempt failed; it will be retried");
            let after = error.retry_after().map(|a| a.min(self.max_retry_after));
            // Never shorter than the engine's own (jitter-free) backoff, so the
            // engine waits exactly this long and the call shows when.
            let delay = self
                .retry
                .backoff(attempt)
                .max(self.retry.base_backoff(attempt))
                .max(after.unwrap_or_default());
            let now = ctx.now();
            let next = now + chrono::Duration::from_std(delay).unwrap_or_default();
            let waiting = persist(ctx, || {
                self.calls
                    .retry_later(&call, ctx.run_id, &failure, response.as_ref(), next, now)
            })
            .await?;
            if let Transition::Unchanged(Some(current)) = &waiting {
                // Cancelled meanwhile, or taken by another run: nothing to retry.
                return settled(current, ctx);
            }
            return Err(StepError::retryable(failure.message.clone())
                .with_retry_after(Some(delay))
                .with_details(details(&call, &failure)));
        }
        self.record_failure(&call, ctx, failure, response).await
    }

    async fn record_failure(
        &self,
        call: &ServiceCall,
        ctx: &StepContext,
        failure: FailureMeta,
        response: Option<ResponseMeta>,
    ) -> Result<StepOutcome, StepError> {
        tracing::warn!(service_call.id = %call.id, attempt = failure.attempt, kind = ?failure.kind, status = ?failure.status_code, "service call failed");
        let done = persist(ctx, || {
            self.calls
                .fail(call, ctx.run_id, &failure, response.as_ref(), ctx.now())
        })
        .await?;
        match done {
            Transition::Applied(c) | Transition::Unchanged(Some(c)) => settled(&c, ctx),
            Transition::Unchanged(None) => Err(missing()),
        }
    }
}

/// The last attempt never reported and none is left: the call fails (unless that
/// attempt settled it before its process stopped); nothing is sent.
async fn settle_lost(
    calls: &ServiceCalls,
    call: ServiceCall,
    lost: u32,
    ctx: &StepContext,
) -> Result<StepOutcome, StepError> {
    if call.status.is_final() || call.run_id != Some(ctx.run_id) {
        return settled(&call, ctx);
    }
    tracing::warn!(service_call.id = %call.id, run.id = %ctx.run_id, attempt = lost, "the last attempt of a service call never reported; the call fails");
    let why = crate::engine::never_reported(lost);
    match persist(ctx, || calls.lose(&call, ctx.run_id, lost, &why, ctx.now())).await? {
        Transition::Applied(c) | Transition::Unchanged(Some(c)) => settled(&c, ctx),
        Transition::Unchanged(None) => Err(missing()),
    }
}

/// A cancelled `service-call` run cancels its call, unless the call is final or
/// another run performs it.
async fn run_cancelled(calls: Arc<ServiceCalls>, run: Cancelled) -> Result<(), String> {
    let Some(id) = run.input["serviceCallId"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
    else {
        return Ok(());
    };
    let call = calls
        .get(&run.tenant, id)
        .await
        .map_err(|e| e.to_string())?;
    let Some(call) = call.filter(|c| !c.status.is_final()) else {
        return Ok(());
    };
    if let Transition::Applied(c) = calls
        .cancel_for_run(&call, run.run_id, None, run.at)
        .await
        .map_err(|e| e.to_string())?
    {
        tracing::info!(service_call.id = %c.id, run.id = %run.run_id, "service call cancelled with its run");
    }
    Ok(())
}

/// The step's answer for a call this execution does not (or no longer) act on:
/// its recorded outcome, or a note that another run holds it.
fn settled(call: &ServiceCall, ctx: &StepContext) -> Result<StepOutcome, StepError> {
    let output = |extra: Value| {
        let mut out =
            json!({"serviceCallId": call.id, "status": call.status, "attempts": call.attempts});
        if let (Value::Object(map), Value::Object(more)) = (&mut out, extra) {
            map.extend(more);
        }
        Ok(StepOutcome::Done(StepOutput::new(out)))
    };
    match call.status {
        ServiceCallStatus::Succeeded => output(json!({
            "statusCode": call.response.as_ref().map(|r| r.status_code),
            "latencyMs": call.response.as_ref().map(|r| r.latency_ms),
        })),
        ServiceCallStatus::Failed => {
            let message = call
                .error
                .as_ref()
                .map_or("no error was recorded", |e| e.message.as_str());
            Err(
                StepError::permanent(format!("service call failed: {message}"))
                    .with_details(json!({"serviceCallId": call.id, "error": call.error})),
            )
        }
        ServiceCallStatus::Cancelled => output(json!({})),
        // Another run holds the call: it performs it, this one sends nothing.
        _ if call.run_id != Some(ctx.run_id) => output(json!({"performedBy": call.run_id})),
        // This run's call, claimed by an attempt at least as recent: only a later
        // attempt may claim it again.
        _ => Err(StepError::retryable(format!(
            "attempt {} of this run was already claimed on the call",
            ctx.attempt
        ))),
    }
}

fn details(call: &ServiceCall, failure: &FailureMeta) -> Value {
    json!({"serviceCallId": call.id, "error": failure})
}

/// Loads the run's call and moves it from `Submitted` to `Scheduled` if needed.
async fn ensure_scheduled(
    calls: &ServiceCalls,
    ctx: &StepContext,
) -> Result<ServiceCall, StepError> {
    let id = ctx.input["serviceCallId"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| StepError::permanent("input.serviceCallId must be a service call id"))?;
    let call = persist(ctx, || calls.get(&ctx.tenant, id))
        .await?
        .ok_or_else(missing)?;
    if call.status != ServiceCallStatus::Submitted {
        return Ok(call);
    }
    match persist(ctx, || calls.schedule(&call, ctx.run_id, ctx.now())).await? {
        Transition::Applied(c) | Transition::Unchanged(Some(c)) => Ok(c),
        Transition::Unchanged(None) => Err(missing()),
    }
}

fn missing() -> StepError {
    StepError::permanent("the service call does not exist in the run's tenant")
}

/// Runs a store operation, retrying transient failures for as long as the run's
/// lease holds: an outcome that is lost after the request was made would make the
/// next attempt send the request again.
async fn persist<T, F, Fut>(ctx: &StepContext, op: F) -> Result<T, StepError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    ctx.persist("recording a service call", op)
        .await
        .map_err(|e| StepError::stored("recording the service call failed", e))
}

#[cfg(test)]
mod tests {
    use super::check_settings;
    use crate::config::{Secret, Settings};

    #[test]
    fn an_idempotency_header_that_is_no_header_name_is_refused() {
        let mut s = Settings::defaults().service_calls;
        assert!(check_settings(&s).is_ok());
        s.idempotency_header = "Idempotency Key".into();
        let err = check_settings(&s).unwrap_err();
        assert!(
            err.starts_with("service_calls.idempotency_header:"),
            "{err}"
        );
        s.idempotency_header = String::new();
        assert!(check_settings(&s).is_ok());
    }

    #[test]
    fn a_key_that_is_not_32_base64_bytes_is_refused_without_echoing_it() {
        let mut s = Settings::defaults().service_calls;
        s.encryption_key = Secret::new("c2hvcnQta2V5");
        let err = check_settings(&s).unwrap_err();
        assert!(err.starts_with("service_calls.encryption_key:"), "{err}");
        assert!(!err.contains("c2hvcnQta2V5"), "{err}");
    }
}
