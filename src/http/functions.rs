//! `POST /v1/events` (send events that trigger functions and wake waiting steps) and
//! `GET /v1/functions` (the registered functions). Sent events are validated here;
//! admitting, de-duplicating and routing them is `Engine::send_events`.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::Json;
use super::sent_events::EventsAccepted;
use crate::auth::Principal;
use crate::domain::validation::Problems;
use crate::engine::{FunctionSpec, IncomingEvent};
use crate::store::NewEvent;

/// Events in one request, at most.
const MAX_BATCH: usize = 100;

fn parse_ts(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => n.as_i64().and_then(DateTime::from_timestamp_millis),
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
}

fn parse_one(
    v: &Value,
    pointer: &str,
    now: DateTime<Utc>,
    horizon: Duration,
    problems: &mut Problems,
) -> Option<IncomingEvent> {
    let Some(obj) = v.as_object() else {
        problems.push(pointer, "must be an object with `name` and `data`");
        return None;
    };
    let before = problems.as_slice().len();
    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("");
    if name.is_empty() || name.len() > 200 {
        problems.push(format!("{pointer}/name"), "is required: 1-200 characters");
    }
    let data = match obj.get("data") {
        Some(d @ Value::Object(_)) => d.clone(),
        _ => {
            problems.push(
                format!("{pointer}/data"),
                "is required and must be an object",
            );
            Value::Null
        }
    };
    let client_id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 200 => Some(s.clone()),
        Some(_) => {
            problems.push(
                format!("{pointer}/id"),
                "must be a string of 1-200 characters",
            );
            None
        }
    };
    let ts = match obj.get("ts") {
        None | Some(Value::Null) => None,
        Some(v) => match parse_ts(v) {
            Some(t)
                if t - now
                    > chrono::Duration::from_std(horizon).unwrap_or(chrono::Duration::MAX) =>
            {
                problems.push(
                    format!("{pointer}/ts"),
                    format!(
                        "lies more than {} ahead (engine.max_schedule_ahead)",
                        humantime::format_duration(horizon)
                    ),
                );
                None
            }
            Some(t) => Some(t),
            None => {
                problems.push(
                    format!("{pointer}/ts"),
                    "must be epoch milliseconds or an RFC 3339 time",
                );
                None
            }
        },
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "name" | "data" | "id" | "ts" | "v"))
    {
        problems.push(
            format!("{pointer}/{k}"),
            "unknown member; events have name, data, id, ts, v",
        );
    }
    if problems.as_slice().len() > before {
        return None;
    }
    Some(IncomingEvent {
        client_id,
        event: NewEvent {
            event_id: Uuid::now_v7(),
            event_type: name.to_string(),
            correlation_id: None,
            run_id: None,
            workflow: None,
            source: "api".into(),
            data,
            // A future `ts` delays the functions the event triggers.
            created_at: ts.filter(|t| *t > now).unwrap_or(now),
        },
    })
}

/// `POST /v1/events`: one event or a batch `{ name, data, id?, ts? }`. Answers `202`
/// with the events' ids (a repeated client `id` within a day is a duplicate and
/// triggers nothing) and the runs they started.
#[utoipa::path(post, path = "/v1/events", operation_id = "postEvents", tag = "events",
    request_body(description = "One event, or a batch of 1-100.", content = super::openapi::event_side::IncomingEvents),
    responses(
        (status = 202, description = "The events' receipts, the runs they started and the functions that skipped them.", body = EventsAccepted),
        (status = 429, description = "The runs the batch would start do not fit the queue (or the tenant's share): nothing was stored; with `Retry-After`.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn send(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let now = state.engine.clock().now();
    let mut problems = Problems::new();
    let items: Vec<(String, &Value)> = match &body {
        Value::Array(a) if a.is_empty() || a.len() > MAX_BATCH => {
            problems.push("", format!("must hold 1-{MAX_BATCH} events"));
            Vec::new()
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("/{i}"), v))
            .collect(),
        v => vec![(String::new(), v)],
    };
    let horizon = state.settings.engine.max_schedule_ahead;
    let incoming: Vec<IncomingEvent> = items
        .iter()
        .filter_map(|(p, v)| parse_one(v, p, now, horizon, &mut problems))
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let sent = state
        .engine
        .send_events(&principal.tenant, incoming)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(EventsAccepted::from(&sent)),
    )
        .into_response())
}

/// A registered event function as `GET /v1/functions` shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Function)]
pub struct FunctionView {
    /// The function's name (its workflow's).
    name: String,
    /// Its workflow's steps in definition order.
    steps: Vec<String>,
    /// True for careflow's own functions, false for the tenant's own workflows'
    /// triggers.
    built_in: bool,
    /// Trigger, cancellation and limits.
    #[serde(flatten)]
    spec: FunctionSpec,
}

/// `GET /v1/functions`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FunctionList {
    /// The built-in event functions, then the calling tenant's own triggers.
    functions: Vec<FunctionView>,
}

/// `GET /v1/functions`: the built-in event functions and the calling tenant's own
/// workflows' triggers (no other tenant's), with their policies and steps.
#[utoipa::path(get, path = "/v1/functions", operation_id = "getFunctions", tag = "functions",
    responses((status = 200, description = "The built-in functions and the tenant's own triggers: trigger, cancelOn, concurrency, idempotency, debounce, rateLimit, throttle and steps.", body = FunctionList)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<FunctionList>> {
    let registry = state.engine.registry();
    let mut functions: Vec<FunctionView> = registry
        .functions()
        .iter()
        .map(|f| FunctionView {
            name: f.workflow.clone(),
            steps: registry
                .get(&f.workflow)
                .map(|d| d.step_names().map(String::from).collect())
                .unwrap_or_default(),
            built_in: true,
            spec: f.clone(),
        })
        .collect();
    for f in state.engine.tenant_functions(&principal.tenant).await? {
        let steps = state
            .engine
            .definition(&principal.tenant, &f.workflow, None)
            .await?
            .map(|d| d.step_names().map(String::from).collect())
            .unwrap_or_default();
        functions.push(FunctionView {
            name: f.workflow.clone(),
            steps,
            built_in: false,
            spec: f,
        });
    }
    Ok(Json(FunctionList { functions }))
}
