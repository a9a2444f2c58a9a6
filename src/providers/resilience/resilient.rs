//! A provider's client behind the resilience layer, built once at start-up: every
//! call through it gets the provider's deadline and its endpoint's breaker, and
//! there is no other way to reach the client.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{CallError, Endpoint, ProviderError, Resilience};

/// A client, its endpoint and deadline, and the layer guarding its calls.
#[derive(Clone)]
pub struct Resilient<C> {
    client: C,
    layer: Arc<Resilience>,
    endpoint: Endpoint,
    timeout: Duration,
}

impl<C> std::fmt::Debug for Resilient<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resilient")
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<C> Resilient<C> {
    /// `client` reaching `endpoint`, each call limited to `timeout`. The endpoint's
    /// breaker is registered at once so it shows before the first call.
    pub fn new(client: C, layer: Arc<Resilience>, endpoint: Endpoint, timeout: Duration) -> Self {
        layer.register(&endpoint);
        Self {
            client,
            layer,
            endpoint,
            timeout,
        }
    }

    /// A client whose every request names its own destination (outbound calls):
    /// reach it with [`Resilient::call_at`]. Nothing is registered until a call is
    /// made, so tenants see only the endpoints they called.
    pub fn routed(
        client: C,
        layer: Arc<Resilience>,
        provider: &'static str,
        timeout: Duration,
    ) -> Self {
        Self {
            client,
            layer,
            endpoint: Endpoint::global(provider),
            timeout,
        }
    }

    /// The endpoint the client reaches by default.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The deadline of one call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The same client with another deadline per call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs `call` with the client, through the breaker of the client's endpoint.
    pub async fn call<'a, T, E, Fut>(
        &'a self,
        call: impl FnOnce(&'a C) -> Fut,
    ) -> Result<T, CallError<E>>
    where
        E: ProviderError,
        Fut: Future<Output = Result<T, E>>,
    {
        self.layer
            .call(&self.endpoint, self.timeout, call(&self.client))
            .await
    }

    /// Runs `call` with the client against another endpoint than its default (a
    /// client whose requests name their destination, like outbound calls), through
    /// that endpoint's breaker.
    pub async fn call_at<'a, T, E, Fut>(
        &'a self,
        endpoint: &Endpoint,
        call: impl FnOnce(&'a C) -> Fut,
    ) -> Result<T, CallError<E>>
    where
        E: ProviderError,
        Fut: Future<Output = Result<T, E>>,
    {
        self.layer
            .call(endpoint, self.timeout, call(&self.client))
            .await
    }
}
