//! Building and running the service: open the store, apply migrations, register the
//! workflows, bind the listening address, make sure a credential exists, start the
//! engine, serve HTTP, and shut all of it down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::auth::Authenticator;
use crate::auth::api_key::{self, CreatedKey};
use crate::auth::stream_token::{self, StreamTokens};
use crate::config::Settings;
use crate::engine::{
    Clock, DefinitionError, Engine, FunctionSpec, Registry, SystemClock, WorkflowDefinition,
};
use crate::events::{Hub, spawn_pump};
use crate::http::{self, AppState};
use crate::store::{self, Store, StoreError, TenantId};
use crate::telemetry::metrics::Metrics;
use crate::telemetry::otlp::SpanExport;
use crate::workflows::{self, Services};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// A workflow definition is invalid.
    #[error("{0}")]
    Definition(#[from] DefinitionError),
    /// A setting is unusable.
    #[error("invalid setting: {0}")]
    Settings(String),
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Hooks for embedding and tests: a clock, extra workflows and routes.
#[derive(Default)]
pub struct Extensions {
    /// The clock (the system clock when `None`).
    pub clock: Option<Arc<dyn Clock>>,
    /// Workflows registered beside the built-in ones.
    pub workflows: Vec<WorkflowDefinition>,
    /// Routes mounted under `/v1`, behind authentication.
    pub routes: Option<Router<AppState>>,
    /// Workflows built from the service's shared services (providers, resilience).
    pub workflow_factories: Vec<WorkflowFactory>,
    /// Event functions registered beside the built-in ones.
    pub functions: Vec<(WorkflowDefinition, FunctionSpec)>,
}

/// Builds a workflow from the shared services.
pub type WorkflowFactory = Box<dyn FnOnce(&Services) -> WorkflowDefinition + Send>;

/// A running service.
pub struct App {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The engine.
    pub engine: Engine,
    /// The store.
    pub store: Arc<dyn Store>,
    /// The metrics registry.
    pub metrics: Arc<Metrics>,
    spans: Arc<SpanExport>,
    /// The key created on first start, to be shown once.
    pub bootstrap_key: Option<CreatedKey>,
    settings: Arc<Settings>,
    stop_http: CancellationToken,
    pollers: workflows::encounter::Pollers,
    server: JoinHandle<()>,
}

/// The settings the layers read into their own types at start-up (a phone region, a
/// time zone, tenant ids, a rule set, an allowlist, ...), checked before anything
/// starts. `Settings::load` checks the plain values; this, what only the layer using
/// a value can read. The error lists every problem, each naming its key.
pub fn check_settings(settings: &Settings) -> Result<(), String> {
    let mut problems = workflows::startup::problems(settings);
    if let Err(e) = crate::retention::overrides(&settings.retention) {
        problems.push(e);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Opens the configured store and applies pending migrations.
pub async fn open_store(settings: &Settings) -> Result<Arc<dyn Store>, StoreError> {
    let store = store::connect(&settings.database).await?;
    store.migrate().await?;
    Ok(store)
}

impl App {
    /// Builds and starts the service.
    pub async fn start(settings: Settings, ext: Extensions) -> Result<App, StartError> {
        // Before the database is opened, so a bad value stops start-up with nothing to undo.
        check_settings(&settings).map_err(StartError::Settings)?;
        let settings = Arc::new(settings);
        let store = open_store(&settings).await?;
        // Request durations include `?wait=` long polls, bounded by the request timeout.
        let metrics = Arc::new(Metrics::reaching(settings.server.request_timeout));
        metrics.gauge(
            "careflow_build_info",
            "Always 1; the labels say which build and database this replica runs.",
            &[
                ("version", env!("CARGO_PKG_VERSION")),
                ("database", store.backend().as_str()),
            ],
            1.0,
        );
        let spans = Arc::new(SpanExport::start(&settings.telemetry).map_err(StartError::Settings)?);
        let clock: Arc<dyn Clock> = ext.clock.unwrap_or_else(|| Arc::new(SystemClock));
        // Before anything starts, so a bad key stops start-up with nothing to undo.
        let stream_tokens = stream_tokens(&settings, store.as_ref(), clock.clone()).await?;

        let services = Services::build(store.clone(), settings.clone(), clock.clone())
            .map_err(StartError::Settings)?;
        let http_client = services.http.clone();
        let mut registry = Registry::new();
        let from_factories = ext.workflow_factories.into_iter().map(|f| f(&services));
        for def in workflows::builtin(&services)?
            .into_iter()
            .chain(ext.workflows)
            .chain(from_factories)
        {
            registry.register(def)?;
        }
        for (def, spec) in workflows::functions(&services)?
            .into_iter()
            .chain(ext.functions)
        {
            registry.register_function(def, spec)?;
        }
        // Names not compiled in are looked up among the tenants' own workflows.
        registry.set_source(Arc::new(workflows::user::UserWorkflows::new(&services)));
        let auth = Authenticator::new(store.clone(), &settings.auth, http_client)
            .map_err(StartError::Settings)?;
        let listener = bind(&settings).await?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: format!("{}:{}", settings.server.host, settings.server.port),
            source,
        })?;
        // The live stream starts from here: read before the engine or the API can
        // commit anything, so every event committed from now on reaches the pump.
        // Read by the pump's own task, it missed the events committed before that
        // task first ran (the first run's first steps, on a loaded machine).
        let events_from = store.last_event_position().await?;
        // The key is shown once, so it is made only when nothing after it can fail:
        // settings are usable and the port is ours. A start that fails earlier leaves
        // the database without a key, and the next start makes and shows one.
        let bootstrap_key = bootstrap(&settings, store.as_ref()).await?;

        let engine = Engine::start(
            store.clone(),
            registry,
            clock,
            settings.engine.clone(),
            metrics.clone(),
            spans.tracer().cloned(),
        );
        let services = Arc::new(services);
        let stop_http = CancellationToken::new();
        let hub = Hub::new(
            settings.events.buffer_per_subscriber,
            settings.events.buffer_bytes_per_subscriber,
            metrics.clone(),
        );
        crate::audit::spawn_pruner(
            store.clone(),
            engine.clock(),
            settings.audit.clone(),
            stop_http.clone(),
        );
        crate::retention::spawn_pruner(
            store.clone(),
            engine.clock(),
            settings.retention.clone(),
            stop_http.clone(),
        );
        spawn_pump(
            store.clone(),
            hub.clone(),
            engine.clock(),
            settings.events.retention,
            events_from,
            stop_http.clone(),
        );
        let state = AppState {
            settings: settings.clone(),
            store: store.clone(),
            engine: engine.clone(),
            auth: Arc::new(auth),
            stream_tokens: Arc::new(stream_tokens),
            metrics: metrics.clone(),
            spans: spans.clone(),
            services: services.clone(),
            hub,
            shutdown: stop_http.clone(),
        };
        let router = http::router(state, ext.routes);
        let stop = stop_http.clone();
        let timeouts = http::serve::Timeouts {
            header_read: settings.server.header_read_timeout,
            idle: settings.server.idle_timeout,
        };
        let server = tokio::spawn(http::serve::serve(listener, router, timeouts, stop));
        let pollers = workflows::encounter::Pollers::start(engine.clone(), &services);
        tracing::info!(%addr, database = store.backend().as_str(), "careflow started");
        Ok(App {
            addr,
            engine,
            store,
            metrics,
            spans,
            bootstrap_key,
            settings,
            stop_http,
            pollers,
            server,
        })
    }

    /// Stops claiming runs, stops accepting requests, lets in-flight ones finish
    /// (within the shutdown timeout), drains the engine, releases leases and closes
    /// the pool.
    pub async fn shutdown(self) {
        // Claiming stops first, so no run starts here while requests drain, and
        // open waits are answered at once instead of holding the drain.
        self.engine.stop_claiming();
        self.stop_http.cancel();
        self.pollers.shutdown().await;
        let timeout = self.settings.server.shutdown_timeout;
        let mut server = self.server;
        match tokio::time::timeout(timeout, &mut server).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "HTTP server task failed"),
            Err(_) => {
                tracing::warn!("in-flight requests outlived the shutdown timeout; closing them");
                server.abort();
            }
        }
        self.engine.shutdown().await;
        // After the engine: its last attempts' spans are in the batch sent now.
        self.spans.shutdown().await;
        self.store.close().await;
        tracing::info!("careflow stopped");
    }

    /// Whether spans are exported (`telemetry.otlp_endpoint` is set).
    pub fn exports_spans(&self) -> bool {
        self.spans.tracer().is_some()
    }

    /// Stops at once without draining or releasing anything, as a crash would (tests).
    pub fn abort(self) {
        self.pollers.abort();
        self.server.abort();
    }
}

/// Binds the listening address of `server.host` and `server.port`.
async fn bind(settings: &Settings) -> Result<TcpListener, StartError> {
    let addr = format!("{}:{}", settings.server.host, settings.server.port);
    TcpListener::bind(&addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

/// On a database without any API key, creates tenant `default` and one key.
async fn bootstrap(
    settings: &Settings,
    store: &dyn Store,
) -> Result<Option<CreatedKey>, StartError> {
    if !settings.auth.bootstrap_api_key || store.count_api_keys().await? > 0 {
        return Ok(None);
    }
    let tenant = TenantId::parse("default").map_err(StartError::Settings)?;
    Ok(Some(api_key::create(store, &tenant, "bootstrap").await?))
}

/// The stream token signer: the configured key, else the one kept in the database
/// (made by whichever replica starts first), so every replica accepts every token.
async fn stream_tokens(
    settings: &Settings,
    store: &dyn Store,
    clock: Arc<dyn Clock>,
) -> Result<StreamTokens, StartError> {
    let configured = &settings.events.stream_token_key;
    if !configured.is_empty() {
        return StreamTokens::from_base64(configured.expose()).map_err(StartError::Settings);
    }
    let key = store
        .signing_key(
            stream_token::KEY_NAME,
            &StreamTokens::random_key(),
            clock.now(),
        )
        .await?;
    StreamTokens::new(key).map_err(StartError::Settings)
}
