//! The orchestration engine: one generic engine for every workflow.
//!
//! It knows nothing about discharges or schedules; workflows know nothing about
//! leases, queues or SQL. Runs live in the store; a replica executes a run while it
//! holds the run's lease, renewed by a heartbeat and by every commit. A replica that
//! dies loses its leases when they expire, and another replica resumes its runs from
//! their committed state (completed steps never run again; steps that were in flight
//! run again with one more attempt, or fail once their last attempt never reported:
//! see `lost`).
//!
//! Submissions execute at once on the submitting replica when it has a free slot
//! (the run is inserted already leased to it, saving a claim), and are queued
//! otherwise; queued, due and orphaned runs are claimed with `FOR UPDATE SKIP
//! LOCKED`, so replicas never take the same run.

mod admission;
mod attempt_span;
mod attempts;
mod bulk;
mod cancel_hook;
pub mod cron;
mod definition;
mod error;
mod events;
mod executor;
mod functions;
mod idle;
mod intake;
mod lease_watch;
mod lost;
mod options;
mod pause;
mod plan;
mod policy;
mod priority;
mod registry;
mod rerun;
mod router;
mod source;
mod step;
mod stored;
mod submit;
pub mod timeline;
mod trigger_limits;
mod unwritten;
mod view;
mod waiters;
mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The engine reads the crate's one clock; re-exported so step code finds it here.
pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use crate::domain::validation::escape_pointer;
pub use attempts::AttemptView;
pub use bulk::{BulkFilter, BulkOutcome, CANCELLABLE, RETRYABLE, SkippedRun};
pub use cancel_hook::{CancelFuture, CancelHook, Cancelled, RUN_CANCELLED};
pub use definition::{
    DefinitionError, InputReader, RestartGuard, StepDefinition, WorkflowBuilder, WorkflowDefinition,
};
pub use error::{EngineError, EngineResult};
pub use functions::{CancelOn, Concurrency, Debounce, FunctionSpec, Limit, Trigger, key_of};
pub use idle::Busy;
pub use intake::{EventReceipt, IncomingEvent, SentEvents, StartedRun};
pub use lost::never_reported;
pub use options::{RunOptions, StepToggle};
pub use plan::{DryRunPlan, SkippedStep, dry_run};
pub use policy::{RetryPolicy, StepPolicy};
pub use priority::Priority;
pub use registry::Registry;
pub use router::{ROUTER_LEASE, event_json, trigger_key};
pub use source::DefinitionSource;
pub use step::{
    Emit, ErrorKind, EventMatch, Messages, StepContext, StepError, StepFuture, StepHandler,
    StepOutcome, StepOutput, ToStepResult, Wake, lookup,
};
pub use submit::{CallSubmitted, Scheduling, Submission, Submitted};
pub use trigger_limits::FUNCTION_SKIPPED;
pub use view::{RunView, StepView};

use crate::config::EngineSettings;
use crate::store::{RunId, Store};
use crate::telemetry::metrics::Metrics;
use opentelemetry_sdk::trace::SdkTracer;
use waiters::Waiters;

/// Shared state of the engine's tasks.
struct Inner {
    store: Arc<dyn Store>,
    registry: Registry,
    clock: Arc<dyn Clock>,
    settings: EngineSettings,
    default_retry: RetryPolicy,
    metrics: Arc<Metrics>,
    /// Makes a span per step attempt when span export is on.
    tracer: Option<SdkTracer>,
    /// This replica's identity in leases.
    owner: String,
    /// Runs this replica may execute at once.
    slots: Arc<Semaphore>,
    /// Wakes the claim loop (a notice, a freed slot, a submission that queued).
    poke: Arc<Notify>,
    /// Wakes executors waiting for a timer, so a moved clock takes effect at once.
    tick: Notify,
    waiters: Waiters,
    /// Runs executing here: their cancellation tokens and tasks.
    active: Mutex<HashMap<RunId, (CancellationToken, Option<AbortHandle>)>>,
    /// Runs executing here that were asked to pause: they start no new attempt and
    /// park once the current ones end (the stored flag keeps them unclaimed).
    pausing: Mutex<std::collections::HashSet<RunId>>,
    executors: TaskTracker,
    /// Fires at shutdown: stop claiming, start no new steps.
    shutdown: CancellationToken,
    /// Fires when the drain is over: background loops end.
    stopped: CancellationToken,
    /// Wakes callers waiting for events to be routed.
    routed: Notify,
    /// Wakes the event router (after the clock moved, a lease may have lapsed).
    route_now: Notify,
    /// What [`Engine::until_idle`] reads.
    idle: idle::IdleState,
    /// Queued work may be waiting for a free slot (set by notices and full claims,
    /// cleared when a claim finds less than it could take).
    backlog: Arc<std::sync::atomic::AtomicBool>,
    /// The lease end the heartbeat last wrote for every run held here (milliseconds
    /// since the epoch), which bounds how long a commit is retried.
    renewed: Arc<std::sync::atomic::AtomicI64>,
}

impl Inner {
    fn forget_active(&self, run: RunId) {
        self.active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&run);
        self.pausing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&run);
    }

    fn is_active(&self, run: RunId) -> bool {
        self.active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(&run)
    }

    /// Marks a run executing here as pausing (a no-op for runs held elsewhere).
    fn pause_local(&self, run: RunId, pausing: bool) {
        let mut set = self.pausing.lock().unwrap_or_else(|p| p.into_inner());
        if pausing && self.is_active(run) {
            set.insert(run);
        } else if !pausing {
            set.remove(&run);
        }
    }

    fn is_pausing(&self, run: RunId) -> bool {
        self.pausing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&run)
    }

    fn cancel_local(&self, run: RunId) {
        let active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((token, _)) = active.get(&run) {
            token.cancel();
        }
    }
}

/// The engine of one replica. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// Starts the engine's background work: claiming, heartbeats, notices, the
    /// cron ticker and the event router.
    pub fn start(
        store: Arc<dyn Store>,
        registry: Registry,
        clock: Arc<dyn Clock>,
        settings: EngineSettings,
        metrics: Arc<Metrics>,
        tracer: Option<SdkTracer>,
    ) -> Self {
        let engine = Self::build(store, registry, clock, settings, metrics, tracer);
        worker::spawn_background(engine.inner.clone());
        // The ticker and the router submit runs, and submitting starts runs on
        // workers; they are started here so the worker needs neither of them.
        tokio::spawn(cron::ticker::ticker_loop(engine.inner.clone()));
        tokio::spawn(router::router_loop(engine.inner.clone()));
        // Runs orphaned by a previous process are due at once.
        engine.inner.poke.notify_one();
        engine
    }

    /// An engine that executes nothing: it reads, cancels and retries runs (with the
    /// workflows' hooks and rules) while serving replicas execute them. The command
    /// line uses it.
    pub fn detached(
        store: Arc<dyn Store>,
        registry: Registry,
        clock: Arc<dyn Clock>,
        settings: EngineSettings,
        metrics: Arc<Metrics>,
    ) -> Self {
        // It executes no step, so it makes no attempt spans.
        Self::build(store, registry, clock, settings, metrics, None)
    }

    fn build(
        store: Arc<dyn Store>,
        registry: Registry,
        clock: Arc<dyn Clock>,
        settings: EngineSettings,
        metrics: Arc<Metrics>,
        tracer: Option<SdkTracer>,
    ) -> Self {
        let owner = format!(
            "{}:{}:{}",
            hostname(),
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        );
        let inner = Arc::new(Inner {
            store,
            registry,
            clock,
            default_retry: RetryPolicy::from_settings(&settings.retry),
            slots: Arc::new(Semaphore::new(settings.max_concurrent_runs)),
            settings,
            metrics,
            tracer,
            owner,
            poke: Arc::new(Notify::new()),
            tick: Notify::new(),
            waiters: Waiters::default(),
            active: Mutex::new(HashMap::new()),
            pausing: Mutex::new(std::collections::HashSet::new()),
            executors: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            stopped: CancellationToken::new(),
            routed: Notify::new(),
            route_now: Notify::new(),
            idle: idle::IdleState::default(),
            backlog: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            renewed: Arc::new(std::sync::atomic::AtomicI64::new(0)),
        });
        Self { inner }
    }

    /// This replica's lease owner id.
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// The registered workflows.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The engine's clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.inner.clock.clone()
    }

    /// The store behind the engine.
    pub fn store(&self) -> Arc<dyn Store> {
        self.inner.store.clone()
    }

    /// Makes the engine look for due work now (tests call it after moving the clock).
    pub fn poke(&self) {
        self.inner.poke.notify_one();
        self.inner.tick.notify_waiters();
        self.inner.route_now.notify_one();
    }

    /// Waits until the event router finishes a batch (or `timeout` passes).
    pub async fn routed(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.inner.routed.notified()).await;
    }

    /// Runs executing on this replica right now.
    pub fn active_runs(&self) -> usize {
        self.inner
            .active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// The first thing a stopping replica does: it claims no more runs, starts no
    /// new steps, refuses submissions, and answers open waits at once (with the run
    /// as it is), so its in-flight requests end quickly. Running steps go on until
    /// [`Engine::shutdown`] drains them.
    pub fn stop_claiming(&self) {
        self.inner.shutdown.cancel();
        self.inner.tick.notify_waiters();
    }

    /// True once the replica is stopping ([`Engine::stop_claiming`]).
    pub fn is_stopping(&self) -> bool {
        self.inner.shutdown.is_cancelled()
    }

    /// Stops claiming, lets running steps finish within the drain timeout, then
    /// releases every lease so other replicas take over at once.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        self.stop_claiming();
        inner.executors.close();
        if tokio::time::timeout(inner.settings.drain_timeout, inner.executors.wait())
            .await
            .is_err()
        {
            let active: Vec<_> = {
                let active = inner.active.lock().unwrap_or_else(|p| p.into_inner());
                active.values().filter_map(|(_, h)| h.clone()).collect()
            };
            tracing::warn!(
                runs = active.len(),
                "drain timeout passed; stopping unfinished steps"
            );
            for handle in active {
                handle.abort();
            }
            inner.executors.wait().await;
        }
        let now = inner.clock.now();
        match inner.store.release_leases(&inner.owner, now).await {
            Ok(n) if n > 0 => tracing::info!(runs = n, "released leases for other replicas"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not release leases; they will expire"),
        }
        inner.stopped.cancel();
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "replica".into())
}

/// Parses a `?wait=` value: `0`, `500ms`, `30s`, `2m`.
pub fn parse_wait(value: &str) -> Result<Duration, String> {
    let v = value.trim();
    if v == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(v)
        .map_err(|_| "must be a duration such as 0, 500ms, 30s or 2m".into())
}
