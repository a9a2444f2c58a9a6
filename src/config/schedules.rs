//! `[schedules]`: bounds of schedule imports and coverage calculations.

use serde::Deserialize;

/// `[schedules]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulesSettings {
    /// `schedules.max_rows` (`CAREFLOW_SCHEDULES__MAX_ROWS`), default 20000: the most
    /// non-blank data rows one spreadsheet may have. The upload's size is bounded by
    /// `server.upload_limit_bytes`.
    pub max_rows: u32,
    /// `schedules.max_cells` (`CAREFLOW_SCHEDULES__MAX_CELLS`), default 500000: the most
    /// cells all sheets of one spreadsheet may declare, repeated rows and columns
    /// multiplied out (trailing empty ones not counted). A larger upload is refused at
    /// intake with `422` before the spreadsheet is read, which bounds the memory an
    /// import takes.
    pub max_cells: u64,
    /// `schedules.max_coverage_shifts` (`CAREFLOW_SCHEDULES__MAX_COVERAGE_SHIFTS`), default
    /// 20000: the most shift instances one coverage calculation covers. A larger version
    /// gets no coverage (a warning in the import) until it is recalculated under a
    /// higher bound.
    pub max_coverage_shifts: u32,
    /// `schedules.default_time_zone` (`CAREFLOW_SCHEDULES__DEFAULT_TIME_ZONE`), default
    /// `UTC`: the IANA time zone of a hospital created without `timeZone`; read as a
    /// zone at start-up (`workflows::schedule_import::default_zone`).
    pub default_time_zone: String,
}

impl SchedulesSettings {
    /// Rules types cannot express.
    pub fn check(&self) -> Result<(), String> {
        if self.max_rows == 0 {
            return Err("schedules.max_rows: must be at least 1".into());
        }
        if self.max_cells == 0 {
            return Err("schedules.max_cells: must be at least 1".into());
        }
        if self.max_coverage_shifts == 0 {
            return Err("schedules.max_coverage_shifts: must be at least 1".into());
        }
        Ok(())
    }
}
