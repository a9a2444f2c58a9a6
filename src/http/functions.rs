//! `POST /v1/events` (send events that trigger functions and wake waiting steps) and
//! `GET /v1/functions` (the registered functions).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::Json;
use crate::auth::Principal;
use crate::domain::validation::Problems;
use crate::engine::{ROUTER_LEASE, trigger_key};
use crate::store::NewEvent;

/// Events in one request, at most.
const MAX_BATCH: usize = 100;
/// How long the answer waits for the router to start the triggered runs.
const ROUTING_WAIT: Duration = Duration::from_secs(5);

struct Incoming {
    client_id: Option<String>,
    event: NewEvent,
}

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
) -> Option<Incoming> {
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
    Some(Incoming {
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
    let incoming: Vec<Incoming> = items
        .iter()
        .filter_map(|(p, v)| parse_one(v, p, now, horizon, &mut problems))
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    // Before anything is written: a refused batch (429) leaves no trace. Events
    // dated later start parked runs, which do not count as queued.
    let due_now: Vec<Value> = incoming
        .iter()
        .filter(|i| i.event.created_at <= now)
        .map(|i| json!({"name": i.event.event_type, "data": i.event.data}))
        .collect();
    state
        .engine
        .admit_events(&principal.tenant, &due_now)
        .await?;
    let with_ids: Vec<(String, Uuid)> = incoming
        .iter()
        .filter_map(|i| i.client_id.clone().map(|c| (c, i.event.event_id)))
        .collect();
    let fresh = state
        .store
        .remember_event_ids(&principal.tenant, &with_ids, now)
        .await?;
    let mut answers = Vec::new();
    let mut accepted = Vec::new();
    let mut fresh_iter = fresh.into_iter();
    for i in incoming {
        let new = i.client_id.is_none() || fresh_iter.next().unwrap_or(false);
        answers.push(json!({
            "id": i.client_id,
            "eventId": i.event.event_id,
            "name": i.event.event_type,
            "duplicate": !new,
        }));
        if new {
            accepted.push(i.event);
        }
    }
    state
        .store
        .append_events(&principal.tenant, &accepted)
        .await?;
    let runs = started_runs(&state, &principal, &accepted).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({ "events": answers, "runs": runs })),
    )
        .into_response())
}

/// The runs the accepted events started. Waits (briefly) until the event router has
/// passed the events, so when the answer comes their triggers, cancellations and
/// wake-ups have been applied.
async fn started_runs(
    state: &AppState,
    principal: &Principal,
    events: &[NewEvent],
) -> ApiResult<Vec<Value>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
    let deadline = tokio::time::Instant::now() + ROUTING_WAIT;
    loop {
        let positions = state.store.event_positions(&principal.tenant, &ids).await?;
        let routed_to = state.store.lease_position(ROUTER_LEASE).await?;
        let done = positions.len() == ids.len() && positions.iter().all(|p| *p <= routed_to);
        if done || tokio::time::Instant::now() >= deadline {
            break;
        }
        // Woken when a routing batch ends on this replica; the timeout covers a
        // router running on another replica.
        state.engine.routed(Duration::from_millis(50)).await;
    }
    let keys: Vec<String> = events.iter().map(|e| trigger_key(e.event_id)).collect();
    let found = state.store.runs_by_keys(&principal.tenant, &keys).await?;
    Ok(found
        .into_iter()
        .map(|(run, workflow, key)| {
            json!({"runId": run, "function": workflow, "eventId": key.trim_start_matches("evt:")})
        })
        .collect())
}

/// `GET /v1/functions`: the registered event functions, their triggers and policies.
pub async fn list(State(state): State<AppState>, _: Principal) -> Json<Value> {
    let registry = state.engine.registry();
    let functions: Vec<Value> = registry
        .functions()
        .iter()
        .map(|f| {
            let steps: Vec<String> = registry
                .get(&f.workflow)
                .map(|d| d.step_names().map(String::from).collect())
                .unwrap_or_default();
            let mut v = json!(f);
            v["name"] = json!(f.workflow);
            v["steps"] = json!(steps);
            v
        })
        .collect();
    Json(json!({ "functions": functions }))
}
