//! `[audit]`: the access log of reads of patient-bearing records.

use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::duration;

/// `[audit]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// `audit.retention_days` (`CAREFLOW_AUDIT__RETENTION_DAYS`), default 2190 (six
    /// years, HIPAA's retention of documentation): access records older than this
    /// are pruned.
    pub retention_days: u32,
    /// `audit.prune_interval`, default 1h: how often records past retention are pruned.
    #[serde(with = "duration")]
    pub prune_interval: Duration,
    /// `audit.prune_batch`, default 1000: records deleted per statement while pruning,
    /// so a large backlog never holds a long lock.
    pub prune_batch: u32,
}

impl AuditSettings {
    /// Rules types alone cannot express.
    pub(super) fn check(&self) -> Result<(), String> {
        if self.retention_days == 0 {
            return Err("audit.retention_days: must be at least 1".into());
        }
        if self.prune_interval.is_zero() {
            return Err("audit.prune_interval: must be more than zero".into());
        }
        if self.prune_batch == 0 {
            return Err("audit.prune_batch: must be at least 1".into());
        }
        Ok(())
    }

    /// The retention as a duration.
    pub fn retention(&self) -> Duration {
        Duration::from_secs(u64::from(self.retention_days) * 86_400)
    }
}
