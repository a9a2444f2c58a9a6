//! Liveness, readiness, metrics and the API description.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::Json;

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers and every migration is applied; else 503.
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

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    state.metrics.gauge(
        "careflow_runs_active",
        "Runs executing on this replica.",
        &[],
        state.engine.active_runs() as f64,
    );
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// The OpenAPI description, kept beside the code.
const OPENAPI: &str = include_str!("../../openapi.json");

/// `GET /openapi.json`.
pub async fn openapi() -> Response {
    let mut response = OPENAPI.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
