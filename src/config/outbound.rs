//! `[outbound]`: the guard in front of every HTTP request whose URL comes from a
//! request (service calls and the like) rather than from the operator: which
//! internal destinations are allowlisted, and the limits of each call.

use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::{duration, string_list};
use crate::providers::outbound::{OutboundPolicy, OutboundSettings, PolicyError};

/// `[outbound]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundConfig {
    /// `outbound.allow` (`CAREFLOW_OUTBOUND__ALLOW`, comma-separated): host names,
    /// IP addresses and CIDR ranges that may be reached even though they are
    /// loopback, private, link-local or otherwise non-public. Default none.
    #[serde(deserialize_with = "string_list::deserialize")]
    pub allow: Vec<String>,
    /// `outbound.timeout` (`CAREFLOW_OUTBOUND__TIMEOUT`): the whole call,
    /// connecting to reading the body. Default 30s.
    #[serde(with = "duration")]
    pub timeout: Duration,
    /// `outbound.connect_timeout` (`CAREFLOW_OUTBOUND__CONNECT_TIMEOUT`): resolving
    /// and connecting. Default 10s.
    #[serde(with = "duration")]
    pub connect_timeout: Duration,
    /// `outbound.max_response_bytes` (`CAREFLOW_OUTBOUND__MAX_RESPONSE_BYTES`): how
    /// much of a response body is kept as its excerpt. Default 4096.
    pub max_response_bytes: usize,
    /// `outbound.max_redirects` (`CAREFLOW_OUTBOUND__MAX_REDIRECTS`): redirects
    /// followed, each checked like the first hop. Default 5.
    pub max_redirects: usize,
}

impl OutboundConfig {
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
        self.policy().map_err(|e| format!("outbound.allow: {e}"))?;
        if self.timeout.is_zero() {
            return Err("outbound.timeout: must be more than zero".into());
        }
        if self.connect_timeout.is_zero() {
            return Err("outbound.connect_timeout: must be more than zero".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn a_malformed_allowlist_entry_is_refused_with_the_setting_named() {
        let mut s = Settings::defaults().outbound;
        s.allow = vec!["10.0.0.0/99".into()];
        let err = s.check().unwrap_err();
        assert!(err.starts_with("outbound.allow:"), "{err}");
    }

    #[test]
    fn allowlisted_ranges_open_internal_addresses_and_nothing_else() {
        let mut s = Settings::defaults().outbound;
        assert!(s.allow.is_empty(), "nothing internal is allowed by default");
        s.allow = vec!["127.0.0.1/32".into()];
        let policy = s.policy().unwrap();
        assert!(policy.is_address_allowed("127.0.0.1".parse().unwrap()));
        assert!(!policy.is_address_allowed("127.0.0.2".parse().unwrap()));
        assert!(!policy.is_address_allowed("10.0.0.1".parse().unwrap()));
    }
}
