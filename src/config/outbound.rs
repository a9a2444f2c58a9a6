//! `[providers.outbound]`: the guard in front of every HTTP request whose URL comes
//! from a request (service calls and the like) rather than from the operator: which
//! internal destinations are allowlisted, the limits of each call, and how a failed
//! call is retried.

use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::{duration, string_list};
use super::{BreakerOverride, RetrySettings};

/// `[providers.outbound]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundProviderSettings {
    /// `providers.outbound.allow` (`CAREFLOW_PROVIDERS__OUTBOUND__ALLOW`, comma-separated): host names,
    /// IP addresses and CIDR ranges that may be reached even though they are
    /// loopback, private, link-local or otherwise non-public. Default none.
    #[serde(deserialize_with = "string_list::deserialize")]
    pub allow: Vec<String>,
    /// `providers.outbound.timeout` (`CAREFLOW_PROVIDERS__OUTBOUND__TIMEOUT`): the whole call,
    /// connecting to reading the body. Default 30s.
    #[serde(with = "duration")]
    pub timeout: Duration,
    /// `providers.outbound.connect_timeout` (`CAREFLOW_PROVIDERS__OUTBOUND__CONNECT_TIMEOUT`): resolving
    /// and connecting. Default 10s.
    #[serde(with = "duration")]
    pub connect_timeout: Duration,
    /// `providers.outbound.max_response_bytes` (`CAREFLOW_PROVIDERS__OUTBOUND__MAX_RESPONSE_BYTES`): how
    /// much of a response body is kept as its excerpt. Default 4096.
    pub max_response_bytes: usize,
    /// `providers.outbound.max_redirects` (`CAREFLOW_PROVIDERS__OUTBOUND__MAX_REDIRECTS`): redirects
    /// followed, each checked like the first hop. Default 5.
    pub max_redirects: usize,
    /// `providers.outbound.max_retry_after`: the longest `Retry-After` honoured; a
    /// server asking for more is retried after this long. Default 1h.
    #[serde(with = "duration")]
    pub max_retry_after: Duration,
    /// `[providers.outbound.retry]`: retries of a failed service call (5xx, 429,
    /// timeouts, connection errors); 5 attempts, 1s to 5m by default.
    pub retry: RetrySettings,
    /// `[providers.outbound.breaker]`: breaker keys that differ from the defaults,
    /// for every host (each host has its own breaker, `outbound:<host>:<port>`).
    #[serde(default)]
    pub breaker: BreakerOverride,
}

impl OutboundProviderSettings {
    /// Checks what types cannot: the limits are usable. The allowlist is read where it
    /// is used, at start-up (`workflows::outbound_policy`).
    pub fn check(&self) -> Result<(), String> {
        if self.timeout.is_zero() {
            return Err("providers.outbound.timeout: must be more than zero".into());
        }
        if self.connect_timeout.is_zero() {
            return Err("providers.outbound.connect_timeout: must be more than zero".into());
        }
        self.retry.check("providers.outbound.retry")
    }
}
