//! The step kinds of tenants' workflows, as engine step handlers: each reads its
//! input through the definition's templates from `{input, steps}` and parks on the
//! engine's durable timers and waits, so a run holds no worker while it sleeps or
//! waits and survives the replica that started it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::http_step;
use crate::domain::user_workflow::StepKind;
use crate::engine::{
    EventMatch, StepContext, StepError, StepFuture, StepHandler, StepOutcome, StepOutput, Wake,
};
use crate::providers::outbound::GuardedClient;
use crate::providers::resilience::Resilient;
use crate::store::{RunId, RunStatus};

/// The longest pause between two looks at an invoked child run.
const CHILD_POLL_MAX: Duration = Duration::from_secs(60);

/// One step of a tenant's workflow.
#[derive(Clone)]
pub(super) struct UserStep {
    pub(super) kind: Arc<StepKind>,
    pub(super) outbound: Resilient<GuardedClient>,
}

impl StepHandler for UserStep {
    fn run(&self, ctx: StepContext) -> StepFuture {
        let step = self.clone();
        Box::pin(async move { step.execute(ctx).await })
    }
}

/// What templates read: the run's input and the outputs of the step's dependencies.
fn context(ctx: &StepContext) -> Value {
    json!({"input": *ctx.input, "steps": *ctx.deps})
}

fn done(output: Value) -> Result<StepOutcome, StepError> {
    Ok(StepOutcome::Done(StepOutput::new(output)))
}

fn after(ctx: &StepContext, d: Duration) -> DateTime<Utc> {
    ctx.now() + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl UserStep {
    async fn execute(&self, ctx: StepContext) -> Result<StepOutcome, StepError> {
        let context = context(&ctx);
        match self.kind.as_ref() {
            StepKind::Http(spec) => http_step::run(spec, &self.outbound, &ctx, &context).await,
            StepKind::Sleep { duration } => match &ctx.wake {
                Some(Wake::Timer { at, .. }) => done(json!({"sleptUntil": at})),
                _ => Ok(StepOutcome::SleepUntil {
                    until: after(&ctx, *duration),
                    state: Value::Null,
                }),
            },
            StepKind::SleepUntil { until } => {
                if let Some(Wake::Timer { at, .. }) = &ctx.wake {
                    return done(json!({"sleptUntil": at}));
                }
                let raw = until.evaluate(&context).map_err(StepError::permanent)?;
                let at = raw
                    .as_str()
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.with_timezone(&Utc))
                    .ok_or_else(|| StepError::permanent("`until` is not an RFC 3339 time"))?;
                if at <= ctx.now() {
                    return done(json!({"sleptUntil": at}));
                }
                Ok(StepOutcome::SleepUntil {
                    until: at,
                    state: Value::Null,
                })
            }
            StepKind::WaitForEvent {
                event,
                matching,
                timeout,
            } => match &ctx.wake {
                Some(Wake::Event { event, .. }) => done(event.clone()),
                // As in the event functions: a wait that timed out resolves with null.
                Some(Wake::TimedOut { .. }) => done(Value::Null),
                _ => {
                    let matching = match matching {
                        None => None,
                        Some((path, value)) => Some(EventMatch {
                            path: path.clone(),
                            value: value.evaluate(&context).map_err(StepError::permanent)?,
                        }),
                    };
                    Ok(StepOutcome::WaitForEvent {
                        event: event.clone(),
                        matching,
                        timeout: *timeout,
                        state: Value::Null,
                    })
                }
            },
            StepKind::Emit { event, data } => {
                let data = data.evaluate(&context).map_err(StepError::permanent)?;
                let output = json!({"event": event, "data": data});
                Ok(StepOutcome::Done(StepOutput::new(output).emit(event, data)))
            }
            StepKind::Invoke { workflow, input } => {
                self.invoke(&ctx, workflow, input, &context).await
            }
        }
    }

    /// Starts the child run once (its key derives from this step's), then looks
    /// at it on durable timers, further apart each time, until it ends.
    async fn invoke(
        &self,
        ctx: &StepContext,
        workflow: &str,
        input: &crate::domain::user_workflow::Template,
        context: &Value,
    ) -> Result<StepOutcome, StepError> {
        let (child, looks) = match &ctx.wake {
            Some(Wake::Timer { state, .. }) => {
                let child = state
                    .get("child")
                    .and_then(|c| serde_json::from_value::<RunId>(c.clone()).ok());
                let looks = state.get("looks").and_then(Value::as_u64).unwrap_or(0);
                match child {
                    Some(child) => (child, looks),
                    None => return Err(StepError::permanent("the child run was not recorded")),
                }
            }
            _ => {
                let input = input.evaluate(context).map_err(StepError::permanent)?;
                (ctx.start_child(workflow, input, "invoke").await?, 0)
            }
        };
        let view = ctx
            .engine
            .get(&ctx.tenant, child)
            .await
            .map_err(|e| StepError::retryable(format!("reading the child run failed: {e}")))?
            .ok_or_else(|| StepError::permanent("the child run is gone"))?;
        match view.status {
            RunStatus::Completed => {
                let steps: serde_json::Map<String, Value> = view
                    .steps
                    .iter()
                    .map(|s| (s.name.clone(), s.output.clone().unwrap_or(Value::Null)))
                    .collect();
                done(json!({"runId": child, "workflow": workflow, "steps": steps}))
            }
            RunStatus::Failed | RunStatus::Cancelled => Err(StepError::permanent(format!(
                "the child run of `{workflow}` ended {}",
                view.status
            ))
            .with_details(json!({"runId": child}))),
            _ => {
                let wait = Duration::from_secs(1 << looks.min(6)).min(CHILD_POLL_MAX);
                Ok(StepOutcome::SleepUntil {
                    until: after(ctx, wait),
                    state: json!({"child": child, "looks": looks + 1}),
                })
            }
        }
    }
}
