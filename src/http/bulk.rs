//! `POST /v1/runs/cancel` and `POST /v1/runs/retry`: cancel or retry every run of
//! the caller's tenant that matches a filter, bounded per call.

use axum::extract::State;
use serde_json::{Map, Value};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::Json;
use crate::auth::Principal;
use crate::domain::validation::Problems;
use crate::engine::{BulkFilter, BulkOutcome, CANCELLABLE, RETRYABLE};
use crate::store::RunStatus;

/// Runs one call may touch, and the default.
const MAX_LIMIT: i64 = 1000;

/// `POST /v1/runs/cancel`: `{workflow?, status?, submittedAfter?, submittedBefore?,
/// correlationId?, limit?}`, at least one criterion.
#[utoipa::path(post, path = "/v1/runs/cancel", operation_id = "cancelRuns", tag = "runs",
    request_body = super::openapi::bodies::BulkFilter,
    responses((status = 200, description = "What the call did; `more` when more runs match than it took.", body = BulkOutcome)))]
pub async fn cancel(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<Json<BulkOutcome>> {
    let filter = parse(&state, &body, &CANCELLABLE)?;
    Ok(Json(
        state
            .engine
            .cancel_matching(&principal.tenant, &filter)
            .await?,
    ))
}

/// `POST /v1/runs/retry`: the same filter, for failed or cancelled runs.
#[utoipa::path(post, path = "/v1/runs/retry", operation_id = "retryRuns", tag = "runs",
    request_body = super::openapi::bodies::BulkFilter,
    responses((status = 200, description = "What the call did; `more` when more runs match than it took.", body = BulkOutcome)))]
pub async fn retry(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<Json<BulkOutcome>> {
    let filter = parse(&state, &body, &RETRYABLE)?;
    Ok(Json(
        state
            .engine
            .retry_matching(&principal.tenant, &filter)
            .await?,
    ))
}

/// The filter, with every problem listed: unknown members (a mistyped criterion
/// would otherwise widen the action), bad values, no criterion at all, a status
/// the action does not apply to.
fn parse(state: &AppState, body: &Value, applies: &[RunStatus]) -> ApiResult<BulkFilter> {
    let mut p = Problems::new();
    let empty = Map::new();
    let obj = match body.as_object() {
        Some(o) => o,
        None => {
            p.push("", "must be a JSON object");
            &empty
        }
    };
    const KNOWN: [&str; 6] = [
        "workflow",
        "status",
        "submittedAfter",
        "submittedBefore",
        "correlationId",
        "limit",
    ];
    for key in obj.keys().filter(|k| !KNOWN.contains(&k.as_str())) {
        p.push(
            format!("/{}", crate::engine::escape_pointer(key)),
            "unknown member",
        );
    }
    let text = |name: &str, p: &mut Problems| -> Option<String> {
        match obj.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 200 => Some(s.clone()),
            Some(_) => {
                p.push(format!("/{name}"), "must be a string of 1-200 characters");
                None
            }
        }
    };
    let workflow = text("workflow", &mut p);
    if let Some(w) = &workflow
        && state.engine.registry().get(w).is_none()
    {
        p.push("/workflow", "no workflow of that name");
    }
    let correlation_id = text("correlationId", &mut p);
    let names: Vec<&str> = applies.iter().map(|s| s.as_str()).collect();
    let status = text("status", &mut p).and_then(|s| match s.parse::<RunStatus>() {
        Ok(st) if applies.contains(&st) => Some(st),
        _ => {
            p.push("/status", format!("must be one of {}", names.join(", ")));
            None
        }
    });
    let time = |name: &str, p: &mut Problems| {
        text(name, p).and_then(|s| match chrono::DateTime::parse_from_rfc3339(&s) {
            Ok(t) => Some(t.to_utc()),
            Err(_) => {
                p.push(format!("/{name}"), "must be an RFC 3339 time");
                None
            }
        })
    };
    let submitted_after = time("submittedAfter", &mut p);
    let submitted_before = time("submittedBefore", &mut p);
    if let (Some(a), Some(b)) = (submitted_after, submitted_before)
        && a >= b
    {
        p.push("/submittedBefore", "must be later than submittedAfter");
    }
    let limit = match obj.get("limit") {
        None | Some(Value::Null) => MAX_LIMIT,
        Some(v) => match v.as_i64() {
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                p.push(
                    "/limit",
                    format!("must be an integer from 1 to {MAX_LIMIT}"),
                );
                MAX_LIMIT
            }
        },
    };
    let criteria = [
        "workflow",
        "status",
        "submittedAfter",
        "submittedBefore",
        "correlationId",
    ];
    if body.is_object()
        && !criteria
            .iter()
            .any(|c| obj.get(*c).is_some_and(|v| !v.is_null()))
    {
        p.push(
            "",
            "name at least one of workflow, status, submittedAfter, submittedBefore, correlationId",
        );
    }
    if !p.is_empty() {
        return Err(ApiError::Validation(p));
    }
    Ok(BulkFilter {
        workflow,
        status,
        submitted_after,
        submitted_before,
        correlation_id,
        limit,
    })
}
