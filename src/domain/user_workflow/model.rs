//! A tenant's workflow definition after it was checked: steps with their
//! dependencies, policies and kinds. The JSON form is described in the README
//! ("Your own workflows"); [`super::parse`] turns one into the other.

use std::time::Duration;

use super::template::Template;

/// A checked workflow definition.
#[derive(Debug, Clone)]
pub struct UserWorkflow {
    /// What it is for, shown in listings.
    pub description: Option<String>,
    /// Steps as declared.
    pub steps: Vec<StepSpec>,
    /// The events that start and cancel its runs.
    pub triggers: super::Triggers,
}

/// One step.
#[derive(Debug, Clone)]
pub struct StepSpec {
    /// Unique within the workflow.
    pub name: String,
    /// Steps that must complete first; their outputs are readable under `steps`.
    pub depends_on: Vec<String>,
    /// Retries, backoff, timeout, criticality.
    pub policy: PolicySpec,
    /// What the step does.
    pub kind: StepKind,
}

/// A step's policy; what is left out takes the engine's defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicySpec {
    /// Attempts after the first one (0-20).
    pub retries: Option<u32>,
    /// The first delay before a retry; later ones double.
    pub backoff: Option<Duration>,
    /// The limit of one attempt.
    pub timeout: Option<Duration>,
    /// A critical failure fails the run; a non-critical one is a warning and the
    /// steps depending on it are skipped. Critical unless told otherwise.
    pub critical: bool,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// An HTTP request through the outbound guard and the destination's breaker.
    Http(HttpSpec),
    /// A durable pause of a fixed length.
    Sleep {
        /// How long.
        duration: Duration,
    },
    /// A durable pause until a time the input gives (RFC 3339).
    SleepUntil {
        /// The time, usually a reference into the input.
        until: Template,
    },
    /// A durable wait for an event; the output is the event, or `null` on timeout.
    WaitForEvent {
        /// The event's name.
        event: String,
        /// Only events whose value at `path` equals `value` count.
        matching: Option<(String, Template)>,
        /// How long to wait.
        timeout: Duration,
    },
    /// Publishes an event (committed with the step's outcome).
    Emit {
        /// The event's name.
        event: String,
        /// Its data.
        data: Template,
    },
    /// Runs another workflow (compiled in, or the tenant's own) as a child run;
    /// the step's output is the child's step outputs.
    Invoke {
        /// The workflow to run.
        workflow: String,
        /// The child's input.
        input: Template,
    },
}

impl StepKind {
    /// The kind's name in definitions.
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Http(_) => "http",
            StepKind::Sleep { .. } => "sleep",
            StepKind::SleepUntil { .. } => "sleep_until",
            StepKind::WaitForEvent { .. } => "wait_for_event",
            StepKind::Emit { .. } => "emit",
            StepKind::Invoke { .. } => "invoke",
        }
    }
}

/// The request an `http` step sends.
#[derive(Debug, Clone)]
pub struct HttpSpec {
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE` or `HEAD`.
    pub method: String,
    /// Absolute http(s) URL; may be a template.
    pub url: Template,
    /// Header names and values (values may be templates).
    pub headers: Vec<(String, Template)>,
    /// JSON body, if any.
    pub body: Option<Template>,
}
