//! Liveness, readiness, metrics and the API description.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::Json;
use crate::auth::Principal;
use crate::auth::api_key::constant_time_eq;
use crate::providers::resilience::state_number;
use crate::telemetry::process::ProcessFigures;

/// `GET /healthz`: the process is alive.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "service", security(()),
    responses((status = 200, description = "The process is alive.", body = super::openapi::bodies::Health)))]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers and every migration is applied; else 503.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "service", security(()),
    responses(
        (status = 200, description = "The database answers and every migration is applied.", body = super::openapi::bodies::Ready),
        (status = 503, description = "The database is unreachable or its migrations are not current; with `Retry-After`.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    let unavailable = |detail: &str| ApiError::Unavailable {
        retry_after: Duration::from_secs(5),
        detail: detail.to_string(),
    };
    let check = async {
        state.store.ping().await?;
        state.store.migrations_current().await
    };
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Ok(Ok(true)) => Ok(Json(json!({
            "status": "ready",
            "database": state.store.backend().as_str(),
        }))),
        Ok(Ok(false)) => Err(unavailable("Database migrations are not current.")),
        Ok(Err(_)) | Err(_) => Err(unavailable("The database is unreachable.")),
    }
}

/// `GET /metrics`: Prometheus text format. With `metrics.token` set, only for
/// `Authorization: Bearer <token>`; else `401`.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "service", security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition format.", content_type = "text/plain", body = String),
        (status = 401, description = "A metrics token is configured and the request does not present it.", content_type = "application/problem+json", body = super::error::Problem),
    ))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !metrics_token_accepted(state.settings.metrics.token.expose(), &headers) {
        return ApiError::Unauthorized("/metrics needs the metrics bearer token".into())
            .into_response();
    }
    state.metrics.gauge(
        "careflow_runs_active",
        "Runs executing on this replica.",
        &[],
        state.engine.active_runs() as f64,
    );
    // The queue is the shared database's: every replica reports the same figure, so
    // it is labelled as such and aggregated with max(), never sum().
    if let Ok((queued, oldest)) = state.store.queue_stats().await {
        state.metrics.gauge(
            "careflow_queue_depth",
            "Queued runs of all tenants in the shared database (the same on every replica: aggregate with max).",
            &[("scope", "database")],
            queued as f64,
        );
        let age = oldest
            .map(|t| (state.engine.clock().now() - t).num_milliseconds().max(0) as f64 / 1000.0)
            .unwrap_or(0.0);
        state.metrics.gauge(
            "careflow_queue_oldest_age_seconds",
            "Age of the oldest queued run (0 when none).",
            &[],
            age,
        );
    }
    pool_metrics(&state);
    process_metrics(&state);
    // By provider kind only: endpoints (hosts, sources) are many and user-given,
    // so their detail stays in `GET /v1/providers`.
    for p in state.services.resilience.provider_totals() {
        let labels = [("provider", p.provider)];
        state.metrics.gauge(
            "careflow_provider_breaker_state",
            "Worst circuit breaker state among a provider's endpoints: 0 closed, 1 half-open, 2 open.",
            &labels,
            state_number(p.state),
        );
        state.metrics.set_counter(
            "careflow_provider_breaker_transitions_total",
            "Circuit breaker state changes of a provider's endpoints.",
            &labels,
            p.transitions as f64,
        );
        state.metrics.set_counter(
            "careflow_provider_calls_total",
            "Calls to a provider let through by its breakers.",
            &labels,
            p.calls as f64,
        );
        state.metrics.set_counter(
            "careflow_provider_failures_total",
            "Calls to a provider that failed (timeouts, connection errors, 5xx, 429).",
            &labels,
            p.failures as f64,
        );
        state.metrics.set_counter(
            "careflow_provider_refusals_total",
            "Calls refused by a provider's open breakers without touching the network.",
            &labels,
            p.refusals as f64,
        );
    }
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::telemetry::metrics::CONTENT_TYPE),
    );
    response
}

/// This replica's database connections, per pool.
fn pool_metrics(state: &AppState) {
    for pool in state.store.pool_usage() {
        let name = [("pool", pool.pool)];
        let m = &state.metrics;
        m.gauge(
            "careflow_db_pool_connections",
            "Open database connections of this replica's pool.",
            &name,
            f64::from(pool.size),
        );
        m.gauge(
            "careflow_db_pool_idle_connections",
            "Open database connections not lent out.",
            &name,
            f64::from(pool.idle),
        );
        m.gauge(
            "careflow_db_pool_in_use_connections",
            "Database connections lent out to a query or transaction.",
            &name,
            f64::from(pool.in_use()),
        );
        m.gauge(
            "careflow_db_pool_max_connections",
            "The most connections the pool may open.",
            &name,
            f64::from(pool.max),
        );
    }
}

/// The process's CPU, memory and file descriptors (left out where unreadable).
fn process_metrics(state: &AppState) {
    let f = ProcessFigures::read();
    let m = &state.metrics;
    if let Some(v) = f.cpu_seconds {
        m.set_counter(
            "process_cpu_seconds_total",
            "User and system CPU time spent, in seconds.",
            &[],
            v,
        );
    }
    for (name, help, value) in [
        (
            "process_resident_memory_bytes",
            "Resident memory size, in bytes.",
            f.resident_memory_bytes,
        ),
        ("process_open_fds", "Open file descriptors.", f.open_fds),
        (
            "process_max_fds",
            "The most file descriptors the process may open.",
            f.max_fds,
        ),
        (
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch, in seconds.",
            f.start_time_seconds,
        ),
    ] {
        if let Some(v) = value {
            m.gauge(name, help, &[], v);
        }
    }
}

/// True when no metrics token is configured, or the request presents it as a bearer
/// token.
fn metrics_token_accepted(token: &str, headers: &HeaderMap) -> bool {
    if token.is_empty() {
        return true;
    }
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|presented| constant_time_eq(presented.trim().as_bytes(), token.as_bytes()))
}

/// `GET /v1/providers`: the circuit breaker of each endpoint the caller's tenant
/// uses (its FHIR sources, the hosts its service calls reach) and of the providers
/// the operator configured for everybody: state, calls, failures, last error class,
/// next trial time.
#[utoipa::path(get, path = "/v1/providers", operation_id = "listProviders", tag = "operations",
    responses((status = 200, description = "The breakers the caller's tenant may see.", body = super::openapi::bodies::ProviderList)))]
pub async fn providers(
    State(state): State<AppState>,
    principal: Principal,
) -> Json<serde_json::Value> {
    let visible = state
        .services
        .resilience
        .visible_to(principal.tenant.as_str());
    Json(json!({ "providers": visible }))
}

/// `GET /v1/queue`: the queue every replica claims from (depth and oldest age, all
/// tenants: it is what decides `429`s) and the caller's unfinished runs by status.
#[utoipa::path(get, path = "/v1/queue", operation_id = "getQueue", tag = "operations",
    responses((status = 200, description = "Queue depth and the caller's unfinished runs.", body = super::openapi::bodies::QueueStats)))]
pub async fn queue(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<serde_json::Value>> {
    let (depth, oldest) = state.store.queue_stats().await?;
    let counts = state.store.active_run_counts(&principal.tenant).await?;
    let now = state.engine.clock().now();
    let mut tenant = json!({"queued": 0, "running": 0, "sleeping": 0, "waiting": 0});
    for (status, n) in counts {
        tenant[status.as_str()] = json!(n);
    }
    Ok(Json(json!({
        "depth": depth,
        "maxQueuedRuns": state.settings.engine.max_queued_runs,
        "oldestQueuedAt": oldest,
        "oldestAgeMs": oldest.map(|t| (now - t).num_milliseconds().max(0)),
        "tenantRuns": tenant,
    })))
}
