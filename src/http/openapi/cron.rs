//! The cron-schedule operations: workflow runs or events fired at every tick of a
//! cron expression.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// `POST /v1/cron-schedules` and `PUT /v1/cron-schedules/{id}`: the handler reads
/// it as JSON and validates every member, listing each problem.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCronSchedule {
    /// Unique in the tenant.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// What each tick starts.
    pub target: CronTargetBody,
    /// Cron expression: 5 fields (minute hour day-of-month month day-of-week), or
    /// 6 with seconds first; `L`, `W` and `#` are understood.
    #[schema(example = "0 7 * * MON-FRI")]
    pub expression: String,
    /// IANA time zone the expression is read in (default `UTC`); daylight-saving
    /// changes follow the zone.
    #[schema(example = "America/New_York")]
    pub time_zone: Option<String>,
    /// Default `skip`.
    pub overlap: Option<CronOverlap>,
    /// Default `skip`.
    pub catch_up: Option<CronCatchUp>,
    /// Create it paused (default false).
    pub paused: Option<bool>,
}

/// What a tick starts: exactly one of `workflow` (with `input`) and `event` (with
/// `data`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronTargetBody {
    /// A registered workflow (`GET /v1/workflows`).
    pub workflow: Option<String>,
    /// The run's input (default `{}`).
    pub input: Option<Value>,
    /// An event name; the event triggers functions and wakes waits like
    /// `POST /v1/events`.
    pub event: Option<String>,
    /// The event's data (default `{}`); the emitted event's data is
    /// `{schedule, tick, data}`.
    pub data: Option<Value>,
}

/// While the previous run of the schedule is unfinished, a tick starts nothing
/// (`skip`), starts a run that waits its turn (`queue`), or starts one at once
/// (`allow`). Workflow targets only.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CronOverlap {
    /// Start nothing.
    Skip,
    /// Start a run that waits its turn.
    Queue,
    /// Start a run at once.
    Allow,
}

/// Ticks missed while no replica ran (later than `engine.cron_grace`): dropped
/// (`skip`) or fired once for all (`run_once`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CronCatchUp {
    /// Drop them.
    Skip,
    /// Fire once for all.
    RunOnce,
}

/// What the last tick did.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CronOutcome {
    /// It started a run.
    Started,
    /// It emitted an event.
    Emitted,
    /// The previous run was unfinished and `overlap` is `skip`.
    SkippedOverlap,
    /// It was missed and `catchUp` is `skip`.
    SkippedMissed,
    /// Starting the run or emitting the event failed.
    Failed,
}
