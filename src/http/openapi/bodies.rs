//! Schemas of the request and answer bodies that handlers read or build as JSON
//! values rather than as typed structs. Each mirrors one handler's `json!` shape;
//! the API tests validate every answer against the description, so a shape that
//! drifts from its handler fails there.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::engine::RunView;
use crate::events::EventView;
use crate::providers::resilience::EndpointStatus;
use crate::store::{RunId, RunStatus};

// The body as the client writes it; the engine's `Submission` is what the handler
// makes of it. (Doc comments here are the schema's description.)
/// `POST /v1/workflows/{name}/runs`: a submission of a run.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Submission)]
pub struct SubmissionBody {
    /// The workflow's input; each workflow validates its own.
    pub input: Option<Value>,
    /// Steps to enable or disable by name (`{"scheduleCall": false}`); the others
    /// keep their defaults.
    pub steps: Option<std::collections::BTreeMap<String, bool>>,
    /// How to run the plan.
    pub options: Option<RunOptionsBody>,
    /// Correlates the run with the caller's business transaction.
    #[schema(min_length = 1, max_length = 200)]
    pub correlation_id: Option<String>,
    /// Claims take higher priorities first; within a priority, tenants take turns.
    /// 1 (lowest) to 9 (highest); 5 when absent or `null`.
    #[schema(minimum = 1, maximum = 9, default = 5)]
    pub priority: Option<i16>,
}

/// How a submission runs its plan.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = RunOptions)]
pub struct RunOptionsBody {
    /// Start every ready step at once (default) or one at a time.
    pub parallel: Option<bool>,
    /// End the run at the first failed step, critical or not.
    pub stop_on_error: Option<bool>,
    /// Answer with the plan and run nothing.
    pub dry_run: Option<bool>,
}

/// `200` of a submission: the finished run, or the plan of a dry run.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum SubmitResult {
    /// The run ended within the wait.
    Run(Box<RunView>),
    /// `options.dryRun` was set.
    DryRun(DryRun),
}

/// `202 Accepted` of a submission: the run goes on; poll `location`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    /// The run.
    pub run_id: RunId,
    /// Where the run is now.
    pub status: RunStatus,
    /// False when an `Idempotency-Key` named an earlier submission.
    pub created: bool,
    /// The run's URL, also in the `Location` header.
    #[schema(example = "/v1/runs/0190c6f2-5d1e-7c3a-9a53-1f0e8d2b4c11")]
    pub location: String,
}

/// `200` of a dry run: the plan, and nothing run.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DryRun {
    /// Always true.
    pub dry_run: bool,
    /// Which steps would run, in order, and which would be skipped and why.
    pub plan: Value,
}

/// A step of a registered workflow.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowStep {
    /// Name.
    pub name: String,
    /// Steps that must complete first.
    pub depends_on: Vec<String>,
    /// A critical step's failure fails the run.
    pub critical: bool,
    /// The step's kind, for a tenant's own workflow (`http`, `sleep`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A registered workflow: a built-in one or the tenant's own.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    /// Name, as in `POST /v1/workflows/{name}/runs`.
    pub name: String,
    /// Version new runs get.
    pub version: i32,
    /// Steps in definition order.
    pub steps: Vec<WorkflowStep>,
    /// The caller's tenant paused it.
    pub paused: bool,
    /// Compiled into careflow (`true`) or defined by the tenant (`false`).
    pub built_in: bool,
    /// A tenant's workflow: its description, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A tenant's workflow: when this version was stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

/// `GET /v1/workflows`.
#[derive(Serialize, ToSchema)]
pub struct WorkflowList {
    /// Every registered workflow.
    pub workflows: Vec<Workflow>,
}

/// `POST /v1/workflows/{name}/pause` and `/resume`.
#[derive(Serialize, ToSchema)]
pub struct WorkflowPause {
    /// The workflow.
    pub name: String,
    /// Whether the caller's tenant now holds its new runs.
    pub paused: bool,
}

/// `GET /v1/runs`: a page of runs, newest first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunPage {
    /// The runs.
    pub runs: Vec<RunView>,
    /// `cursor` of the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// `GET /v1/events`: stored events in commit order.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    /// The events.
    pub events: Vec<EventView>,
    /// `after` of the next page (the last event's `id`); `null` when empty.
    pub next_after: Option<String>,
}

/// The `data` of an SSE message (`id:` is the event's `id`, `event:` its
/// `eventType` unless `named=false`). When the client reads too slowly, one
/// message of type `lagged` says how many events it lost and where to resume.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum StreamMessage {
    /// An event.
    Event(Box<EventView>),
    /// The client's buffer overflowed.
    Lagged(Lagged),
}

/// Events a slow stream client lost.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Lagged {
    /// Always `lagged`.
    #[schema(pattern = "^lagged$")]
    pub event_type: String,
    /// How many events were dropped.
    pub missed: u64,
    /// The `Last-Event-ID` to reconnect with to read them from the table.
    pub resume_from: String,
}

/// `GET /v1/providers`.
#[derive(Serialize, ToSchema)]
pub struct ProviderList {
    /// The breakers the caller's tenant may see.
    pub providers: Vec<EndpointStatus>,
}

/// The caller's unfinished runs by status.
#[derive(Serialize, ToSchema)]
pub struct TenantRuns {
    /// Waiting for a replica.
    pub queued: i64,
    /// Being executed.
    pub running: i64,
    /// Parked on a timer.
    pub sleeping: i64,
    /// Parked on an event.
    pub waiting: i64,
}

/// `GET /v1/queue`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    /// Runs queued, all tenants.
    pub depth: i64,
    /// The backlog past which submissions answer `429`.
    pub max_queued_runs: i64,
    /// Submission time of the oldest queued run.
    pub oldest_queued_at: Option<DateTime<Utc>>,
    /// Its age, in milliseconds.
    pub oldest_age_ms: Option<i64>,
    /// The caller's runs.
    pub tenant_runs: TenantRuns,
}

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(pattern = "^ok$")]
    pub status: String,
}

/// `GET /readyz`.
#[derive(Serialize, ToSchema)]
pub struct Ready {
    /// Always `ready`.
    #[schema(pattern = "^ready$")]
    pub status: String,
    /// `postgres` or `sqlite`.
    pub database: String,
}

/// `POST /v1/runs/{id}/rerun`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct RerunRequest {
    /// The step to run again with its dependants.
    #[schema(min_length = 1)]
    pub from_step: Option<String>,
}

/// `POST /v1/runs/cancel` and `/retry`: which runs, at least one criterion.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct BulkFilter {
    /// Runs of this workflow.
    #[schema(min_length = 1, max_length = 200)]
    pub workflow: Option<String>,
    /// cancel: queued, running, sleeping or waiting; retry: failed or cancelled.
    pub status: Option<RunStatus>,
    /// Submitted at or after (RFC 3339).
    pub submitted_after: Option<DateTime<Utc>>,
    /// Submitted before (RFC 3339).
    pub submitted_before: Option<DateTime<Utc>>,
    /// Runs with this correlation id.
    #[schema(min_length = 1, max_length = 200)]
    pub correlation_id: Option<String>,
    /// Runs one call may touch.
    #[schema(minimum = 1, maximum = 1000, default = 1000)]
    pub limit: Option<i64>,
}
