//! `[retention]`: how long finished runs are kept, tenant by tenant.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::duration;

/// `[retention]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// `retention.runs_days` (`CAREFLOW_RETENTION__RUNS_DAYS`), default 0: finished
    /// runs (completed, failed, cancelled) are erased this many days after they
    /// finished, with their steps, events and the records only they made. 0 keeps
    /// them forever: erasing clinical records is never switched on by an upgrade.
    pub runs_days: u32,
    /// `retention.prune_interval`, default 1h: how often each replica looks for runs
    /// past retention.
    #[serde(with = "duration")]
    pub prune_interval: Duration,
    /// `retention.prune_batch`, default 100: runs erased per transaction, so a large
    /// backlog never holds long locks.
    pub prune_batch: u32,
    /// `[retention.tenants.<tenant>]`: a tenant's own `runs_days`, in place of the
    /// default (0 keeps that tenant's runs forever).
    #[serde(default)]
    pub tenants: BTreeMap<String, TenantRetention>,
}

/// `[retention.tenants.<tenant>]`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantRetention {
    /// Days a finished run of this tenant is kept; 0 keeps them forever.
    pub runs_days: u32,
}

impl RetentionSettings {
    /// Rules types alone cannot express.
    pub(super) fn check(&self) -> Result<(), String> {
        if self.prune_interval.is_zero() {
            return Err("retention.prune_interval: must be more than zero".into());
        }
        if self.prune_batch == 0 {
            return Err("retention.prune_batch: must be at least 1".into());
        }
        // Each tenant key is read as a tenant id where it is used, at start-up
        // (`retention::overrides`).
        Ok(())
    }

    /// How long a finished run is kept by default, `None` for ever.
    pub fn default_runs(&self) -> Option<Duration> {
        days(self.runs_days)
    }
}

impl TenantRetention {
    /// How long a finished run of this tenant is kept, `None` for ever.
    pub fn runs(&self) -> Option<Duration> {
        days(self.runs_days)
    }
}

fn days(n: u32) -> Option<Duration> {
    (n > 0).then(|| Duration::from_secs(u64::from(n) * 86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(toml: &str) -> Result<RetentionSettings, String> {
        let s: RetentionSettings = figment::Figment::from(
            <figment::providers::Toml as figment::providers::Format>::string(toml),
        )
        .extract()
        .map_err(|e| e.to_string())?;
        s.check().map(|_| s)
    }

    #[test]
    fn zero_days_keeps_runs_forever_and_tenants_override_the_default() {
        let s = settings(
            "runs_days = 0\nprune_interval = \"1h\"\nprune_batch = 10\n\
             [tenants.clinic-a]\nruns_days = 30\n[tenants.clinic-b]\nruns_days = 0\n",
        )
        .expect("valid");
        assert_eq!(s.default_runs(), None);
        assert_eq!(s.tenants.len(), 2);
        assert_eq!(
            s.tenants["clinic-a"].runs(),
            Some(Duration::from_secs(30 * 86_400))
        );
        assert_eq!(s.tenants["clinic-b"].runs(), None);
    }

    #[test]
    fn a_zero_batch_or_an_unknown_key_is_refused() {
        assert!(settings("runs_days = 1\nprune_interval = \"1h\"\nprune_batch = 0\n").is_err());
        assert!(
            settings(
                "runs_days = 1\nprune_interval = \"1h\"\nprune_batch = 1\n\
                 [tenants.a]\nrun_days = 3\n"
            )
            .is_err()
        );
    }
}
