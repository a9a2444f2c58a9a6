//! `GET /v1/runs`: a tenant's runs, newest first, filtered by workflow, status (any
//! casing), correlation id, submission time and priority, paged by cursor.

use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use crate::auth::Principal;
use crate::domain::validation::Problems;
use crate::engine::Priority;
use crate::store::{RunFilter, RunId, RunStatus};

/// Largest page of runs.
const MAX_PAGE: i64 = 100;

/// Query of `GET /v1/runs`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only runs of this workflow.
    workflow: Option<String>,
    /// Only runs in this status (any casing).
    #[param(value_type = Option<RunStatus>)]
    status: Option<String>,
    /// Only runs with this correlation id.
    correlation_id: Option<String>,
    /// Only runs submitted at or after this time (RFC 3339).
    #[param(format = DateTime)]
    created_from: Option<String>,
    /// Only runs submitted before this time (RFC 3339).
    #[param(format = DateTime)]
    created_until: Option<String>,
    /// Only runs of this priority (1-9).
    #[param(value_type = Option<i16>, minimum = 1, maximum = 9)]
    priority: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<i64>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
}

/// An RFC 3339 time from the query, or a problem at `pointer`.
fn query_time(
    raw: Option<&str>,
    pointer: &str,
    problems: &mut Problems,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let raw = raw.filter(|r| !r.is_empty())?;
    match chrono::DateTime::parse_from_rfc3339(raw) {
        Ok(t) => Some(t.to_utc()),
        Err(_) => {
            problems.push(pointer, "must be an RFC 3339 time");
            None
        }
    }
}

/// `GET /v1/runs?workflow=&status=&correlationId=&createdFrom=&createdUntil=&priority=&limit=&cursor=`:
/// newest first.
#[utoipa::path(get, path = "/v1/runs", operation_id = "listRuns", tag = "runs",
    params(ListQuery),
    responses((status = 200, description = "A page of runs, newest first.", body = super::openapi::bodies::RunPage)))]
pub async fn list_runs(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let mut problems = Problems::new();
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        // Statuses are lower-case; any casing is accepted.
        Some(s) => match s.to_ascii_lowercase().parse::<RunStatus>() {
            Ok(s) => Some(s),
            Err(_) => {
                problems.push(
                    "/query/status",
                    "must be one of queued, running, sleeping, waiting, completed, failed, cancelled",
                );
                None
            }
        },
    };
    let limit = q.limit.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&limit) {
        problems.push("/query/limit", format!("must be between 1 and {MAX_PAGE}"));
    }
    let before = match q.cursor.as_deref() {
        None => None,
        Some(c) => match c.parse::<RunId>() {
            Ok(r) => Some(r),
            Err(_) => {
                problems.push("/query/cursor", "is not a cursor this API returned");
                None
            }
        },
    };
    let created_from = query_time(
        q.created_from.as_deref(),
        "/query/createdFrom",
        &mut problems,
    );
    let created_until = query_time(
        q.created_until.as_deref(),
        "/query/createdUntil",
        &mut problems,
    );
    // Read as text, so a bad value is listed with the other problems.
    let priority = match q.priority.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(raw) => match raw.parse::<i64>().ok().and_then(Priority::new) {
            Some(p) => Some(p.get()),
            None => {
                problems.push(
                    "/query/priority",
                    format!(
                        "must be an integer from {} to {}",
                        Priority::MIN,
                        Priority::MAX
                    ),
                );
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let filter = RunFilter {
        workflow: q.workflow.filter(|w| !w.is_empty()),
        status,
        before,
        correlation_id: q.correlation_id.filter(|c| !c.is_empty()),
        created_from,
        created_until,
        priority,
        limit,
        ..RunFilter::default()
    };
    let runs = state.engine.list(&principal.tenant, &filter).await?;
    let next = (runs.len() as i64 == limit)
        .then(|| runs.last().map(|r| r.run_id.to_string()))
        .flatten();
    Ok(Json(json!({"runs": runs, "nextCursor": next})))
}
