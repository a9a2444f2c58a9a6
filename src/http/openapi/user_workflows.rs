//! The tenant-workflow operations: define a workflow (each `PUT` stores the next
//! version), read it and its versions. The definition's schemas mirror what
//! `domain::user_workflow::parse` accepts; the handler reads the body as JSON and
//! lists every problem it finds.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// `PUT /v1/workflows/{name}`: a tenant's workflow. Every problem is answered at
/// once (422) with its pointer: unknown fields, bad names, kinds, durations and
/// URLs, unknown dependencies, cycles, references to steps a step does not depend
/// on, expressions or templates that do not compile. A step's inputs may use
/// `{"$ref": "/input/..."}` or `{"$ref": "/steps/<dependency>/..."}` (JSON pointers
/// into `{input, steps}`), `{"$expr": "<minijinja expression>"}`, or strings with
/// `{{ ... }}` templates; names undefined when the step runs fail it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserWorkflowDefinition {
    /// What it is for, shown in listings.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// The steps; names are unique, dependencies name other steps and form no cycle.
    #[schema(min_items = 1, max_items = 100)]
    pub steps: Vec<UserWorkflowStep>,
    /// Events that start a run, applied by the same router as the built-in event
    /// functions, to the tenant's own events only, with the workflow's version
    /// current when the event is routed. The run's input is
    /// `{event: {name, data, id, ts}}`. Required when any of the options below is
    /// given.
    #[schema(max_items = 10)]
    pub triggers: Option<Vec<TriggerSpec>>,
    /// Later events that cancel runs a trigger started.
    #[schema(max_items = 10)]
    pub cancel_on: Option<Vec<CancelOnSpec>>,
    /// At most `limit` runs per key value execute at once.
    pub concurrency: Option<ConcurrencySpec>,
    /// Dotted path into the event (`data.orderId`): at most one run per value per
    /// 24 hours.
    #[schema(min_length = 1, max_length = 200)]
    pub idempotency: Option<String>,
    /// Start only after a quiet period; the run gets the latest event.
    pub debounce: Option<DebounceSpec>,
    /// At most `limit` runs per `period` (1s to 24h) per key; further events start
    /// nothing (the event's functions list them as skipped, reason `rate_limit`).
    pub rate_limit: Option<LimitSpec>,
    /// At most `limit` run starts per `period` (1s to 7 days) per key; further runs
    /// wait their turn instead of being dropped.
    pub throttle: Option<LimitSpec>,
}

/// One step. Besides `name`, `kind`, `dependsOn` and `policy`, each kind takes its
/// own fields and no others: `http`: `request`; `sleep`: `duration`;
/// `sleep_until`: `until`; `wait_for_event`: `event`, `timeout`, `match?`; `emit`:
/// `event`, `data?`; `invoke`: `workflow`, `input?`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserWorkflowStep {
    /// Unique within the workflow.
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    pub name: String,
    /// What the step does.
    pub kind: UserStepKind,
    /// Steps that must complete first; their outputs are readable under `steps`.
    pub depends_on: Option<Vec<String>>,
    /// Retries, backoff, timeout, criticality; what is left out takes the engine's
    /// defaults.
    pub policy: Option<StepPolicy>,
    /// `http`: the request, sent through the outbound guard and the destination's
    /// breaker with the step's idempotency key. Output
    /// `{status, headers, body, bodySize, truncated}`.
    pub request: Option<HttpStepRequest>,
    /// `sleep`: how long, such as `30s` or `2h`.
    pub duration: Option<String>,
    /// `sleep_until`: the time (RFC 3339), usually a reference into the input.
    pub until: Option<Value>,
    /// `wait_for_event` and `emit`: the event's name (1-200 characters).
    #[schema(min_length = 1, max_length = 200)]
    pub event: Option<String>,
    /// `wait_for_event`: only events whose value at `path` equals `value` count.
    #[serde(rename = "match")]
    pub matching: Option<ValueMatch>,
    /// `wait_for_event`: how long to wait; the output is the event, or `null` on
    /// timeout.
    pub timeout: Option<String>,
    /// `emit`: the event's data (committed with the step's outcome).
    pub data: Option<Value>,
    /// `invoke`: the workflow to run as a child run (compiled in, or the tenant's
    /// own, not this one); the step's output is the child's step outputs.
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    pub workflow: Option<String>,
    /// `invoke`: the child run's input.
    pub input: Option<Value>,
}

/// The kinds of step, in the API's snake_case. `sleepUntil` and `waitForEvent`
/// are also accepted for the two kinds of two words (not listed: the description
/// lists each value once, in one casing).
#[derive(Serialize, ToSchema)]
pub enum UserStepKind {
    /// An HTTP request.
    #[serde(rename = "http")]
    Http,
    /// A durable pause of a fixed length.
    #[serde(rename = "sleep")]
    Sleep,
    /// A durable pause until a time.
    #[serde(rename = "sleep_until")]
    SleepUntil,
    /// A durable wait for an event.
    #[serde(rename = "wait_for_event")]
    WaitForEvent,
    /// Publishes an event.
    #[serde(rename = "emit")]
    Emit,
    /// Runs another workflow as a child run.
    #[serde(rename = "invoke")]
    Invoke,
}

/// A step's policy.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepPolicy {
    /// Attempts after the first one.
    #[schema(minimum = 0, maximum = 20)]
    pub retries: Option<u32>,
    /// The first delay before a retry (later ones double), such as `500ms`.
    pub backoff: Option<String>,
    /// The limit of one attempt, such as `30s`.
    pub timeout: Option<String>,
    /// A critical failure fails the run; a non-critical one is a warning and the
    /// steps depending on it are skipped.
    #[schema(default = true)]
    pub critical: Option<bool>,
}

/// The request of an `http` step.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpStepRequest {
    /// Default `GET` (any casing is accepted).
    pub method: Option<StepHttpMethod>,
    /// Absolute http or https URL, or a template that gives one.
    pub url: String,
    /// Header names and values (values may be templates).
    pub headers: Option<std::collections::BTreeMap<String, String>>,
    /// The JSON body, if any (may hold references and templates).
    pub body: Option<Value>,
}

/// The methods an `http` step may use.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum StepHttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
    /// HEAD.
    Head,
}

/// Matches an event whose value at the dotted `path` (`data.orderId`) equals
/// `value`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueMatch {
    /// Dotted path into the event.
    #[schema(min_length = 1, max_length = 200)]
    pub path: String,
    /// The value it must equal; in a step, may be a reference or template.
    pub value: Value,
}

/// An event that starts a run.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerSpec {
    /// The event's name.
    #[schema(min_length = 1, max_length = 200)]
    pub event: String,
    /// Only events matching this start a run.
    #[serde(rename = "match")]
    pub matching: Option<ValueMatch>,
}

/// A later event with the same `data.<field>` as the triggering one cancels the run.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelOnSpec {
    /// The cancelling event's name.
    #[schema(min_length = 1, max_length = 200)]
    pub event: String,
    /// The `data` field both events carry, such as `orderId`.
    #[schema(min_length = 1, max_length = 200)]
    pub field: String,
}

/// At most `limit` runs per value of the dotted `key` path execute at once.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcurrencySpec {
    /// Runs at once per key value.
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: u32,
    /// Dotted path into the event.
    #[schema(min_length = 1, max_length = 200)]
    pub key: String,
}

/// Start only after `period` without another event of the same `key` value.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DebounceSpec {
    /// The quiet period, such as `30s`.
    pub period: String,
    /// Dotted path into the event; one key for all events when absent.
    #[schema(min_length = 1, max_length = 200)]
    pub key: Option<String>,
}

/// A rate limit or throttle: `limit` per `period`, per value of `key`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitSpec {
    /// Runs (or starts) per period.
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: u32,
    /// A duration from 1s, such as `30s` or `5m` (at most 24h for `rateLimit`, 7
    /// days for `throttle`).
    pub period: String,
    /// Dotted path into the event starting with `data`, `name`, `id` or `ts`
    /// (`data.patientId`); one key for all events when absent.
    #[schema(pattern = "^(data|name|id|ts)(\\.[A-Za-z0-9_-]+)*$", max_length = 200)]
    pub key: Option<String>,
}
