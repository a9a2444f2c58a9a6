//! `[service_calls]`: scheduled service calls — how secret header values are
//! kept and the bounds of a request. The calls go out through
//! `[providers.outbound]`, which also says how a failed call is retried.

use std::time::Duration;

use serde::Deserialize;

use super::Secret;
use super::outbound::OutboundProviderSettings;
use super::serde_helpers::{duration, string_list};

/// Time an execution attempt gets beyond the request's own timeout, for reading
/// and recording the call around it.
const RECORDING_MARGIN: Duration = Duration::from_secs(15);

/// `[service_calls]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceCallSettings {
    /// `service_calls.encryption_key` (`CAREFLOW_SERVICE_CALLS__ENCRYPTION_KEY`):
    /// 32 random bytes, base64, sealing secret header values with AES-256-GCM.
    /// Default empty: secret header values are then not stored (nor sent), and
    /// submissions say so.
    pub encryption_key: Secret,
    /// `service_calls.secret_headers` (`CAREFLOW_SERVICE_CALLS__SECRET_HEADERS`,
    /// comma-separated): header names treated as secret besides `Authorization`,
    /// `Proxy-Authorization` and `Cookie`. Default none.
    #[serde(deserialize_with = "string_list::deserialize")]
    pub secret_headers: Vec<String>,
    /// `service_calls.max_body_bytes`: largest request body. Default 65536.
    pub max_body_bytes: usize,
    /// `service_calls.max_due_horizon`: how far ahead `dueAt` may be. Default 365d.
    #[serde(with = "duration")]
    pub max_due_horizon: Duration,
    /// `service_calls.idempotency_header`
    /// (`CAREFLOW_SERVICE_CALLS__IDEMPOTENCY_HEADER`): the header that carries the
    /// call's id on every attempt, so partners can drop repeats. Default
    /// `Idempotency-Key`; empty sends none unless a call names one.
    pub idempotency_header: String,
}

impl ServiceCallSettings {
    /// The deadline of one execution attempt: the request's timeout plus time
    /// to record its outcome.
    pub fn attempt_timeout(&self, outbound: &OutboundProviderSettings) -> Duration {
        outbound.timeout + RECORDING_MARGIN
    }

    /// Checks what types cannot. The key and the header name are read where they are
    /// used, at start-up (`workflows::service_call::check_settings`).
    pub fn check(&self) -> Result<(), String> {
        if self.max_body_bytes == 0 {
            return Err("service_calls.max_body_bytes: must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn defaults_store_no_secrets_and_retry_five_times() {
        let all = Settings::defaults();
        assert_eq!(all.providers.outbound.retry.max_attempts, 5);
        let s = all.service_calls;
        assert!(s.encryption_key.is_empty());
        assert_eq!(s.max_body_bytes, 65536);
        assert_eq!(s.idempotency_header, "Idempotency-Key");
        assert!(s.check().is_ok());
    }
}
