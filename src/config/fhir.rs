//! `[providers.fhir]`: what every FHIR source shares. The sources themselves (their
//! addresses, credentials and tenants) are `[[encounters.sources]]`, since each one
//! feeds the encounter workflow of one tenant.

use std::time::Duration;

use serde::Deserialize;

use super::checks::bad;
use super::serde_helpers::duration;
use super::{BreakerOverride, ConfigError};

/// `[providers.fhir]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FhirProviderSettings {
    /// `providers.fhir.timeout` (`CAREFLOW_PROVIDERS__FHIR__TIMEOUT`), default 10s:
    /// deadline of one FHIR read or search (a search reads every page of, say, an
    /// encounter's observations).
    #[serde(with = "duration")]
    pub timeout: Duration,
    /// `[providers.fhir.breaker]`: breaker keys that differ from the defaults, for
    /// every source (each source has its own breaker, `fhir:<name>`).
    #[serde(default)]
    pub breaker: BreakerOverride,
}

impl FhirProviderSettings {
    /// Rules types cannot express.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if self.timeout.is_zero() {
            return bad("providers.fhir.timeout", "must be more than 0");
        }
        Ok(())
    }
}
