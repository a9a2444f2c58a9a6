//! The one resilience layer every outside call goes through: a deadline per attempt
//! and a circuit breaker per provider. Retries belong to the calling step's policy;
//! this layer tells it whether a retry can help and how long to wait (while a
//! breaker is open, until its next trial).
//!
//! While a breaker is open, calls fail at once without touching the network.
//! Permanent answers (4xx, validation) show the provider is up and count as
//! successes; timeouts, connection errors, 5xx and 429 count as failures.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::breaker::{
    BreakerOpen, BreakerRegistry, BreakerSettings, BreakerSnapshot, BreakerState, SystemClock,
};

/// The providers careflow knows; their breakers exist from the start so they show
/// in status pages before their first call.
pub const KNOWN_PROVIDERS: &[&str] = &["llm", "smtp", "voice", "sms", "amion", "fhir", "outbound"];

/// What the layer needs to know about a provider's errors.
pub trait ProviderError: std::fmt::Display {
    /// Whether another attempt may succeed (and the failure says the provider is
    /// unwell).
    fn is_retryable(&self) -> bool;
    /// The provider asked to wait this long.
    fn retry_after(&self) -> Option<Duration> {
        None
    }
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

/// Breakers by provider, with their settings.
pub struct Resilience {
    breakers: BreakerRegistry,
    defaults: BreakerSettings,
    overrides: BTreeMap<String, BreakerSettings>,
}

impl Resilience {
    /// A layer whose breakers use `defaults`, or the override named after the
    /// provider.
    pub fn new(
        defaults: BreakerSettings,
        overrides: BTreeMap<String, BreakerSettings>,
    ) -> Arc<Self> {
        let layer = Arc::new(Self {
            breakers: BreakerRegistry::new(Arc::new(SystemClock)),
            defaults,
            overrides,
        });
        for name in KNOWN_PROVIDERS {
            layer.breaker(name);
        }
        layer
    }

    fn breaker(&self, provider: &str) -> Arc<super::breaker::CircuitBreaker> {
        let settings = self
            .overrides
            .get(provider)
            .cloned()
            .unwrap_or_else(|| self.defaults.clone());
        self.breakers.get_or_create(provider, settings)
    }

    /// Runs `call` against `provider` within `timeout`, through its breaker.
    pub async fn call<T, E, Fut>(
        &self,
        provider: &str,
        timeout: Duration,
        call: Fut,
    ) -> Result<T, CallError<E>>
    where
        E: ProviderError,
        Fut: Future<Output = Result<T, E>>,
    {
        let breaker = self.breaker(provider);
        let permit = breaker.try_acquire().map_err(CallError::Open)?;
        match tokio::time::timeout(timeout, call).await {
            Ok(Ok(value)) => {
                permit.success();
                Ok(value)
            }
            Ok(Err(e)) if e.is_retryable() => {
                permit.failure_with(e.to_string());
                Err(CallError::Provider(e))
            }
            Ok(Err(e)) => {
                permit.success();
                Err(CallError::Provider(e))
            }
            Err(_) => {
                permit.failure_with("timed out".to_string());
                Err(CallError::Timeout(timeout))
            }
        }
    }

    /// Every breaker's state, by provider name.
    pub fn snapshots(&self) -> Vec<BreakerSnapshot> {
        self.breakers.snapshots()
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

macro_rules! provider_error {
    ($($t:ty),* $(,)?) => {$(
        impl ProviderError for $t {
            fn is_retryable(&self) -> bool {
                <$t>::is_retryable(self)
            }
            fn retry_after(&self) -> Option<Duration> {
                <$t>::retry_after(self)
            }
        }
    )*};
}

provider_error!(
    super::llm::LlmError,
    super::twilio::TwilioError,
    super::amion::AmionError,
    super::fhir::FhirError,
    super::outbound::OutboundError,
);

impl ProviderError for super::smtp::EmailError {
    fn is_retryable(&self) -> bool {
        super::smtp::EmailError::is_retryable(self)
    }
}

impl ProviderError for reqwest::Error {
    fn is_retryable(&self) -> bool {
        self.is_timeout()
            || self.is_connect()
            || self
                .status()
                .is_some_and(|s| s.is_server_error() || s.as_u16() == 429)
    }
}
