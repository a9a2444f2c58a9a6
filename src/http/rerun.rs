//! `POST /v1/runs/{id}/rerun`: a new run of a finished one that reuses the outputs
//! of the steps before the one named (see `Engine::rerun`).

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{OptionalJson, Path, Query};
use super::runs::{WaitQuery, submission_response, wait_param};
use crate::auth::Principal;
use crate::domain::validation::Problems;
use crate::engine::{Submitted, escape_pointer};
use crate::store::RunId;

/// `POST /v1/runs/{id}/rerun?wait=` with `{"fromStep"?}` (or no body): `202` with
/// the new run, or `200` with it when it ended within the wait.
///
/// The new run has the source run's workflow, input and options. `fromStep`
/// (default: the first failed step in plan order) and every step depending on it
/// run again, as do steps that did not complete; every other completed step is
/// copied with its output and shows `reusedFrom`. The new run shows `rerunOf`.
#[utoipa::path(post, path = "/v1/runs/{id}/rerun", operation_id = "rerunRun", tag = "runs",
    params(("id" = String, Path, description = "The finished run to rerun."), WaitQuery),
    request_body(content = Option<super::openapi::bodies::RerunRequest>, description = "Optional."),
    responses(
        (status = 200, description = "The new run, which ended within the wait.", body = super::openapi::bodies::SubmitResult),
        (status = 202, description = "The new run goes on; poll `Location`.", body = super::openapi::bodies::Accepted,
            headers(("Location" = String, description = "The new run's URL.")),
            links(("GetRun" = (operation_id = "getRun", parameters(("id" = "$response.body#/runId")), description = "The new run.")))),
        (status = 409, description = "The run has not finished.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn rerun_run(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
    OptionalJson(body): OptionalJson<Value>,
) -> ApiResult<Response> {
    let run: RunId = id.parse().map_err(|_| ApiError::NotFound("run"))?;
    let wait = wait_param(&state, q.wait.as_deref(), Duration::ZERO)?;
    let from_step = parse_body(body.as_ref())?;
    match state
        .engine
        .rerun(&principal.tenant, run, from_step, wait)
        .await?
    {
        Submitted::Run {
            run_id,
            created,
            finished,
        } => Ok(submission_response(
            run_id,
            created,
            finished.map(|v| json!(v)),
            None,
        )),
        // A rerun copies its source's options without `dryRun`.
        Submitted::DryRun(plan) => {
            Ok(axum::Json(json!({"dryRun": true, "plan": plan})).into_response())
        }
    }
}

/// The optional `fromStep`; any other member is refused, so a typo does not rerun
/// from the default step unnoticed.
fn parse_body(body: Option<&Value>) -> ApiResult<Option<&str>> {
    // The body is optional, and the description allows a JSON `null` for it: the same
    // as no body.
    let Some(body) = body.filter(|b| !b.is_null()) else {
        return Ok(None);
    };
    let mut problems = Problems::new();
    let Some(obj) = body.as_object() else {
        problems.push("", "must be a JSON object");
        return Err(ApiError::Validation(problems));
    };
    for key in obj.keys().filter(|k| k.as_str() != "fromStep") {
        problems.push(
            format!("/{}", escape_pointer(key)),
            "is not a member of a rerun request",
        );
    }
    let from = match obj.get("fromStep") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.as_str()),
        Some(_) => {
            problems.push("/fromStep", "must be a step name");
            None
        }
    };
    if problems.is_empty() {
        Ok(from)
    } else {
        Err(ApiError::Validation(problems))
    }
}
