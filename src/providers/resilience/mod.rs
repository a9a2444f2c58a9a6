//! The one resilience layer every outside call goes through: a deadline per attempt
//! and a circuit breaker per endpoint (a FHIR source, an outbound host, a provider
//! account). Retries belong to the calling step's policy; this layer tells it
//! whether a retry can help and how long to wait (while a breaker is open, until its
//! next trial).
//!
//! While a breaker is open, calls fail at once without touching the network.
//! Permanent answers (4xx, validation) show the provider is up and count as
//! successes; timeouts, connection errors, 5xx and 429 count as failures. A
//! breaker remembers the class of the last failure ("HTTP 500", "timeout"), never
//! the remote text.

pub mod class;
mod endpoint;
mod resilient;
mod status;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::breaker::{BreakerOpen, BreakerState, CircuitBreaker};
use crate::clock::{Clock, SystemClock};
use crate::config::BreakerSettings;

pub use endpoint::Endpoint;
pub use resilient::Resilient;
pub use status::{EndpointStatus, ProviderTotals};

/// The providers careflow knows, as metric labels.
pub const KNOWN_PROVIDERS: &[&str] = &["llm", "smtp", "twilio", "amion", "fhir", "outbound"];

/// The providers with one operator-configured endpoint; their breakers exist from
/// the start so they show in status pages before their first call.
const GLOBAL_PROVIDERS: &[&str] = &["llm", "smtp", "twilio", "amion"];

/// Endpoints remembered at most; past this, idle closed breakers of tenant
/// endpoints are forgotten, so user-given hosts cannot grow memory without bound.
const MAX_ENDPOINTS: usize = 4096;

/// What the layer needs to know about a provider's errors.
pub trait ProviderError: std::fmt::Display {
    /// Whether another attempt may succeed (and the failure says the provider is
    /// unwell).
    fn is_retryable(&self) -> bool;
    /// The provider asked to wait this long.
    fn retry_after(&self) -> Option<Duration> {
        None
    }
    /// The failure's class and status for the breaker's `lastError` ("HTTP 500",
    /// "timeout", "connection refused"): never the remote body.
    fn class(&self) -> String;
}

/// Why a guarded call failed.
#[derive(Debug)]
pub enum CallError<E> {
    /// The provider's breaker is open; nothing was sent.
    Open(BreakerOpen),
    /// The call outlived its deadline.
    Timeout(Duration),
    /// The provider answered with an error or could not be reached.
    Provider(E),
}

impl<E: ProviderError> CallError<E> {
    /// Whether another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            CallError::Open(_) | CallError::Timeout(_) => true,
            CallError::Provider(e) => e.is_retryable(),
        }
    }

    /// How long to wait before the next attempt.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            CallError::Open(o) => o.retry_after(),
            CallError::Timeout(_) => None,
            CallError::Provider(e) => e.retry_after(),
        }
    }
}

impl<E: ProviderError> std::fmt::Display for CallError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Open(o) => write!(f, "{} is unavailable (circuit open); not called", o.name),
            CallError::Timeout(d) => {
                write!(f, "no answer within {}", humantime::format_duration(*d))
            }
            CallError::Provider(e) => e.fmt(f),
        }
    }
}

/// One endpoint's breaker, who uses it, and its counters.
struct Tracked {
    breaker: Arc<CircuitBreaker>,
    endpoint: Endpoint,
    tenants: Mutex<BTreeSet<String>>,
    calls: AtomicU64,
    failures: AtomicU64,
    refusals: AtomicU64,
}

impl Tracked {
    fn used_by(&self, tenant: Option<&str>) {
        if let Some(tenant) = tenant {
            let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
            if !tenants.contains(tenant) {
                tenants.insert(tenant.to_owned());
            }
        }
    }

    fn is_global(&self) -> bool {
        self.endpoint.tenant().is_none()
    }
}

/// Breakers by endpoint, with their settings.
pub struct Resilience {
    clock: Arc<dyn Clock>,
    defaults: BreakerSettings,
    overrides: BTreeMap<String, BreakerSettings>,
    endpoints: Mutex<BTreeMap<String, Arc<Tracked>>>,
}

impl Resilience {
    /// A layer whose breakers use `defaults`, or the override named after the
    /// breaker (`fhir:north`) or its provider (`fhir`).
    pub fn new(
        defaults: BreakerSettings,
        overrides: BTreeMap<String, BreakerSettings>,
    ) -> Arc<Self> {
        let layer = Arc::new(Self {
            clock: Arc::new(SystemClock),
            defaults,
            overrides,
            endpoints: Mutex::new(BTreeMap::new()),
        });
        for provider in GLOBAL_PROVIDERS {
            layer.register(&Endpoint::global(provider));
        }
        layer
    }

    /// Makes `endpoint`'s breaker known before its first call, so it shows in the
    /// status of its tenant (or of everybody, for a global one).
    pub fn register(&self, endpoint: &Endpoint) {
        self.track(endpoint);
    }

    fn settings_for(&self, endpoint: &Endpoint) -> BreakerSettings {
        self.overrides
            .get(&endpoint.breaker_name())
            .or_else(|| self.overrides.get(endpoint.provider()))
            .cloned()
            .unwrap_or_else(|| self.defaults.clone())
    }

    fn track(&self, endpoint: &Endpoint) -> Arc<Tracked> {
        let name = endpoint.breaker_name();
        let mut map = self.endpoints.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tracked) = map.get(&name) {
            tracked.used_by(endpoint.tenant());
            return tracked.clone();
        }
        if map.len() >= MAX_ENDPOINTS {
            map.retain(|_, t| t.is_global() || !status::idle(&t.breaker));
        }
        let tracked = Arc::new(Tracked {
            breaker: Arc::new(CircuitBreaker::new(
                name.clone(),
                self.settings_for(endpoint),
                self.clock.clone(),
            )),
            endpoint: Endpoint::clone(endpoint),
            tenants: Mutex::new(BTreeSet::new()),
            calls: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            refusals: AtomicU64::new(0),
        });
        tracked.used_by(endpoint.tenant());
        map.insert(name, tracked.clone());
        tracked
    }

    /// Runs `call` against `endpoint` within `timeout`, through its breaker. A bare
    /// provider name (`"llm"`) is that provider's global endpoint.
    pub async fn call<T, E, Fut>(
        &self,
        endpoint: impl Into<Endpoint>,
        timeout: Duration,
        call: Fut,
    ) -> Result<T, CallError<E>>
    where
        E: ProviderError,
        Fut: Future<Output = Result<T, E>>,
    {
        let tracked = self.track(&endpoint.into());
        let permit = match tracked.breaker.try_acquire() {
            Ok(permit) => permit,
            Err(open) => {
                tracked.refusals.fetch_add(1, Ordering::Relaxed);
                return Err(CallError::Open(open));
            }
        };
        tracked.calls.fetch_add(1, Ordering::Relaxed);
        match tokio::time::timeout(timeout, call).await {
            Ok(Ok(value)) => {
                permit.success();
                Ok(value)
            }
            Ok(Err(e)) if e.is_retryable() => {
                tracked.failures.fetch_add(1, Ordering::Relaxed);
                permit.failure_with(e.class());
                Err(CallError::Provider(e))
            }
            Ok(Err(e)) => {
                permit.success();
                Err(CallError::Provider(e))
            }
            Err(_) => {
                tracked.failures.fetch_add(1, Ordering::Relaxed);
                permit.failure_with("timeout");
                Err(CallError::Timeout(timeout))
            }
        }
    }

    fn all(&self) -> Vec<Arc<Tracked>> {
        // Clone the handles first so no breaker lock is taken while the map is locked.
        let map = self.endpoints.lock().unwrap_or_else(|e| e.into_inner());
        map.values().cloned().collect()
    }

    /// Every endpoint's breaker and counters, by breaker name.
    pub fn snapshots(&self) -> Vec<EndpointStatus> {
        self.all().iter().map(|t| status::of(t)).collect()
    }

    /// The endpoints `tenant` may see: the global ones and those it called (or that
    /// were configured for it).
    pub fn visible_to(&self, tenant: &str) -> Vec<EndpointStatus> {
        self.all()
            .iter()
            .filter(|t| {
                t.is_global()
                    || t.tenants
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .contains(tenant)
            })
            .map(|t| status::of(t))
            .collect()
    }

    /// Counters and the worst breaker state per provider kind: a bounded set of
    /// labels for metrics, however many endpoints there are.
    pub fn provider_totals(&self) -> Vec<ProviderTotals> {
        status::totals(&self.snapshots())
    }
}

/// A breaker state as a number for metrics: 0 closed, 1 half-open, 2 open.
pub fn state_number(state: BreakerState) -> f64 {
    match state {
        BreakerState::Closed => 0.0,
        BreakerState::HalfOpen => 1.0,
        BreakerState::Open => 2.0,
    }
}
