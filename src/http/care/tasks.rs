//! `POST /v1/tasks` (a task created by staff: stored, then announced with
//! `task/created` in the same transaction, which starts `assign-task` and
//! `monitor-sla`), `GET /v1/tasks`, `GET /v1/tasks/{id}`, and
//! `POST /v1/tasks/{id}/resolve` (announced with `task/resolved`, which cancels the
//! task's SLA monitor).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::task_view::{ResolvedTask, Task, TaskPage, TaskStatus};
use super::{one_of, optional_text, page_limit, query_id, required_text, unknown_members};
use crate::auth::Principal;
use crate::config::SEVERITIES;
use crate::domain::care::notify::{PRIORITIES, priority_for};
use crate::domain::casing::{accepted, stored_value};
use crate::domain::validation::Problems;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, OptionalJson, Path, Query};
use crate::store::{NewTask, TaskFilter};
use crate::workflows::care::tasks;

/// Task statuses, as stored (the API spells them lower-case, see `domain::casing`).
const STATUSES: [&str; 3] = ["OPEN", "ASSIGNED", "RESOLVED"];

fn task_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound("task"))
}

/// `POST /v1/tasks`: `{patientId, title, description?, severity?, priority?,
/// slaMinutes?}`; answers `201` with the task.
#[utoipa::path(post, path = "/v1/tasks", operation_id = "postTasks", tag = "tasks",
    request_body = crate::http::openapi::care_requests::NewTask,
    responses((status = 201, description = "The task; `task/created` is announced, which starts `assign-task` and `monitor-sla`.", body = Task,
        headers(("Location" = String, description = "The task's URL.")))))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let now = state.engine.clock().now();
    let mut p = Problems::new();
    let Some(obj) = body.as_object() else {
        p.push("", "must be a JSON object");
        return Err(ApiError::Validation(p));
    };
    unknown_members(
        obj,
        &[
            "patientId",
            "title",
            "description",
            "severity",
            "priority",
            "slaMinutes",
        ],
        &mut p,
    );
    let patient_id = required_text(obj, "patientId", 200, &mut p);
    let title = required_text(obj, "title", 200, &mut p);
    let description = optional_text(obj, "description", 2000, &mut p);
    let severity = match obj.get("severity") {
        None | Some(Value::Null) => "LOW".to_string(),
        Some(Value::String(s)) if stored_value(s, &SEVERITIES).is_some() => {
            stored_value(s, &SEVERITIES).unwrap_or("LOW").to_string()
        }
        Some(_) => {
            p.push(
                "/severity",
                format!("must be one of {}", accepted(&SEVERITIES)),
            );
            "LOW".to_string()
        }
    };
    let priority = match obj.get("priority") {
        None | Some(Value::Null) => priority_for(&severity).to_string(),
        Some(Value::String(s)) if PRIORITIES.contains(&s.as_str()) => s.clone(),
        Some(_) => {
            p.push(
                "/priority",
                format!("must be one of {}", PRIORITIES.join(", ")),
            );
            String::new()
        }
    };
    let sla_minutes = match obj.get("slaMinutes") {
        None | Some(Value::Null) => state.settings.care.sla_minutes.for_severity(&severity),
        Some(v) => match v.as_u64().filter(|n| (1..=43_200).contains(n)) {
            Some(n) => u32::try_from(n).unwrap_or(1),
            None => {
                p.push(
                    "/slaMinutes",
                    "must be a whole number of minutes from 1 to 43200",
                );
                1
            }
        },
    };
    if !p.is_empty() {
        return Err(ApiError::Validation(p));
    }
    let task = NewTask {
        tenant_id: principal.tenant.clone(),
        task_id: Uuid::now_v7(),
        patient_id,
        title,
        description,
        priority,
        severity,
        sla_minutes: i32::try_from(sla_minutes).unwrap_or(i32::MAX),
        origin: "api".into(),
        origin_key: None,
        interaction_id: None,
        created_at: now,
    };
    let row = tasks::create_task(state.store.as_ref(), &task).await?;
    let location = format!("/v1/tasks/{}", row.task_id);
    let mut response = (StatusCode::CREATED, axum::Json(Task::of(&row, now)?)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// Query of `GET /v1/tasks`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskQuery {
    status: Option<String>,
    assignee_id: Option<String>,
    patient_id: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /v1/tasks?status=&assigneeId=&patientId=&limit=&cursor=`: newest first.
#[utoipa::path(get, path = "/v1/tasks", operation_id = "getTasks", tag = "tasks",
    params(
        ("status" = Option<TaskStatus>, Query, description = "Only tasks in this status."),
        ("assigneeId" = Option<Uuid>, Query, description = "Only tasks this nurse holds."),
        ("patientId" = Option<String>, Query, description = "Only tasks about this patient."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "Page size, default 50."),
        ("cursor" = Option<Uuid>, Query, description = "`nextCursor` of the previous page.")),
    responses((status = 200, description = "A page of tasks, newest first.", body = TaskPage)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<TaskQuery>,
) -> ApiResult<Json<TaskPage>> {
    let mut p = Problems::new();
    let filter = TaskFilter {
        status: one_of(q.status.as_deref(), &STATUSES, "/query/status", &mut p),
        assignee_id: query_id(q.assignee_id.as_deref(), "/query/assigneeId", &mut p),
        patient_id: q.patient_id.clone().filter(|s| !s.is_empty()),
        before: query_id(q.cursor.as_deref(), "/query/cursor", &mut p),
        limit: page_limit(q.limit.as_deref(), &mut p),
    };
    if !p.is_empty() {
        return Err(ApiError::Validation(p));
    }
    let rows = state.store.list_tasks(&principal.tenant, &filter).await?;
    let now = state.engine.clock().now();
    let next = (rows.len() as i64 == filter.limit)
        .then(|| rows.last().map(|t| t.task_id))
        .flatten();
    let tasks = rows
        .iter()
        .map(|t| Task::of(t, now))
        .collect::<Result<_, _>>()?;
    Ok(Json(TaskPage {
        tasks,
        next_cursor: next,
    }))
}

/// `GET /v1/tasks/{id}`.
#[utoipa::path(get, path = "/v1/tasks/{id}", operation_id = "getTasksId", tag = "tasks",
    params(("id" = Uuid, Path, description = "The task's id.")),
    responses((status = 200, description = "The task with its SLA timetable.", body = Task)))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Task>> {
    let row = state
        .store
        .get_task(&principal.tenant, task_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound("task"))?;
    Ok(Json(Task::of(&row, state.engine.clock().now())?))
}

/// `POST /v1/tasks/{id}/resolve` with an optional `{resolution}`: resolves the task
/// and announces `task/resolved`; resolving a resolved task changes nothing.
#[utoipa::path(post, path = "/v1/tasks/{id}/resolve", operation_id = "postTasksIdResolve", tag = "tasks",
    params(("id" = Uuid, Path, description = "The task's id.")),
    request_body(content = Option<crate::http::openapi::care_requests::ResolveTask>, description = "Optional: how the task was resolved."),
    responses((status = 200, description = "The resolved task; `task/resolved` is announced, which cancels its SLA monitor. Resolving it again changes nothing.", body = ResolvedTask)))]
pub async fn resolve(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<Value>,
) -> ApiResult<Json<ResolvedTask>> {
    let id = task_id(&id)?;
    let mut p = Problems::new();
    let resolution = match body {
        None => None,
        Some(Value::Object(obj)) => {
            unknown_members(&obj, &["resolution"], &mut p);
            optional_text(&obj, "resolution", 2000, &mut p)
        }
        Some(_) => {
            p.push(
                "",
                "must be empty or a JSON object such as {\"resolution\": \"...\"}",
            );
            None
        }
    };
    if !p.is_empty() {
        return Err(ApiError::Validation(p));
    }
    let now = state.engine.clock().now();
    let (row, resolved) = tasks::resolve_task(
        state.store.as_ref(),
        &principal.tenant,
        id,
        resolution.as_deref(),
        now,
    )
    .await?
    .ok_or(ApiError::NotFound("task"))?;
    Ok(Json(ResolvedTask {
        task: Task::of(&row, now)?,
        resolved_now: resolved,
    }))
}
