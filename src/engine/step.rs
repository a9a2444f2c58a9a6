//! What a step handler receives and returns.
//!
//! A handler is async Rust code. It gets a [`StepContext`] (the run's input, its
//! dependencies' outputs, its own options, an idempotency key for side effects, a
//! cancellation signal) and returns a [`StepOutcome`]: done with an output, or
//! parked on a timer or an event; or a [`StepError`] saying whether a retry can help.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::store::{RunId, StoreError, TenantId};

/// Everything a step attempt may use.
#[derive(Clone)]
pub struct StepContext {
    /// The run.
    pub run_id: RunId,
    /// The run's tenant: every read and write of the step stays inside it.
    pub tenant: TenantId,
    /// Workflow name.
    pub workflow: Arc<str>,
    /// This step's name.
    pub step: Arc<str>,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// The run's validated input.
    pub input: Arc<Value>,
    /// This step's options from the request (`Value::Null` when none).
    pub options: Value,
    /// Outputs of the completed steps this step depends on.
    pub deps: Arc<HashMap<String, Value>>,
    /// The run's correlation id.
    pub correlation_id: Option<String>,
    /// Stable across attempts: `<run id>:<step>`. Side effects toward the outside
    /// world carry it so a repeated attempt is harmless.
    pub idempotency_key: String,
    /// Fires when the run is cancelled or the replica shuts down.
    pub cancel: CancellationToken,
    /// Why the step runs again after parking, if it does.
    pub wake: Option<Wake>,
    /// Set when this call only settles a lost last attempt (the number of the
    /// attempt whose process stopped before it reported): the handler must not
    /// repeat the side effect, only settle what that attempt recorded. Only steps
    /// whose policy [reconciles lost attempts](super::StepPolicy::reconciles_lost)
    /// are called so.
    pub lost_attempt: Option<u32>,
    /// How long the run's lease holds, for retrying writes.
    pub(crate) lease: super::lease_watch::LeaseWatch,
    /// Set while [`persist`](Self::persist) runs: the attempt's deadline does not
    /// cut a step recording what its side effect did.
    pub(crate) recording: Arc<std::sync::atomic::AtomicBool>,
    /// The engine's clock.
    pub clock: Arc<dyn Clock>,
    /// The engine, for starting child runs.
    pub(crate) engine: super::Engine,
}

impl StepContext {
    /// The output of dependency `name`, if it completed.
    pub fn dep(&self, name: &str) -> Option<&Value> {
        self.deps.get(name)
    }

    /// The output of the completed dependency `name`, read as the type its step
    /// writes. A missing or unreadable output is a permanent failure: the step that
    /// wrote it and this one disagree, and a retry cannot change that.
    pub fn dep_as<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T, StepError> {
        let value = self
            .deps
            .get(name)
            .ok_or_else(|| StepError::permanent(format!("`{name}` has no output")))?;
        T::deserialize(value)
            .map_err(|e| StepError::permanent(format!("the output of `{name}` is unreadable: {e}")))
    }

    /// Now, by the engine's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Runs a store write that records what this attempt did (above all, the
    /// answer to a side effect already made), retrying while the database is
    /// unreachable for as long as the run's lease holds: giving up sooner would make
    /// the next attempt repeat the side effect. Meanwhile the attempt's deadline does
    /// not cut the step. Fails at once when the write cannot succeed (the lease was
    /// lost, a value was refused); `what` names it in logs.
    pub async fn persist<T, F, Fut>(&self, what: &str, op: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        use std::sync::atomic::Ordering;
        self.recording.store(true, Ordering::Relaxed);
        let done = self.lease.retry(what, op).await;
        self.recording.store(false, Ordering::Relaxed);
        done
    }

    /// Starts a run of `workflow` in the same tenant, as durable follow-up work of
    /// this step (a delivery at a due time, say). Its idempotency key is derived from
    /// this step's key and `key`, so a repeated attempt finds the run it already
    /// started instead of starting another. Returns the child's run id.
    pub async fn start_child(
        &self,
        workflow: &str,
        input: Value,
        key: &str,
    ) -> Result<RunId, StepError> {
        let submission = super::Submission {
            tenant: self.tenant.clone(),
            workflow: workflow.to_string(),
            input,
            options: super::RunOptions::default(),
            idempotency_key: Some(format!("{}:{key}", self.idempotency_key)),
            fingerprint: None,
            correlation_id: Some(
                self.correlation_id
                    .clone()
                    .unwrap_or_else(|| self.run_id.to_string()),
            ),
        };
        match self
            .engine
            .submit(submission, std::time::Duration::ZERO)
            .await
        {
            Ok(super::Submitted::Run { run_id, .. }) => Ok(run_id),
            Ok(super::Submitted::DryRun(_)) => {
                Err(StepError::permanent("a child run cannot be a dry run"))
            }
            Err(super::EngineError::UnknownWorkflow(w)) => Err(StepError::permanent(format!(
                "workflow `{w}` is not registered"
            ))),
            // The same input would be refused again: no retry can help.
            Err(super::EngineError::Invalid(problems)) => Err(StepError::permanent(format!(
                "the input of `{workflow}` is invalid: {problems}"
            ))),
            Err(e) => Err(StepError::retryable(format!(
                "starting `{workflow}` failed: {e}"
            ))),
        }
    }
}

/// Why a parked step was resumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Wake {
    /// Its timer came due.
    Timer {
        /// The time it asked for.
        at: DateTime<Utc>,
        /// What the step stored when it parked.
        state: Value,
    },
    /// The event it waited for arrived.
    Event {
        /// The event (`name`, `data`, `id`, `ts`).
        event: Value,
        /// What the step stored when it parked.
        state: Value,
    },
    /// No matching event arrived before the timeout.
    TimedOut {
        /// What the step stored when it parked.
        state: Value,
    },
}

impl Wake {
    /// What the step stored when it parked.
    pub fn state(&self) -> &Value {
        match self {
            Wake::Timer { state, .. } | Wake::Event { state, .. } | Wake::TimedOut { state } => {
                state
            }
        }
    }

    /// The event that arrived, if one did.
    pub fn event(&self) -> Option<&Value> {
        match self {
            Wake::Event { event, .. } => Some(event),
            _ => None,
        }
    }
}

/// Which events a wait accepts: those whose value at `path` (dotted, e.g.
/// `data.patientId`) equals `value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventMatch {
    /// Dotted path into the event.
    pub path: String,
    /// The value it must have.
    pub value: Value,
}

impl EventMatch {
    /// True when `event` matches.
    pub fn matches(&self, event: &Value) -> bool {
        lookup(event, &self.path) == Some(&self.value)
    }
}

/// The value at a dotted path (`data.patient.id`).
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .filter(|p| !p.is_empty())
        .try_fold(value, |v, key| v.get(key))
}

/// Validation messages a step reports beside its output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Messages {
    /// Problems that made data unusable.
    pub errors: Vec<Value>,
    /// Problems worth a look.
    pub warnings: Vec<Value>,
    /// Facts worth knowing.
    pub infos: Vec<Value>,
}

impl Messages {
    /// True when there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.warnings.is_empty() && self.infos.is_empty()
    }

    /// As stored: `None` when empty.
    pub fn to_value(&self) -> Option<Value> {
        (!self.is_empty()).then(|| json!(self))
    }
}

/// An event a step publishes; committed together with the step's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Emit {
    /// Event type, e.g. `PdfGenerated`.
    pub event_type: String,
    /// Payload.
    pub data: Value,
}

/// A completed step's result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepOutput {
    /// The output dependents read and the run result shows.
    pub output: Value,
    /// Validation messages.
    pub messages: Messages,
    /// Events to publish.
    pub events: Vec<Emit>,
}

impl StepOutput {
    /// An output without messages or events.
    pub fn new(output: Value) -> Self {
        Self {
            output,
            ..Self::default()
        }
    }

    /// An output written from a typed value (a step's output struct).
    pub fn typed<T: serde::Serialize>(output: &T) -> Result<Self, StepError> {
        serde_json::to_value(output)
            .map(Self::new)
            .map_err(|e| StepError::permanent(format!("the output cannot be written: {e}")))
    }

    /// Adds an event.
    pub fn emit(mut self, event_type: impl Into<String>, data: Value) -> Self {
        self.events.push(Emit {
            event_type: event_type.into(),
            data,
        });
        self
    }

    /// Sets the messages.
    pub fn with_messages(mut self, messages: Messages) -> Self {
        self.messages = messages;
        self
    }
}

/// What an attempt ended with, when it did not fail.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// The step is complete.
    Done(StepOutput),
    /// Park the step until `until`; the handler is called again then with
    /// [`Wake::Timer`] carrying `state`. The run holds no worker meanwhile.
    SleepUntil {
        /// When to resume.
        until: DateTime<Utc>,
        /// What the handler wants back on resumption.
        state: Value,
    },
    /// Park the step until an event named `event` (and passing `matching`) arrives
    /// after this moment, or until `timeout` passes; the handler is called again with
    /// [`Wake::Event`] or [`Wake::TimedOut`]. An event that matches several waiting
    /// runs wakes each of them.
    WaitForEvent {
        /// Event name, e.g. `interaction/response_received`.
        event: String,
        /// Which events count.
        matching: Option<EventMatch>,
        /// How long to wait.
        timeout: Duration,
        /// What the handler wants back on resumption.
        state: Value,
    },
}

/// Whether a retry can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// Timeouts, connection errors, 5xx, 429: worth another attempt.
    Retryable,
    /// Validation and other 4xx: another attempt would fail the same way.
    Permanent,
}

/// A failed attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct StepError {
    /// Retryable or permanent.
    pub kind: ErrorKind,
    /// What went wrong, safe to show (no patient data, no secrets).
    pub message: String,
    /// The server asked to wait at least this long before retrying.
    pub retry_after: Option<Duration>,
    /// Validation messages gathered before failing (boxed: errors travel often and
    /// rarely carry messages).
    pub messages: Box<Messages>,
    /// Extra structured detail (error codes, the provider's status).
    pub details: Value,
    /// Nothing was attempted (a provider's circuit is open): the step waits until
    /// `retry_after` without spending an attempt.
    pub deferred: bool,
}

impl StepError {
    /// A failure another attempt may fix.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Retryable, message)
    }

    /// A failure another attempt would repeat.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Permanent, message)
    }

    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retry_after: None,
            messages: Box::default(),
            details: Value::Null,
            deferred: false,
        }
    }

    /// Nothing could be attempted now (a provider's circuit is open): wait `until`
    /// passes, then try again; no attempt is spent.
    pub fn deferred(message: impl Into<String>, until: Option<Duration>) -> Self {
        let mut e = Self::new(ErrorKind::Retryable, message);
        e.retry_after = Some(until.unwrap_or(Duration::from_secs(1)));
        e.deferred = true;
        e
    }

    /// Asks for at least this delay before the next attempt.
    pub fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.retry_after = after;
        self
    }

    /// Attaches validation messages.
    pub fn with_messages(mut self, messages: Messages) -> Self {
        self.messages = Box::new(messages);
        self
    }

    /// Attaches structured detail.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// True when another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind == ErrorKind::Retryable
    }
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Classifies errors of any type into step errors: `result.retryable()?` or
/// `result.fatal()?` inside a handler.
pub trait ToStepResult<T> {
    /// Maps the error to a retryable step error.
    fn retryable(self) -> Result<T, StepError>;
    /// Maps the error to a permanent step error.
    fn fatal(self) -> Result<T, StepError>;
}

impl<T, E: std::fmt::Display> ToStepResult<T> for Result<T, E> {
    fn retryable(self) -> Result<T, StepError> {
        self.map_err(|e| StepError::retryable(e.to_string()))
    }
    fn fatal(self) -> Result<T, StepError> {
        self.map_err(|e| StepError::permanent(e.to_string()))
    }
}

/// The future a handler returns.
pub type StepFuture = Pin<Box<dyn Future<Output = Result<StepOutcome, StepError>> + Send>>;

/// A step's code.
pub trait StepHandler: Send + Sync + 'static {
    /// Runs one attempt.
    fn run(&self, ctx: StepContext) -> StepFuture;
}

impl<F, Fut> StepHandler for F
where
    F: Fn(StepContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<StepOutcome, StepError>> + Send + 'static,
{
    fn run(&self, ctx: StepContext) -> StepFuture {
        Box::pin(self(ctx))
    }
}
