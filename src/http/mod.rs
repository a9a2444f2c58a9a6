//! The HTTP edge: one router listing every route, the middleware stack, and the
//! shared state handlers receive.
//!
//! Handlers validate requests and hand them to the engine or the workflows' services;
//! nothing below this module knows about axum.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod audit;
mod bulk;
mod care;
mod cors;
mod cron;
mod discharge;
mod docs;
mod encounter_view;
mod encounters;
mod erasure;
pub mod error;
mod events;
pub mod extract;
mod functions;
mod health;
pub mod middleware;
pub mod openapi;
mod purge_view;
mod rerun;
mod run_list;
pub mod runs;
pub mod schedule;
mod sent_events;
pub mod serve;
pub mod service_calls;
mod stored;
mod stream_tokens;
mod timeline;
mod trace;
mod user_workflows;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::routing::{delete, get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Authenticator;
use crate::auth::stream_token::StreamTokens;
use crate::config::Settings;
use crate::engine::Engine;
use crate::events::Hub;
use crate::store::Store;
use crate::telemetry::access_log;
use crate::telemetry::metrics::Metrics;
use crate::telemetry::otlp::SpanExport;
use crate::workflows::Services;
use tokio_util::sync::CancellationToken;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The settings the service started with.
    pub settings: Arc<Settings>,
    /// The store.
    pub store: Arc<dyn Store>,
    /// The engine.
    pub engine: Engine,
    /// Bearer token checks.
    pub auth: Arc<Authenticator>,
    /// Signs and checks the tokens that open event streams from browsers.
    pub stream_tokens: Arc<StreamTokens>,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Span export (OTLP); without an endpoint it makes no spans.
    pub spans: Arc<SpanExport>,
    /// The services the built-in workflows use, for handlers that read their data.
    pub services: Arc<Services>,
    /// This replica's event subscribers.
    pub hub: Arc<Hub>,
    /// Fires at shutdown; long-lived responses (event streams) end with it.
    pub shutdown: CancellationToken,
}

/// Every route of the API. `extra` routes (tests, extensions) are mounted under
/// `/v1` behind authentication like the rest.
pub fn router(state: AppState, extra: Option<Router<AppState>>) -> Router {
    // Routes that read patient-bearing records (or name people) opt into the access
    // log with `.layer(audited.clone())` on their GET; writes are not recorded here.
    let audited = axum::middleware::from_fn_with_state(state.clone(), audit::record_read);
    let mut v1 = Router::new()
        .route("/me", get(runs::me))
        .route("/workflows", get(runs::list_workflows))
        .route(
            "/workflows/{name}",
            get(user_workflows::get).put(user_workflows::put),
        )
        .route("/workflows/{name}/versions", get(user_workflows::versions))
        .route(
            "/workflows/{name}/versions/{version}",
            get(user_workflows::version),
        )
        .route("/workflows/{name}/runs", post(runs::submit))
        .route("/workflows/{name}/pause", post(runs::pause_workflow))
        .route("/workflows/{name}/resume", post(runs::resume_workflow))
        .route("/runs", get(run_list::list_runs).layer(audited.clone()))
        // Erasures are writes, but who erased what belongs in the access log too
        // (besides the purge record).
        .route(
            "/runs/{id}",
            get(runs::get_run)
                .delete(erasure::delete_run)
                .layer(audited.clone()),
        )
        .route(
            "/purges",
            get(erasure::list)
                .post(erasure::create)
                .layer(audited.clone()),
        )
        .route("/runs/cancel", post(bulk::cancel))
        .route("/runs/retry", post(bulk::retry))
        .route("/runs/{id}/cancel", post(runs::cancel_run))
        .route("/runs/{id}/retry", post(runs::retry_run))
        .route("/runs/{id}/rerun", post(rerun::rerun_run))
        .route("/runs/{id}/pause", post(runs::pause_run))
        .route("/runs/{id}/resume", post(runs::resume_run))
        .route(
            "/runs/{id}/timeline",
            get(timeline::get).layer(audited.clone()),
        )
        .route("/queue", get(health::queue))
        .route("/providers", get(health::providers))
        .route(
            "/events",
            get(events::list)
                .layer(audited.clone())
                .post(functions::send),
        )
        .route("/audit", get(audit::list))
        .route("/functions", get(functions::list))
        .route("/stream-tokens", post(stream_tokens::issue))
        .route("/cron-schedules", post(cron::create).get(cron::list))
        .route(
            "/cron-schedules/{id}",
            get(cron::get).put(cron::replace).delete(cron::remove),
        )
        .route("/cron-schedules/{id}/pause", post(cron::pause))
        .route("/cron-schedules/{id}/resume", post(cron::resume))
        .route("/service-calls", post(service_calls::submit))
        .route("/service-calls", get(service_calls::list_service_calls))
        .route("/service-calls/{id}", get(service_calls::get_service_call))
        .route(
            "/service-calls/{id}/cancel",
            post(service_calls::cancel_service_call),
        )
        .route("/discharge/orchestrations", post(discharge::orchestrate))
        .route(
            "/discharge/orchestrations/{id}",
            get(discharge::get_orchestration).layer(audited.clone()),
        )
        .route(
            "/discharge/summaries/{id}",
            get(discharge::get_summary).layer(audited.clone()),
        )
        .route(
            "/discharge/emails/{id}",
            get(discharge::get_email).layer(audited.clone()),
        )
        .route(
            "/discharge/emails/{id}/cancel",
            post(discharge::cancel_email),
        )
        .route(
            "/discharge/emails/{id}/resend",
            post(discharge::resend_email),
        )
        .route(
            "/discharge/calls/{id}",
            get(discharge::get_call).layer(audited.clone()),
        )
        .route("/discharge/calls/{id}/cancel", post(discharge::cancel_call))
        .route(
            "/cases/{id}",
            get(discharge::get_case).layer(audited.clone()),
        )
        .route(
            "/hospitals",
            post(schedule::create_hospital).get(schedule::list_hospitals),
        )
        // Uploads get their own, larger body limit than JSON bodies.
        .route(
            "/schedules/imports",
            post(schedule::submit_import).layer(DefaultBodyLimit::max(
                state.settings.server.upload_limit_bytes,
            )),
        )
        .route("/schedules/imports/status", get(schedule::import_status))
        .route(
            "/schedules/imports/{id}",
            get(schedule::get_import).layer(audited.clone()),
        )
        .route("/hospitals/{id}/versions", get(schedule::list_versions))
        .route(
            "/schedules/versions/{id}",
            get(schedule::get_version).layer(audited.clone()),
        )
        .route(
            "/schedules/versions/{id}/publish",
            post(schedule::publish_version),
        )
        .route(
            "/schedules/versions/{id}/assignments/refresh",
            post(schedule::refresh_assignments),
        )
        .route(
            "/schedules/versions/{id}/coverage",
            post(schedule::recalculate_coverage),
        )
        .route("/encounters", post(encounters::submit))
        .route(
            "/encounters/{id}",
            get(encounters::get).layer(audited.clone()),
        )
        .route(
            "/encounters/{id}/form.pdf",
            get(encounters::form_pdf).layer(audited.clone()),
        )
        .route(
            "/nurses",
            get(care::nurses::list)
                .layer(audited.clone())
                .post(care::nurses::create),
        )
        .route(
            "/nurses/{id}",
            get(care::nurses::get).layer(audited.clone()),
        )
        .route("/nurses/{id}/shifts", post(care::nurses::add_shift))
        .route(
            "/tasks",
            get(care::tasks::list)
                .layer(audited.clone())
                .post(care::tasks::create),
        )
        .route("/tasks/{id}", get(care::tasks::get).layer(audited.clone()))
        .route("/tasks/{id}/resolve", post(care::tasks::resolve))
        .route(
            "/notifications",
            get(care::notifications::list).layer(audited.clone()),
        )
        .route(
            "/escalation-contacts",
            get(care::contacts::list).post(care::contacts::create),
        )
        .route("/escalation-contacts/{id}", delete(care::contacts::remove))
        .route(
            "/patients/{id}/outreach",
            get(care::outreach::get).layer(audited.clone()),
        )
        .route(
            "/twilio-numbers",
            get(care::numbers::list).post(care::numbers::create),
        )
        .route("/twilio-numbers/{id}", delete(care::numbers::remove));
    if let Some(extra) = extra {
        v1 = v1.merge(extra);
    }
    // API answers carry patient data: no cache (browser, proxy) may keep them, and
    // no browser may guess another type for them. `/ui` assets keep their caching.
    let v1 = v1
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::authenticate,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    // The stream also opens with `?token=` from `POST /v1/stream-tokens`, for
    // browsers' EventSource, which cannot send an Authorization header.
    let stream = Router::new()
        .route("/v1/events/stream", get(events::stream).layer(audited))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            stream_tokens::authenticate_stream,
        ));

    let server = &state.settings.server;
    let request_id = HeaderName::from_static(middleware::REQUEST_ID);
    let cors = cors::layer(&server.cors_allowed_origins, &request_id);

    // Twilio calls these and cannot send a bearer token: they sit outside the
    // authenticated router and check Twilio's signature instead.
    let webhooks = Router::new()
        .route("/v1/webhooks/twilio/status", post(care::webhooks::status))
        .route("/v1/webhooks/twilio/inbound", post(care::inbound::inbound));

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi::serve::openapi))
        .nest("/v1", v1)
        .merge(crate::ui::router())
        .merge(docs::router())
        .merge(stream)
        .merge(webhooks)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::record_metrics,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            trace::trace_request,
        ))
        // Innermost first: limits and timeouts, then the panic catcher and the problem
        // writer (so their answers become problems), compression, CORS, request ids
        // and tracing outermost.
        .layer(DefaultBodyLimit::max(server.body_limit_bytes))
        .layer(RequestBodyLimitLayer::new(
            server.upload_limit_bytes.max(server.body_limit_bytes),
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            server.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn(middleware::problem_details))
        .layer(CompressionLayer::new())
        .layer(cors)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(access_log::request_span)
                .on_response(access_log::LogResponse)
                .on_failure(access_log::LogFailure),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        // Outermost: a client id that is too long or not visible ASCII is dropped
        // before anything logs or echoes it, so one is generated instead.
        .layer(axum::middleware::map_request(
            middleware::drop_unusable_request_id,
        ))
        .with_state(state)
}
