//! `[retention]`: how long finished runs are kept, tenant by tenant.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::duration;
use crate::store::TenantId;

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
        for tenant in self.tenants.keys() {
            TenantId::parse(tenant)
                .map_err(|e| format!("retention.tenants.{tenant}: not a tenant id: {e}"))?;
        }
        Ok(())
    }

    /// How long a finished run is kept by default, `None` for ever.
    pub fn default_runs(&self) -> Option<Duration> {
        days(self.runs_days)
    }

    /// Tenants with a retention of their own, and that retention (`None`: for ever).
    pub fn overrides(&self) -> Vec<(TenantId, Option<Duration>)> {
        self.tenants
            .iter()
            .filter_map(|(t, r)| TenantId::parse(t).ok().map(|t| (t, days(r.runs_days))))
            .collect()
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
        let overrides = s.overrides();
        assert_eq!(overrides.len(), 2);
        assert_eq!(overrides[0].0.as_str(), "clinic-a");
        assert_eq!(overrides[0].1, Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(overrides[1].1, None);
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
