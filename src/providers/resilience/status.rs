//! What the layer shows of its endpoints: per endpoint for the providers endpoint,
//! per provider kind for metrics.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use serde::Serialize;

use super::{KNOWN_PROVIDERS, Tracked};
use crate::providers::breaker::{BreakerSnapshot, BreakerState, CircuitBreaker};

/// One endpoint's breaker and counters since start.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointStatus {
    /// The provider kind (`fhir`, `outbound`, `llm`, ...).
    pub provider: &'static str,
    /// The endpoint within the provider (a FHIR source, a host; the provider's name
    /// for its one configured endpoint).
    pub endpoint: String,
    /// The breaker: `name`, `state`, recent counts, `lastError` (a class and a
    /// status, never the remote body), timings.
    #[serde(flatten)]
    pub breaker: BreakerSnapshot,
    /// Calls let through since start.
    pub calls: u64,
    /// Of those, failures (timeouts, connection errors, 5xx, 429).
    pub failures: u64,
    /// Calls refused by the open breaker without touching the network.
    pub refusals: u64,
}

/// One provider kind's endpoints summed up.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderTotals {
    /// The provider kind.
    pub provider: &'static str,
    /// The worst state among its endpoints (closed when it has none).
    pub state: BreakerState,
    /// State changes of all its breakers.
    pub transitions: u64,
    /// Calls let through.
    pub calls: u64,
    /// Failed calls.
    pub failures: u64,
    /// Calls refused by open breakers.
    pub refusals: u64,
}

pub(super) fn of(tracked: &Tracked) -> EndpointStatus {
    EndpointStatus {
        provider: tracked.endpoint.provider(),
        endpoint: tracked.endpoint.key().to_owned(),
        breaker: tracked.breaker.snapshot(),
        calls: tracked.calls.load(Ordering::Relaxed),
        failures: tracked.failures.load(Ordering::Relaxed),
        refusals: tracked.refusals.load(Ordering::Relaxed),
    }
}

/// A closed breaker with nothing in its window: forgetting it loses nothing.
pub(super) fn idle(breaker: &CircuitBreaker) -> bool {
    let s = breaker.snapshot();
    s.state == BreakerState::Closed && s.recent_calls == 0
}

fn severity(state: BreakerState) -> u8 {
    match state {
        BreakerState::Closed => 0,
        BreakerState::HalfOpen => 1,
        BreakerState::Open => 2,
    }
}

pub(super) fn totals(endpoints: &[EndpointStatus]) -> Vec<ProviderTotals> {
    let mut by_provider: BTreeMap<&'static str, ProviderTotals> = KNOWN_PROVIDERS
        .iter()
        .map(|p| {
            let empty = ProviderTotals {
                provider: p,
                state: BreakerState::Closed,
                transitions: 0,
                calls: 0,
                failures: 0,
                refusals: 0,
            };
            (*p, empty)
        })
        .collect();
    for e in endpoints {
        let t = by_provider.entry(e.provider).or_insert(ProviderTotals {
            provider: e.provider,
            state: BreakerState::Closed,
            transitions: 0,
            calls: 0,
            failures: 0,
            refusals: 0,
        });
        if severity(e.breaker.state) > severity(t.state) {
            t.state = e.breaker.state;
        }
        t.transitions += e.breaker.transitions;
        t.calls += e.calls;
        t.failures += e.failures;
        t.refusals += e.refusals;
    }
    by_provider.into_values().collect()
}
