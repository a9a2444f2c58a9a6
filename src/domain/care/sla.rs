//! SLA timetable of a care task: a warning at 75% of the allowed time and a breach at 100%,
//! the two moments the SLA monitor sleeps until.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// When a task's SLA warns and when it is breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaTimes {
    /// 75% of the allowed time has passed.
    pub warn_at: DateTime<Utc>,
    /// All of the allowed time has passed.
    pub breach_at: DateTime<Utc>,
}

/// Where a task stands against its SLA at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    /// Before the warning time.
    OnTrack,
    /// At or after the warning time, before the breach.
    AtRisk,
    /// At or after the breach time.
    Breached,
}

/// The warning and breach times of a task created at `created_at` with `sla_minutes` allowed.
///
/// Computed in whole seconds (75% of a minute is exactly 45 s), so the result never drifts by
/// rounding; a zero SLA warns and breaches at creation.
pub fn sla_times(created_at: DateTime<Utc>, sla_minutes: u32) -> SlaTimes {
    let total_secs = i64::from(sla_minutes) * 60;
    SlaTimes {
        warn_at: created_at + Duration::seconds(total_secs * 3 / 4),
        breach_at: created_at + Duration::seconds(total_secs),
    }
}

impl SlaTimes {
    /// The task's standing at `now`.
    pub fn status_at(&self, now: DateTime<Utc>) -> SlaStatus {
        if now >= self.breach_at {
            SlaStatus::Breached
        } else if now >= self.warn_at {
            SlaStatus::AtRisk
        } else {
            SlaStatus::OnTrack
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn created() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 3, 14, 0, 0).unwrap()
    }

    #[test]
    fn a_one_hour_sla_warns_after_45_minutes_and_breaches_after_60() {
        let t = sla_times(created(), 60);
        assert_eq!(
            t.warn_at,
            Utc.with_ymd_and_hms(2025, 3, 3, 14, 45, 0).unwrap()
        );
        assert_eq!(
            t.breach_at,
            Utc.with_ymd_and_hms(2025, 3, 3, 15, 0, 0).unwrap()
        );
    }

    #[test]
    fn odd_minute_slas_keep_exact_seconds() {
        let t = sla_times(created(), 5);
        assert_eq!(t.warn_at, created() + Duration::seconds(225));
        assert_eq!(t.breach_at, created() + Duration::seconds(300));
    }

    #[test]
    fn a_day_long_sla_crosses_midnight() {
        let t = sla_times(created(), 24 * 60);
        assert_eq!(
            t.warn_at,
            Utc.with_ymd_and_hms(2025, 3, 4, 8, 0, 0).unwrap()
        );
        assert_eq!(
            t.breach_at,
            Utc.with_ymd_and_hms(2025, 3, 4, 14, 0, 0).unwrap()
        );
    }

    #[test]
    fn a_zero_sla_is_breached_at_creation() {
        let t = sla_times(created(), 0);
        assert_eq!(t.warn_at, created());
        assert_eq!(t.status_at(created()), SlaStatus::Breached);
    }

    #[test]
    fn status_moves_from_on_track_to_at_risk_to_breached() {
        let t = sla_times(created(), 60);
        assert_eq!(t.status_at(created()), SlaStatus::OnTrack);
        assert_eq!(
            t.status_at(t.warn_at - Duration::seconds(1)),
            SlaStatus::OnTrack
        );
        assert_eq!(t.status_at(t.warn_at), SlaStatus::AtRisk);
        assert_eq!(t.status_at(t.breach_at), SlaStatus::Breached);
    }

    #[test]
    fn times_serialize_in_camel_case() {
        let json = serde_json::to_value(sla_times(created(), 60)).unwrap();
        assert_eq!(json["warnAt"], "2025-03-03T14:45:00Z");
        assert_eq!(json["breachAt"], "2025-03-03T15:00:00Z");
    }
}
