//! `[providers.outbound]`: the guard in front of every HTTP request whose URL comes
//! from a request (service calls and the like) rather than from the operator: which
//! internal destinations are allowlisted, the limits of each call, and how a failed
//! call is retried.

use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::{duration, string_list};
use super::{BreakerOverride, RetrySettings};
use crate::providers::outbound::{OutboundPolicy, OutboundSettings, PolicyError};

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
    /// The destination policy the allowlist describes.
    pub fn policy(&self) -> Result<OutboundPolicy, PolicyError> {
        OutboundPolicy::new(&self.allow)
    }

    /// The guarded client's limits.
    pub fn client_settings(&self) -> OutboundSettings {
        OutboundSettings {
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            max_response_bytes: self.max_response_bytes,
            max_redirects: self.max_redirects,
            ..OutboundSettings::default()
        }
    }

    /// Checks what types cannot: the allowlist parses and the limits are usable.
    pub fn check(&self) -> Result<(), String> {
        self.policy()
            .map_err(|e| format!("providers.outbound.allow: {e}"))?;
        if self.timeout.is_zero() {
            return Err("providers.outbound.timeout: must be more than zero".into());
        }
        if self.connect_timeout.is_zero() {
            return Err("providers.outbound.connect_timeout: must be more than zero".into());
        }
        self.retry.check("providers.outbound.retry")
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn a_malformed_allowlist_entry_is_refused_with_the_setting_named() {
        let mut s = Settings::defaults().providers.outbound;
        s.allow = vec!["10.0.0.0/99".into()];
        let err = s.check().unwrap_err();
        assert!(err.starts_with("providers.outbound.allow:"), "{err}");
    }

    #[test]
    fn allowlisted_ranges_open_internal_addresses_and_nothing_else() {
        let mut s = Settings::defaults().providers.outbound;
        assert!(s.allow.is_empty(), "nothing internal is allowed by default");
        s.allow = vec!["127.0.0.1/32".into()];
        let policy = s.policy().unwrap();
        assert!(policy.is_address_allowed("127.0.0.1".parse().unwrap()));
        assert!(!policy.is_address_allowed("127.0.0.2".parse().unwrap()));
        assert!(!policy.is_address_allowed("10.0.0.1".parse().unwrap()));
    }
}
